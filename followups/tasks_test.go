package followups_test

import (
	"context"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// The open follow-ups of a branch are its supervisor's tasks, not its agents' (they read them,
// they do not work them), nor another branch's supervisor's; done ones are no task.
func TestFollowUpTasksAreTheSupervisors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	open := f.raise(t, "sv-1", "0101", "TS20261204-0001")
	done := f.raise(t, "sv-2", "0101", "TS20261204-0002")
	if err := f.st.RecordFollowUp(ctx, done, "sue", storage.FollowUpCall{Reached: true}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		who  complaintbot.Actor
		want int
	}{{"sue", sue, 1}, {"alice", alice, 0}, {"tom", tom, 0}} {
		l, err := f.s.Tasks(ctx, c.who, 20)
		if err != nil {
			t.Fatal(err)
		}
		if l.Open != c.want || len(l.Rows) != c.want || c.want == 1 && l.Rows[0].ID != open || l.Rows == nil {
			t.Fatalf("%s's follow-up tasks: %d open, rows %+v; want %d", c.name, l.Open, l.Rows, c.want)
		}
	}
	// Counting only (size 0) reads no follow-up.
	if l, err := f.s.Tasks(ctx, sue, 0); err != nil || l.Open != 1 || len(l.Rows) != 0 {
		t.Fatalf("sue's follow-up tasks counted: %v %+v", err, l)
	}
}
