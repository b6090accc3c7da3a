package erasures_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func actor(name string, role complaintbot.Role, branches ...string) complaintbot.Actor {
	return complaintbot.Actor{User: &complaintbot.User{Name: name, DisplayName: name, Role: role, Branches: branches}, Addr: "127.0.0.1"}
}

var (
	admin = actor("root", complaintbot.RoleAdmin, complaintbot.HeadOffice)
	sue   = actor("sue", complaintbot.RoleSupervisor, complaintbot.HeadOffice)
	alice = actor("alice", complaintbot.RoleAgent, "0101")
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, complaintbot.Shanghai)

// number is a case an agent registered from a phone call: no openid.
const number = "TS20261204-0001"

func newService(t *testing.T) (*erasures.Service, *storage.Store) {
	t.Helper()
	st := storagetest.Open(t)
	if err := st.InsertCase(context.Background(), &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint,
		Status: complaintbot.StatusReceived, Channel: complaintbot.ReceivedPhone, Branch: complaintbot.Branch{Code: "0101"},
		Fields: map[string]string{complaintbot.FieldPhone: "13812345678"}, Received: t0, SourceTurn: "form:" + number, Updated: t0}); err != nil {
		t.Fatal(err)
	}
	return erasures.New(erasures.Deps{Store: st, Clock: complaintbot.NewManualClock(t0), Log: slog.New(slog.DiscardHandler)}), st
}

// Only admins erase; what they type must name someone who is there.
func TestErasureIsRefusedToOthersAndForNoOne(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, c := range []struct {
		who   complaintbot.Actor
		query string
		want  error
	}{
		{alice, number, erasures.ErrForbidden},
		{sue, number, erasures.ErrForbidden},
		{admin, "  ", erasures.ErrNoQuery},
		{admin, "王先生", erasures.ErrUnrecognised},
		{admin, "12345", erasures.ErrUnrecognised}, // too short for a phone, an openid or a case number
		{admin, "oNobody0001", erasures.ErrNoOne},
		{admin, "TS20261204-0099", erasures.ErrNoOne},
		{admin, "13900000000", erasures.ErrNoOne},
	} {
		if _, err := s.Preview(ctx, c.who, c.query); !errors.Is(err, c.want) {
			t.Errorf("%s previews %q: %v, want %v", c.who.Name(), c.query, err, c.want)
		}
		if _, err := s.Request(ctx, c.who, c.query, "whatever"); !errors.Is(err, c.want) {
			t.Errorf("%s requests %q: %v, want %v", c.who.Name(), c.query, err, c.want)
		}
	}
	if _, err := s.Requests(ctx, sue, 10); !errors.Is(err, erasures.ErrForbidden) {
		t.Errorf("a supervisor lists the requests: %v", err)
	}
	if _, err := s.Get(ctx, admin, "ER-none"); !errors.Is(err, erasures.ErrNoRequest) {
		t.Errorf("an unknown request: %v", err)
	}
}

// The preview's code confirms the erasure it previewed and nothing else: a wrong code records no
// request and writes no audit entry; the right one (spaces around it allowed) records the request
// after its audit entry.
func TestErasureNeedsThePreviewsCode(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	p, err := s.Preview(ctx, admin, " "+number+" ")
	if err != nil {
		t.Fatal(err)
	}
	if p.Customer != "" || p.By != number || !slices.Equal(p.Cases, []string{number}) || !slices.Equal(p.AgentCases, []string{number}) ||
		len(p.Confirm) != 12 || p.Query != number || p.Subject() != number {
		t.Fatalf("the preview: %+v", p)
	}
	again, err := s.Preview(ctx, admin, number)
	if err != nil || again.Confirm != p.Confirm {
		t.Fatalf("a second preview's code %q, want %q (%v)", again.Confirm, p.Confirm, err)
	}
	for _, code := range []string{"", "000000000000", p.Confirm[:11], p.Confirm + "0"} {
		if _, err := s.Request(ctx, admin, number, code); !errors.Is(err, erasures.ErrCode) {
			t.Errorf("confirmed with %q: %v", code, err)
		}
	}
	if rs, err := s.Requests(ctx, admin, 0); err != nil || len(rs) != 0 {
		t.Fatalf("wrong codes recorded requests: %+v %v", rs, err)
	}
	if audit, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: erasures.AuditTarget}); err != nil || len(audit) != 0 {
		t.Fatalf("wrong codes were audited: %+v %v", audit, err)
	}
	r, err := s.Request(ctx, admin, number, " "+p.Confirm+" ")
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != number || !slices.Equal(r.AgentCases, []string{number}) || len(r.OpenIDs) != 0 || r.RequestedBy != "root" || !r.RequestedAt.Equal(t0) {
		t.Errorf("the request: %+v", r)
	}
	if got, err := s.Get(ctx, admin, r.ID); err != nil || got.ID != r.ID {
		t.Errorf("reading it back: %+v %v", got, err)
	}
	audit, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: erasures.AuditTarget})
	if err != nil || len(audit) != 1 || audit[0].Action != erasures.AuditRequest || audit[0].Target != number || audit[0].User != "root" {
		t.Fatalf("the audit trail: %+v %v", audit, err)
	}
	if erasures.Audit.Actions[erasures.AuditRequest] != "申请删除客户个人信息" || erasures.Audit.TargetName != "客户" {
		t.Errorf("the audit names: %s %s", erasures.Audit.Actions[erasures.AuditRequest], erasures.Audit.TargetName)
	}
}
