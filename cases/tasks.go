package cases

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// DefaultTaskHorizon is how soon a case's deadline must fall to be a task when Deps.TaskHorizon
// is not set.
const DefaultTaskHorizon = 24 * time.Hour

// ReviewTaskLimit bounds how many open reviews head office's task list holds.
const ReviewTaskLimit = 500

// taskStatuses are the statuses of a case still awaiting handling (Status.Open).
var taskStatuses = []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated,
	complaintbot.StatusReopened}

// Deadline is one deadline of a case on a task list, soon or past.
type Deadline struct {
	// Kind is storage.DeadlineReply or storage.DeadlineDecision.
	Kind string
	Due  time.Time
	// Overdue says the deadline has passed.
	Overdue bool
}

// CaseTask is a case on a user's task list: one with a deadline soon or past, a risk flag, or an
// extension request the user may decide.
type CaseTask struct {
	// Case is the case as the case list reads it (storage.Store.ListCases).
	Case complaintbot.Case
	// Deadlines are its reply deadline (until a person replied) and its decision deadline, each
	// when it falls within the task horizon or has passed, the reply's first.
	Deadlines []Deadline
	// Approval is the case's pending extension request when the user may approve it
	// (CanApprove); nil otherwise.
	Approval *complaintbot.ExtensionRequest
}

// Urgent reports whether the task comes before those with deadlines only: a risk flag, or an
// extension to approve.
func (t *CaseTask) Urgent() bool { return t.Case.Risk != nil || t.Approval != nil }

// first is the task's soonest deadline (the far future when it has none).
func (t *CaseTask) first() time.Time {
	if len(t.Deadlines) == 0 {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Deadlines[0].Due
}

// Tasks is the case work waiting for a user (我的任务, besides the follow-ups and the call list).
type Tasks struct {
	// Cases are the case tasks, urgent ones first (Urgent), then the soonest deadline; never nil.
	Cases []CaseTask
	// Reviews are the open reviews (核查) awaiting their result, soonest deadline first, at most
	// ReviewTaskLimit: head office's, so empty (never nil) for everyone else.
	Reviews []storage.ReviewTask
}

// Tasks returns who's case work: of their branches' open cases (head office: all), for an agent
// their own and those nobody has taken yet (a case from WeChat left untouched has no assignee),
// for a supervisor or admin every one; of those, each whose reply deadline (until a person
// replied) or decision deadline falls within the task horizon (Deps.TaskHorizon, the reminders'
// look-ahead) or has passed, or that carries a risk flag, or an extension request who may approve
// (CanApprove). Head office's users also have the open reviews.
func (s *Service) Tasks(ctx context.Context, who complaintbot.Actor) (*Tasks, error) {
	u := who.User
	if u == nil {
		return nil, fmt.Errorf("cases: tasks without a user")
	}
	now := s.clock.Now()
	horizon := now.Add(s.taskHorizon)
	list, err := s.store.ListCases(ctx, storage.CaseFilter{Branches: scope(u), Status: taskStatuses}, 0, 0) // every open case: from the case index
	if err != nil {
		return nil, fmt.Errorf("list the open cases for %s's tasks: %w", u.Name, err)
	}
	own := !u.Role.AtLeast(complaintbot.RoleSupervisor)
	t := &Tasks{Cases: []CaseTask{}, Reviews: []storage.ReviewTask{}}
	for _, cs := range list {
		if !cs.Status.Open() || !u.Covers(cs.Branch.Code) || own && cs.Assignee() != "" && cs.Assignee() != u.Name {
			continue
		}
		var ds []Deadline
		// The reply deadline is met once a person replied (the list carries when).
		if !cs.ReplyDue.IsZero() && cs.ReplyDue.Before(horizon) && cs.RepliedAt == nil {
			ds = append(ds, Deadline{Kind: storage.DeadlineReply, Due: cs.ReplyDue, Overdue: !now.Before(cs.ReplyDue)})
		}
		if !cs.DecisionDue.IsZero() && cs.DecisionDue.Before(horizon) {
			ds = append(ds, Deadline{Kind: storage.DeadlineDecision, Due: cs.DecisionDue, Overdue: !now.Before(cs.DecisionDue)})
		}
		// A risk flag is a task for whoever sees the case here; a pending extension for approvers.
		var approval *complaintbot.ExtensionRequest
		if CanApprove(u) {
			approval = cs.Work.ExtensionRequest
		}
		if len(ds) == 0 && cs.Risk == nil && approval == nil {
			continue
		}
		t.Cases = append(t.Cases, CaseTask{Case: cs, Deadlines: ds, Approval: approval})
	}
	sort.SliceStable(t.Cases, func(i, j int) bool {
		if a, b := t.Cases[i].Urgent(), t.Cases[j].Urgent(); a != b {
			return a
		}
		return t.Cases[i].first().Before(t.Cases[j].first())
	})
	if u.HeadOffice() { // reviews are head office's
		rs, err := s.store.OpenReviewTasks(ctx, ReviewTaskLimit)
		if err != nil {
			return nil, fmt.Errorf("list the open reviews: %w", err)
		}
		t.Reviews = append(t.Reviews, rs...)
	}
	return t, nil
}
