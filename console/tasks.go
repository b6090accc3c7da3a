package console

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// My tasks: the work waiting for the user. For an agent, their cases (assigned to them) whose
// reply or decision deadline falls within the task horizon (Deps.TaskHorizon) or has passed, and their branches' open
// follow-up calls and call list; for a supervisor or admin, the same for every case of their
// branches (head office: all). Every console page shows how many there are (/tasks/sign).

// openStatuses are the statuses of a case still awaiting handling (Status.Open).
var openStatuses = []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated,
	complaintbot.StatusReopened}

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

// taskCases lists the cases of the user's tasks, soonest deadline first.
func (c *Console) taskCases(ctx context.Context, u *storage.User) ([]taskCase, error) {
	now := c.clock.Now()
	f := storage.CaseFilter{Branches: scopeBranches(u), Status: openStatuses}
	// An agent's cases are their own and the ones nobody has taken yet (a case from WeChat left
	// untouched has no assignee); a supervisor's, every case of their branches.
	own := !u.Role.AtLeast(storage.RoleSupervisor)
	list, err := c.store.ListCases(ctx, f, 0, 0) // every open case: from the case index, in memory
	if err != nil {
		return nil, err
	}
	names := c.labeler(ctx)
	out := []taskCase{}
	for _, cs := range list {
		if !cs.Status.Open() || !u.Covers(cs.Branch.Code) || own && cs.Assignee() != "" && cs.Assignee() != u.Name {
			continue
		}
		var ds []taskDeadline
		// The reply deadline is met once a person replied (the list carries when).
		if !cs.ReplyDue.IsZero() && cs.ReplyDue.Before(now.Add(c.taskHorizon)) && cs.RepliedAt == nil {
			ds = append(ds, taskDeadline{Kind: storage.DeadlineReply, Name: "答复期限", Due: cs.ReplyDue, Overdue: !now.Before(cs.ReplyDue)})
		}
		if !cs.DecisionDue.IsZero() && cs.DecisionDue.Before(now.Add(c.taskHorizon)) {
			ds = append(ds, taskDeadline{Kind: storage.DeadlineDecision, Name: "处理期限", Due: cs.DecisionDue, Overdue: !now.Before(cs.DecisionDue)})
		}
		// A risk flag is a task for whoever sees the case here; a pending extension for approvers.
		var approval *complaintbot.ExtensionRequest
		if cases.CanApprove(u) {
			approval = cs.Work.ExtensionRequest
		}
		if len(ds) == 0 && cs.Risk == nil && approval == nil {
			continue
		}
		out = append(out, taskCase{Number: cs.Number, Status: cs.Status, StatusName: statusName(cs.Status), Branch: cs.Branch.Code,
			BranchName: c.branchName(cs.Branch.Code), Assignee: cs.Assignee(), AssigneeName: names.of(cs.Assignee()), Deadlines: ds,
			Level: cs.Level, LevelName: levelName(cs.Level), Risk: cs.Risk, ExtensionRequest: approval})
	}
	// Risk flags and approvals first, then the soonest deadline.
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].urgent(), out[j].urgent(); a != b {
			return a
		}
		return out[i].first().Before(out[j].first())
	})
	return out, nil
}

// tasksOf returns the user's task list; list false counts the tasks only (every page's sign),
// reading no follow-up or message. The call list's messages come without their messaging window
// (WindowOpen false: the 待联系客户 page reads it).
func (c *Console) tasksOf(ctx context.Context, u *storage.User, list bool) (*tasks, error) {
	t := &tasks{}
	var err error
	if t.Cases, err = c.taskCases(ctx, u); err != nil {
		return nil, err
	}
	t.CasesTotal = len(t.Cases)
	t.Cases = t.Cases[:min(len(t.Cases), taskCasesShown)]
	shown := 0
	if list {
		shown = taskWorkShown
	}
	t.FollowUps = []followUpRow{}
	if followups.MayWork(u) { // agents may read follow-ups, not work them: they are no task of theirs
		fs, err := c.followUpList(ctx, u, "open", 1, shown)
		if err != nil {
			return nil, err
		}
		t.FollowUps, t.FollowUpsTotal = fs.Rows, fs.Open
	}
	calls, err := c.callRows(ctx, u, false, 1, shown)
	if err != nil {
		return nil, err
	}
	t.Calls, t.CallsTotal = calls.Rows, calls.Total
	if t.Reviews, err = c.reviewTasks(ctx, u); err != nil {
		return nil, err
	}
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
