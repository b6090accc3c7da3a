package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Every guarded change to a case — an agent's action on its revision, the scheduler's overdue
// mark and escalation, a reopening, the first reply, a wait on the customer — reaches the case on
// the main connection by _id alone: on the embedded server any other filter read every case (16 s
// an action on a year of cases, with the customers waiting behind it). And each guard still
// holds: a stale revision or status is refused, a mark made once is not made again.
func TestGuardedCaseChangesWriteOnlyByID(t *testing.T) {
	ctx := context.Background()
	st, watch := openWatched(t, "guarded", false)
	if !st.Embedded() {
		t.Skip("MongoDB checks the guards in the update's own filter, by index")
	}
	c := testCase(1, "0101", t0)
	if err := st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	investigating, resolved := complaintbot.StatusInvestigating, complaintbot.StatusResolved
	alice := "alice"
	later := t0.Add(time.Hour)

	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	step("accept", st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: 0, FromStatus: complaintbot.StatusReceived, Status: &investigating, Assignee: &alice, At: t0}))
	if err := st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: 0, Status: &investigating, At: t0}); !errors.Is(err, storage.ErrCaseChanged) {
		t.Errorf("a change on a stale revision: %v, want ErrCaseChanged", err)
	}
	if err := st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: 1, FromStatus: complaintbot.StatusReceived, Status: &resolved, At: t0}); !errors.Is(err, storage.ErrCaseChanged) {
		t.Errorf("a change from a status the case left: %v, want ErrCaseChanged", err)
	}
	step("mark overdue", st.MarkOverdue(ctx, c.Number, storage.DeadlineReply, t0))
	step("mark overdue again", st.MarkOverdue(ctx, c.Number, storage.DeadlineReply, later))
	did, err := st.EscalateOverdue(ctx, c.Number, storage.DeadlineReply, t0)
	step("escalate", err)
	again, err := st.EscalateOverdue(ctx, c.Number, storage.DeadlineReply, later)
	step("escalate again", err)
	if !did || again {
		t.Errorf("escalations for the missed reply date: first %v, second %v; want true, false", did, again)
	}
	step("reply", st.MarkReplied(ctx, c.Number, t0))
	step("reply again", st.MarkReplied(ctx, c.Number, later))
	step("wait", st.WaitOnCustomer(ctx, c.Number, t0))
	step("wait again", st.WaitOnCustomer(ctx, c.Number, later))
	waited, err := st.StopWaiting(ctx, c.Number, t0.Add(30*time.Minute), true)
	step("stop waiting", err)
	waitedAgain, err := st.StopWaiting(ctx, c.Number, later, true)
	step("stop waiting again", err)
	if waited != 30*time.Minute || waitedAgain != 0 {
		t.Errorf("waits: %v then %v, want 30m then 0", waited, waitedAgain)
	}
	rec, err := st.ScanCase(ctx, c.Number)
	step("read", err)
	step("resolve", st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: rec.Work.Rev, FromStatus: complaintbot.StatusEscalated, Status: &resolved, At: later}))
	reopened, err := st.ReopenCase(ctx, c.Number, "low_rating", "S1", later)
	step("reopen", err)
	reopenedAgain, err := st.ReopenCase(ctx, c.Number, "low_rating", "S1", later)
	step("reopen again", err)
	if !reopened || reopenedAgain {
		t.Errorf("reopenings for one survey: %v, %v; want true, false", reopened, reopenedAgain)
	}

	rec, err = st.ScanCase(ctx, c.Number)
	step("read", err)
	if !rec.Missed[storage.DeadlineReply].Equal(t0) || rec.RepliedAt == nil || !rec.RepliedAt.Equal(t0) || rec.WaitingSince != nil ||
		rec.Status != complaintbot.StatusReopened || rec.Work.Assignee != "alice" || rec.Escalation.Reason != "overdue_reply" {
		t.Errorf("the case after the changes: missed %v, replied %v, waiting %v, status %s, assignee %q, escalation %+v",
			rec.Missed, rec.RepliedAt, rec.WaitingSince, rec.Status, rec.Work.Assignee, rec.Escalation)
	}
	for _, s := range watch.seen("cases", "surveys") {
		t.Errorf("%s on %s filters on more than _id", s.Name, s.Collection)
	}
}
