package console

import (
	"context"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Withdrawals (撤回) and reviews (核查) in the console: an agent records a withdrawal the customer
// made by phone or at the counter, or a review asked for by other means than the chat; head
// office records a review's result, and sees the open reviews in its task list. The rules are the
// case workflow's (cases.Withdraw, cases.RequestReview, cases.RecordReview).

func init() {
	caseActionDone["withdraw"] = "已记录撤回，已通知客户。"
	caseActionDone["review_request"] = "已登记核查申请，已将核查编号和答复期限告知客户。"
	caseActionDone["review_result"] = "已记录核查结果，已通知客户。"
	entryTitles["withdraw"] = "客户撤回"
	entryTitles["review"] = "核查申请（总行）"
	entryTitles["review_result"] = "核查结果"
}

// actRequest carries out the withdrawal and review actions; handled is false for other actions.
func (c *Console) actRequest(ctx context.Context, by complaintbot.Actor, number string, a CaseAction) (handled bool, err error) {
	switch a.Action {
	case "withdraw":
		err = c.cases.Withdraw(ctx, by, number, a.Text)
	case "review_request":
		err = c.cases.RequestReview(ctx, by, number, a.Text)
	case "review_result":
		err = c.cases.RecordReview(ctx, by, number, a.Text)
	default:
		return false, nil
	}
	return true, c.caseError(ctx, err)
}

// reviewTask is an open review on head office's task list.
type reviewTask struct {
	ID         string    `json:"id"`
	Case       string    `json:"case"`
	BranchName string    `json:"branch_name"`
	Requested  time.Time `json:"requested_at"`
	Due        time.Time `json:"due"`
	Overdue    bool      `json:"overdue"`
}

// reviewTasks renders the open reviews of head office's task list (cases.Tasks.Reviews).
func (c *Console) reviewTasks(list []storage.ReviewTask) []reviewTask {
	out := []reviewTask{}
	now := c.clock.Now()
	for _, t := range list {
		out = append(out, reviewTask{ID: t.ID, Case: t.Case, BranchName: c.branchName(t.Branch), Requested: t.Requested, Due: t.Due, Overdue: now.After(t.Due)})
	}
	return out
}
