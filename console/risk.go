package console

import (
	"context"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Levels, risk flags and extension approvals in the console (issue #14): the rules are the case
// workflow's (cases/ladder.go, cases/risk.go); the console shows the flags in every list, and the
// case workflow puts risk flags and pending approvals first on the task list (cases.Service.Tasks).

// inboxRiskLimit is how many risk-flagged cases the inbox lists.
const inboxRiskLimit = 20

// riskStatuses are the statuses of the cases whose risk flag still calls for attention.
var riskStatuses = []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated,
	complaintbot.StatusReopened}

// riskCases lists the open cases of u's branches with the risk flag raised, newest first.
func (c *Console) riskCases(ctx context.Context, u *storage.User) ([]complaintbot.Case, error) {
	rows, err := c.store.ListCases(ctx, storage.CaseFilter{Branches: scopeBranches(u), Status: riskStatuses, Risk: true, Now: c.clock.Now()}, 0, inboxRiskLimit)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if u.Covers(r.Branch.Code) {
			out = append(out, r)
		}
	}
	return out, nil
}

// inboxRisks answers the inbox's list of open risk-flagged cases (refreshed at once by the live
// stream's "risk" event).
func (c *Console) inboxRisks(g *gin.Context) {
	rows, err := c.riskCases(g.Request.Context(), actorOf(g).user)
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "inbox", "inbox_risks", rows)
}

// levelName is the name of a case level other than 普通 ("" for 普通, which lists leave out).
func levelName(level string) string {
	if level == complaintbot.LevelNormal {
		return ""
	}
	return complaintbot.LevelLabel(level)
}

// riskAlertFor reports whether the raised risk flag of the case is a live alert for u: for the
// supervisors and admins covering the case's branch (head office: every branch), and for the
// agent the case is assigned to (it is their case; the flag heads their task list). Other agents
// of the branch are not alerted: they see the flag in the lists when these refresh (data, not an
// alert).
func (c *Console) riskAlertFor(ctx context.Context, u *storage.User, number string) bool {
	rec, err := c.caseFor(ctx, u, number)
	if err != nil {
		return false
	}
	return cases.CanApprove(u) || (rec.Work.Assignee != "" && rec.Work.Assignee == u.Name)
}
