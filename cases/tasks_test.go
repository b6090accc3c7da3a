package cases_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// task inserts an open case of the branch received at t0 (reply due 2 Dec, decision 12 Dec)
// with the assignee ("" none).
func (e *env) task(number, branch, assignee string, edit func(*complaintbot.Case)) {
	e.t.Helper()
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: "oCust" + number,
		Channel: "wechat", Branch: complaintbot.Branch{Code: branch}, Received: t0,
		ReplyDue:    time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai),
		DecisionDue: time.Date(2026, 12, 12, 23, 59, 59, 0, complaintbot.Shanghai),
		SourceTurn:  "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: t0}
	c.Work.Assignee = assignee
	if edit != nil {
		edit(c)
	}
	if err := e.st.InsertCase(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}

// taskNumbers returns the numbers of who's case tasks, in order, with their first deadline's
// kind ("" none), and the reviews' ids.
func taskNumbers(t *testing.T, svc *cases.Service, who complaintbot.Actor) (numbers, kinds, reviews []string) {
	t.Helper()
	ts, err := svc.Tasks(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ts.Cases {
		numbers = append(numbers, c.Case.Number)
		k := ""
		if len(c.Deadlines) > 0 {
			k = c.Deadlines[0].Kind
		}
		kinds = append(kinds, k)
	}
	for _, r := range ts.Reviews {
		reviews = append(reviews, r.ID)
	}
	return numbers, kinds, reviews
}

// An agent's tasks are their own cases and their branch's untaken ones whose deadline is within
// the horizon or past, a risk flag first; not a colleague's case, not another branch's. A
// supervisor has every case of their branch, and the extension requests to approve; head office
// the open reviews besides.
func TestTasksAreTheUsersCasesAndTheBranchsUntakenOnes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.task("T-OWN", "0101", "alice", func(c *complaintbot.Case) { c.ReplyDue = time.Date(2026, 12, 2, 18, 0, 0, 0, complaintbot.Shanghai) })
	e.task("T-UNTAKEN", "0101", "", nil)
	e.task("T-BOBS", "0101", "bob", nil)
	e.task("T-OTHER", "0201", "", nil)
	e.task("T-RISK", "0101", "", func(c *complaintbot.Case) {
		c.ReplyDue, c.DecisionDue = t0.AddDate(0, 1, 0), t0.AddDate(0, 2, 0) // no deadline soon: a task for its flag
		c.Risk = &complaintbot.Risk{Reason: complaintbot.RiskWords, Words: []string{"媒体"}, By: "bot", At: t0}
	})
	e.task("T-EXTEND", "0101", "alice", func(c *complaintbot.Case) { // her request is her supervisor's task, not hers
		c.ReplyDue, c.DecisionDue = t0.AddDate(0, 1, 0), t0.AddDate(0, 2, 0)
		c.Work.ExtensionRequest = &complaintbot.ExtensionRequest{Due: t0.AddDate(0, 2, 10), Reason: "复杂", By: "alice", At: t0}
	})
	if err := e.st.PutReviewTask(ctx, &storage.ReviewTask{ID: "HC-1", Case: "T-OWN", Branch: "0101", Requested: t0, Due: t0.AddDate(0, 0, 30)}); err != nil {
		t.Fatal(err)
	}
	alice := e.actor("alice")
	sue := complaintbot.Actor{User: &complaintbot.User{Name: "sue", Role: complaintbot.RoleSupervisor, Branches: []string{"0101"}}}
	hq := complaintbot.Actor{User: &complaintbot.User{Name: "hank", Role: complaintbot.RoleSupervisor, Branches: []string{complaintbot.HeadOffice}}}

	if got, _, reviews := taskNumbers(t, e.svc, alice); !slices.Equal(got, []string{"T-RISK"}) || len(reviews) != 0 {
		t.Fatalf("alice's tasks five days before the reply date: %v %v, want the risk flag only", got, reviews)
	}
	e.clock.Set(time.Date(2026, 12, 2, 12, 0, 0, 0, complaintbot.Shanghai)) // half a day before the reply date
	if got, kinds, _ := taskNumbers(t, e.svc, alice); !slices.Equal(got, []string{"T-RISK", "T-OWN", "T-UNTAKEN"}) || kinds[1] != storage.DeadlineReply {
		t.Fatalf("alice's tasks half a day before the reply date: %v %v, want the risk flag, her own case and the branch's untaken one", got, kinds)
	}
	got, _, reviews := taskNumbers(t, e.svc, sue)
	if len(got) == 5 {
		slices.Sort(got[:2]) // the urgent ones, in the list's order
		slices.Sort(got[3:]) // the same deadlines, in the list's order
	}
	if !slices.Equal(got, []string{"T-EXTEND", "T-RISK", "T-OWN", "T-BOBS", "T-UNTAKEN"}) || len(reviews) != 0 {
		t.Fatalf("sue's tasks: %v %v, want every case of 0101 and the extension to approve, no review", got, reviews)
	}
	if got, _, reviews := taskNumbers(t, e.svc, hq); len(got) != 6 || !slices.Contains(got, "T-OTHER") || !slices.Equal(reviews, []string{"HC-1"}) {
		t.Fatalf("head office's tasks: %v %v, want every case and the open review", got, reviews)
	}

	// The horizon is the reminders' look-ahead: with two days, a case is a task 36 hours ahead.
	e.clock.Set(time.Date(2026, 12, 1, 12, 0, 0, 0, complaintbot.Shanghai))
	if got, _, _ := taskNumbers(t, e.svc, alice); slices.Contains(got, "T-OWN") {
		t.Fatalf("alice's tasks 36 hours ahead with a day's horizon: %v", got)
	}
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wide := cases.New(cases.Deps{Store: e.st, Engine: engine, Clock: e.clock, TaskHorizon: 48 * time.Hour})
	if got, _, _ := taskNumbers(t, wide, alice); !slices.Equal(got, []string{"T-RISK", "T-OWN", "T-UNTAKEN"}) {
		t.Fatalf("alice's tasks 36 hours ahead with two days' horizon: %v", got)
	}
}
