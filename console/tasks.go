package console

import (
	"context"
	"net/http"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// My tasks: the work waiting for the user, as the workflows decide it — the case workflow which
// cases, deadlines, risk flags, approvals and reviews (cases.Service.Tasks), the follow-ups which
// follow-up calls (followups.Service.Tasks), the call list which messages — rendered here. Every
// console page shows how many there are (/tasks/sign).

// taskCasesShown is how many cases the task list shows (with their total), the most urgent
// first; taskWorkShown how many follow-ups and call-list messages (the oldest follow-ups and the
// newest messages): the 回访 and 待联系客户 pages show the rest.
const (
	taskCasesShown = 100
	taskWorkShown  = 20
)

// taskDeadline is one deadline of a case on the task list.
type taskDeadline struct {
	// Kind is storage.DeadlineReply or storage.DeadlineDecision; Name 答复期限 or 处理期限.
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
}

// taskCase is a case with a deadline soon or past.
type taskCase struct {
	Number       string              `json:"number"`
	Status       complaintbot.Status `json:"status"`
	StatusName   string              `json:"status_name"`
	Branch       string              `json:"branch"`
	BranchName   string              `json:"branch_name"`
	Assignee     string              `json:"assignee,omitempty"`
	AssigneeName string              `json:"assignee_name,omitempty"`
	Deadlines    []taskDeadline      `json:"deadlines"`
	// Level is the case's level, Risk its risk flag (a task of its own for the supervisor and
	// the assignee), ExtensionRequest an extension the user may approve or refuse.
	Level            string                         `json:"level,omitempty"`
	LevelName        string                         `json:"level_name,omitempty"`
	Risk             *complaintbot.Risk             `json:"risk,omitempty"`
	ExtensionRequest *complaintbot.ExtensionRequest `json:"extension_request,omitempty"`
}

// tasks is the user's task list.
type tasks struct {
	Cases     []taskCase    `json:"cases"`
	FollowUps []followUpRow `json:"follow_ups"`
	Calls     []callRow     `json:"calls"`
	// Reviews are the open reviews (核查), for head office (review.go).
	Reviews []reviewTask `json:"reviews"`
	// CasesTotal, FollowUpsTotal and CallsTotal are how many there are of each (the lists hold
	// the first taskCasesShown and taskWorkShown); Count is the sum of all.
	CasesTotal     int `json:"cases_total"`
	FollowUpsTotal int `json:"follow_ups_total"`
	CallsTotal     int `json:"calls_total"`
	Count          int `json:"count"`
}

// taskCases renders the case workflow's case tasks.
func (c *Console) taskCases(ctx context.Context, ts []cases.CaseTask) []taskCase {
	names := c.labeler(ctx)
	out := make([]taskCase, 0, len(ts))
	for _, t := range ts {
		cs := &t.Case
		var ds []taskDeadline
		for _, d := range t.Deadlines {
			ds = append(ds, taskDeadline{Kind: d.Kind, Name: deadlineNames[d.Kind], Due: d.Due, Overdue: d.Overdue})
		}
		out = append(out, taskCase{Number: cs.Number, Status: cs.Status, StatusName: statusName(cs.Status), Branch: cs.Branch.Code,
			BranchName: c.branchName(cs.Branch.Code), Assignee: cs.Assignee(), AssigneeName: names.of(cs.Assignee()), Deadlines: ds,
			Level: cs.Level, LevelName: levelName(cs.Level), Risk: cs.Risk, ExtensionRequest: t.Approval})
	}
	return out
}

// tasksOf returns the user's task list; list false counts the tasks only (every page's sign),
// reading no follow-up or message. The call list's messages come without their messaging window
// (WindowOpen false: the 待联系客户 page reads it).
func (c *Console) tasksOf(ctx context.Context, u *storage.User, list bool) (*tasks, error) {
	t := &tasks{Cases: []taskCase{}, Reviews: []reviewTask{}}
	if c.cases != nil {
		ct, err := c.cases.Tasks(ctx, complaintbot.Actor{User: u})
		if err != nil {
			return nil, err
		}
		t.Cases, t.Reviews = c.taskCases(ctx, ct.Cases), c.reviewTasks(ct.Reviews)
	}
	t.CasesTotal = len(t.Cases)
	t.Cases = t.Cases[:min(len(t.Cases), taskCasesShown)]
	shown := 0
	if list {
		shown = taskWorkShown
	}
	fl, err := c.followups.Tasks(ctx, complaintbot.Actor{User: u}, shown)
	if err != nil {
		return nil, err
	}
	fs := c.followUpRows(ctx, fl, string(followups.Open), 1, shown)
	t.FollowUps, t.FollowUpsTotal = fs.Rows, fs.Open
	calls, err := c.callRows(ctx, u, false, 1, shown)
	if err != nil {
		return nil, err
	}
	t.Calls, t.CallsTotal = calls.Rows, calls.Total
	t.Count = t.CasesTotal + t.FollowUpsTotal + t.CallsTotal + len(t.Reviews)
	return t, nil
}

func (c *Console) tasksPage(g *gin.Context) {
	t, err := c.tasksOf(g.Request.Context(), actorOf(g).user, true)
	if err != nil {
		c.pageError(g, err)
		return
	}
	c.render(g, http.StatusOK, "tasks", c.newView(g, "我的任务", "tasks", t), nil)
}

func (c *Console) apiTasks(g *gin.Context) {
	t, err := c.tasksOf(g.Request.Context(), actorOf(g).user, true)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, t)
}

// tasksSign answers the count of the user's tasks every page shows.
func (c *Console) tasksSign(g *gin.Context) {
	t, err := c.tasksOf(g.Request.Context(), actorOf(g).user, false)
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "tasks", "tasks_sign", t.Count) // every page holds the layout's templates
}

// registerWork adds the pages and API of the work people must do: follow-up calls (回访), the
// call list and my tasks.
func (c *Console) registerWork(p, a *gin.RouterGroup) {
	p.GET("/followups", c.followUpsPage)
	p.POST("/followups/:id/:action", c.followUpsSubmit)
	a.GET("/followups", c.apiFollowUps)
	a.POST("/followups/:id", c.apiFollowUpAction)
	p.GET("/calls", c.callsPage)
	p.POST("/calls/:id/:action", c.callsSubmit)
	a.GET("/calls", c.apiCalls)
	a.POST("/calls/:id", c.apiCallAction)
	p.GET("/tasks", c.tasksPage)
	p.GET("/tasks/sign", c.tasksSign)
	a.GET("/tasks", c.apiTasks)
}
