package followups_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func actor(name string, role complaintbot.Role, branches ...string) complaintbot.Actor {
	return complaintbot.Actor{User: &complaintbot.User{Name: name, DisplayName: name, Role: role, Branches: branches}, Addr: "127.0.0.1"}
}

var (
	admin = actor("root", complaintbot.RoleAdmin, complaintbot.HeadOffice)
	sue   = actor("sue", complaintbot.RoleSupervisor, "0101")
	alice = actor("alice", complaintbot.RoleAgent, "0101")
	tom   = actor("tom", complaintbot.RoleSupervisor, "0201")
)

// friday is Friday 4 December 2026, 10:00 in Shanghai: the follow-ups' second working day after
// it is Tuesday 8 December.
var friday = time.Date(2026, 12, 4, 10, 0, 0, 0, complaintbot.Shanghai)

// caseStatus records the case moves the service asks for.
type caseStatus struct {
	number, comment string
	to              complaintbot.Status
}

func (c *caseStatus) SetStatus(_ context.Context, _ complaintbot.Actor, number string, _, to complaintbot.Status, comment string) error {
	c.number, c.to, c.comment = number, to, comment
	return nil
}

type fixture struct {
	s     *followups.Service
	st    *storage.Store
	clock *complaintbot.ManualClock
	cases *caseStatus
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: storagetest.Open(t), clock: complaintbot.NewManualClock(friday), cases: &caseStatus{}}
	f.s = followups.New(followups.Deps{Store: f.st, Clock: f.clock, Log: slog.New(slog.DiscardHandler), Cases: f.cases})
	return f
}

// raise opens the follow-up of a low-rated survey of the branch, at the clock's time, and returns
// its id.
func (f *fixture) raise(t *testing.T, survey, branch, caseNumber string) string {
	t.Helper()
	sv := &complaintbot.Survey{ID: survey, Case: caseNumber, OpenID: "oCust" + survey, Branch: branch, Rating: 1, Low: true}
	if err := f.st.RaiseFollowUp(context.Background(), sv, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return storage.FollowUpID(survey)
}

func (f *fixture) list(t *testing.T, who complaintbot.Actor, state followups.State) *followups.List {
	t.Helper()
	l, err := f.s.List(context.Background(), who.User, state, 1, 25)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A follow-up raised on a Friday is due to the end of Tuesday (the weekend is no working day),
// and overdue from Wednesday; the lists count and limit it so.
func TestFollowUpIsDueTwoWorkingDaysLaterAcrossTheWeekend(t *testing.T) {
	f := newFixture(t)
	id := f.raise(t, "sv1", "0101", "")
	due := time.Date(2026, 12, 8, 23, 59, 59, 999e6, complaintbot.Shanghai)
	if got := f.s.DueBy(friday); !got.Equal(due) {
		t.Fatalf("due by %v, want %v", got, due)
	}
	for _, c := range []struct {
		at      time.Time
		state   followups.State
		overdue int
	}{
		{time.Date(2026, 12, 6, 23, 0, 0, 0, complaintbot.Shanghai), followups.Due, 0},  // Sunday: two calendar days on
		{time.Date(2026, 12, 8, 23, 59, 0, 0, complaintbot.Shanghai), followups.Due, 0}, // the last minute of Tuesday
		{time.Date(2026, 12, 9, 0, 0, 1, 0, complaintbot.Shanghai), followups.Overdue, 1},
	} {
		f.clock.Set(c.at)
		l := f.list(t, sue, followups.All)
		if len(l.Rows) != 1 || l.Rows[0].ID != id || l.Rows[0].State != c.state || l.Overdue != c.overdue || l.Open != 1 || l.Total != 1 {
			t.Fatalf("at %v: %+v, want one follow-up %s, %d overdue", c.at, l, c.state, c.overdue)
		}
		if !l.Rows[0].DueBy.Equal(due) {
			t.Errorf("at %v the row is due by %v", c.at, l.Rows[0].DueBy)
		}
		other := followups.Due
		if c.state == followups.Due {
			other = followups.Overdue
		}
		if l := f.list(t, sue, other); l.Total != 0 || len(l.Rows) != 0 {
			t.Errorf("at %v the %s list holds %+v", c.at, other, l)
		}
	}
	if _, err := f.s.List(context.Background(), sue.User, "later", 1, 25); !errors.Is(err, followups.ErrState) {
		t.Errorf("a list of an unknown state: %v", err)
	}
}

// Open follow-ups come oldest first, then done ones; a page holds size of them; another branch's
// are no one's business but head office's.
func TestFollowUpListsOrderPagesAndScope(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var ids []string
	for _, sv := range []string{"a", "b", "c"} {
		ids = append(ids, f.raise(t, sv, "0101", ""))
		f.clock.Advance(time.Hour)
	}
	f.raise(t, "other", "0201", "")
	yes := true
	if err := f.s.Record(ctx, sue, ids[0], followups.Call{Reached: &yes}); err != nil {
		t.Fatal(err)
	}
	l := f.list(t, sue, followups.All)
	var got []string
	for _, r := range l.Rows {
		got = append(got, r.ID+":"+string(r.State))
	}
	want := ids[1] + ":due," + ids[2] + ":due," + ids[0] + ":done"
	if strings.Join(got, ",") != want || l.Open != 2 || l.Done != 1 {
		t.Errorf("sue's list: %v (open %d, done %d), want %s", got, l.Open, l.Done, want)
	}
	if p, err := f.s.List(ctx, sue.User, followups.All, 2, 2); err != nil || len(p.Rows) != 1 || p.Rows[0].ID != ids[0] || p.Total != 3 {
		t.Errorf("page 2 of 2 a page: %+v %v", p, err)
	}
	if n, err := f.s.List(ctx, sue.User, followups.Open, 1, 0); err != nil || len(n.Rows) != 0 || n.Total != 2 {
		t.Errorf("counting only: %+v %v", n, err)
	}
	if l := f.list(t, admin, followups.All); l.Total != 4 {
		t.Errorf("head office sees %d follow-ups, want 4", l.Total)
	}
}

// Only supervisors and admins of the follow-up's branch work it; a call's record must say whether
// the customer was reached, with a view and note of at most MaxText and a rating 1–5; a done
// follow-up is not taken or recorded again; every action is audited.
func TestFollowUpActionsAreRefusedOutsideTheRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.raise(t, "sv1", "0101", "TS20261204-0001")
	yes, no := true, false
	rating := func(n int) *int { return &n }
	if err := f.s.Take(ctx, alice, id); !errors.Is(err, followups.ErrForbidden) {
		t.Errorf("an agent takes: %v", err)
	}
	if err := f.s.Take(ctx, tom, id); !errors.Is(err, followups.ErrNotFound) {
		t.Errorf("another branch's supervisor takes: %v", err)
	}
	if _, err := f.s.FollowUp(ctx, tom, id); !errors.Is(err, followups.ErrNotFound) {
		t.Errorf("another branch's supervisor reads: %v", err)
	}
	if err := f.s.Take(ctx, sue, "followup:none"); !errors.Is(err, followups.ErrNotFound) {
		t.Errorf("no such follow-up: %v", err)
	}
	for _, c := range []struct {
		call followups.Call
		want error
	}{
		{followups.Call{}, followups.ErrReached},
		{followups.Call{Reached: &yes, View: strings.Repeat("意", followups.MaxText+1)}, followups.ErrTooLong},
		{followups.Call{Reached: &no, Note: strings.Repeat("注", followups.MaxText+1)}, followups.ErrTooLong},
		{followups.Call{Reached: &yes, Rating: rating(0)}, followups.ErrRating},
		{followups.Call{Reached: &yes, Rating: rating(6)}, followups.ErrRating},
	} {
		if err := f.s.Record(ctx, sue, id, c.call); !errors.Is(err, c.want) {
			t.Errorf("record %+v: %v, want %v", c.call, err, c.want)
		}
	}
	if err := f.s.Take(ctx, sue, id); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Record(ctx, sue, id, followups.Call{Reached: &yes, View: "  " + strings.Repeat("意", followups.MaxText) + " ", Rating: rating(4)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.FollowUp(ctx, sue, id)
	if err != nil || got.Status != storage.FollowUpDone || got.DoneBy != "sue" || got.NewRating != 4 || got.Reached == nil || !*got.Reached {
		t.Fatalf("after the call: %+v %v", got, err)
	}
	if err := f.s.Take(ctx, sue, id); !errors.Is(err, followups.ErrFinished) {
		t.Errorf("taking a done one: %v", err)
	}
	if err := f.s.Record(ctx, sue, id, followups.Call{Reached: &yes}); !errors.Is(err, followups.ErrFinished) {
		t.Errorf("recording a done one: %v", err)
	}
	audit, err := f.st.AuditLog(ctx, storage.AuditFilter{TargetType: followups.AuditTarget, Target: id})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action+":"+e.After)
	}
	if got := strings.Join(actions, ","); got != followups.AuditDone+":reached=true rating=4,"+followups.AuditTake+":sue" {
		t.Errorf("the audit trail: %s", got)
	}
	if followups.Audit.Actions[followups.AuditTake] != "领取回访" || followups.Audit.TargetName != "回访" {
		t.Errorf("the audit names: %s %s", followups.Audit.Actions[followups.AuditTake], followups.Audit.TargetName)
	}
}

// Reopening asks the case workflow to reopen the follow-up's case, with the note cut to
// MaxReopenNote; a conversation's follow-up has no case, and without a case workflow none is
// reopened.
func TestFollowUpReopensItsCaseThroughTheCaseWorkflow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.raise(t, "sv1", "0101", "TS20261204-0001")
	if err := f.s.Reopen(ctx, alice, id, ""); !errors.Is(err, followups.ErrForbidden) {
		t.Errorf("an agent reopens: %v", err)
	}
	if err := f.s.Reopen(ctx, sue, id, " "+strings.Repeat("因", followups.MaxReopenNote+5)); err != nil {
		t.Fatal(err)
	}
	if want := "回访后重新处理：" + strings.Repeat("因", followups.MaxReopenNote) + "…"; f.cases.number != "TS20261204-0001" ||
		f.cases.to != complaintbot.StatusReopened || f.cases.comment != want {
		t.Errorf("the case workflow was asked %+v", f.cases)
	}
	conv := f.raise(t, "conv", "0101", "")
	if err := f.s.Reopen(ctx, sue, conv, ""); !errors.Is(err, followups.ErrNoCase) {
		t.Errorf("reopening a conversation's: %v", err)
	}
	none := followups.New(followups.Deps{Store: f.st, Clock: f.clock})
	if err := none.Reopen(ctx, sue, id, ""); !errors.Is(err, followups.ErrNoCases) {
		t.Errorf("without a case workflow: %v", err)
	}
}
