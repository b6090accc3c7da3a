package calls_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func actor(name string, role complaintbot.Role, branches ...string) complaintbot.Actor {
	return complaintbot.Actor{User: &complaintbot.User{Name: name, DisplayName: name, Role: role, Branches: branches}, Addr: "127.0.0.1"}
}

var (
	admin = actor("root", complaintbot.RoleAdmin, complaintbot.HeadOffice)
	alice = actor("alice", complaintbot.RoleAgent, "0101")
	carol = actor("carol", complaintbot.RoleAgent, "0201")
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, complaintbot.Shanghai)

type fixture struct {
	s     *calls.Service
	st    *storage.Store
	clock *complaintbot.ManualClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: storagetest.Open(t), clock: complaintbot.NewManualClock(t0)}
	f.s = calls.New(calls.Deps{Store: f.st, Clock: f.clock, Log: slog.New(slog.DiscardHandler)})
	return f
}

// caseOf registers a WeChat case of the customer at the branch, with a phone number.
func (f *fixture) caseOf(t *testing.T, number, openID, branch string) {
	t.Helper()
	if err := f.st.InsertCase(context.Background(), &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint,
		Status: complaintbot.StatusReceived, OpenID: openID, Branch: complaintbot.Branch{Code: branch, Name: branch},
		Fields: map[string]string{complaintbot.FieldPhone: "13812345678"}, Channel: complaintbot.ReceivedWeChat, Received: t0,
		SourceTurn: "turn:" + number, Updated: t0}); err != nil {
		t.Fatal(err)
	}
}

// undeliverable stores a message to the customer, of the case, that no channel could carry.
func (f *fixture) undeliverable(t *testing.T, id, openID, number string) {
	t.Helper()
	done := f.clock.Now()
	if _, err := f.st.Enqueue(context.Background(), &complaintbot.OutboxMessage{ID: id, OpenID: openID, CaseNumber: number,
		Text: "您的投诉已受理", Purpose: complaintbot.PurposeNotice, Status: complaintbot.OutboxUndeliverable, Created: done, Done: &done}); err != nil {
		t.Fatal(err)
	}
}

// A message of a case of 城西支行 (0201) is on that branch's call list and head office's, not on
// 城东支行's; an agent of 0101 cannot act on it, one of 0201 can; once closed it leaves the list.
func TestCallListActionsStayInTheBranch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.caseOf(t, "TS20261204-0001", "oCustB0002", "0201")
	f.undeliverable(t, "notice:oCustB0002#1", "oCustB0002", "TS20261204-0001")
	for who, want := range map[*complaintbot.Actor]int{&alice: 0, &carol: 1, &admin: 1} {
		l, err := f.s.List(ctx, who.User, false, 1, 25)
		if err != nil || l.Total != want || len(l.Rows) != want {
			t.Fatalf("%s's call list: %+v %v, want %d", who.Name(), l, err, want)
		}
		if want == 1 && (l.Rows[0].Branch != "0201" || l.Rows[0].Phone != "13812345678") {
			t.Errorf("the row: %+v", l.Rows[0])
		}
	}
	for _, a := range []calls.Action{calls.Resend, calls.Called, calls.Close} {
		if err := f.s.Act(ctx, alice, "notice:oCustB0002#1", a, "打过电话"); !errors.Is(err, calls.ErrNotFound) {
			t.Errorf("alice (0101) %s on 0201's message: %v", a, err)
		}
	}
	if err := f.s.Act(ctx, carol, "notice:oCustB0002#1", calls.Close, ""); err != nil {
		t.Fatal(err)
	}
	if l, err := f.s.List(ctx, carol.User, false, 1, 25); err != nil || l.Total != 0 || len(l.Rows) != 0 {
		t.Errorf("after closing: %+v %v", l, err)
	}
	if err := f.s.Act(ctx, carol, "notice:oCustB0002#1", calls.Close, ""); !errors.Is(err, calls.ErrHandled) {
		t.Errorf("closing it again: %v", err)
	}
	audit, err := f.st.AuditLog(ctx, storage.AuditFilter{TargetType: calls.AuditTarget})
	if err != nil || len(audit) != 1 {
		t.Fatalf("the audit trail: %+v %v", audit, err)
	}
	if e := audit[0]; e.Action != calls.AuditClose || e.User != "carol" || e.Branch != "0201" || strings.Contains(e.Target, "oCustB0002") ||
		e.Before != string(complaintbot.OutboxUndeliverable) || e.After != string(complaintbot.OutboxHandled) {
		t.Errorf("the audit entry (the openid masked): %+v", e)
	}
}

// Marking called needs a note of the call, every note is at most MaxNote, a message is resent
// only while the customer's messaging window is open, and an unknown action is refused; none of
// them takes the message off the list.
func TestCallListActionsAreRefusedOutsideTheRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.undeliverable(t, "notice:oCustA0001#1", "oCustA0001", "") // no case: head office's
	for _, c := range []struct {
		action calls.Action
		note   string
		want   error
	}{
		{calls.Called, "   ", calls.ErrNoteEmpty},
		{calls.Close, strings.Repeat("注", calls.MaxNote+1), calls.ErrNoteTooLong},
		{calls.Resend, "", calls.ErrWindowClosed},
		{"delete", "", calls.ErrAction},
	} {
		if err := f.s.Act(ctx, admin, "notice:oCustA0001#1", c.action, c.note); !errors.Is(err, c.want) {
			t.Errorf("%s with %q: %v, want %v", c.action, c.note, err, c.want)
		}
	}
	if err := f.s.Act(ctx, carol, "notice:oCustA0001#1", calls.Close, ""); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("a branch's agent on head office's message: %v", err)
	}
	if err := f.s.Act(ctx, admin, "notice:none", calls.Close, ""); !errors.Is(err, calls.ErrNotFound) {
		t.Errorf("no such message: %v", err)
	}
	if l, err := f.s.List(ctx, admin.User, false, 1, 25); err != nil || l.Total != 1 {
		t.Fatalf("after the refusals: %+v %v", l, err)
	}
	if err := f.s.Act(ctx, admin, "notice:oCustA0001#1", calls.Called, " 已告知客户 "); err != nil {
		t.Fatal(err)
	}
	m, err := f.st.OutboxMessage(ctx, "notice:oCustA0001#1")
	if err != nil || m.Status != complaintbot.OutboxHandled {
		t.Fatalf("after marking called: %+v %v", m, err)
	}
	if calls.Audit.Actions[calls.AuditCalled] != "已电话联系客户" || calls.Audit.TargetName != "待联系消息" {
		t.Errorf("the audit names: %s %s", calls.Audit.Actions[calls.AuditCalled], calls.Audit.TargetName)
	}
}
