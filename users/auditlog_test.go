package users_test

import (
	"context"
	"slices"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

// Who sees which audit entries: an agent not the trail; a branch's supervisor the entries of
// their branch's cases and conversations, not another branch's nor the accounts'; a supervisor of
// head office every branch's; an admin everything.
func TestAuditLogShowsEachOneTheirBranches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, e := range []storage.AuditEntry{
		{Action: "case.accept", TargetType: "case", Target: "A1", Branch: "0101"},
		{Action: "case.accept", TargetType: "case", Target: "B1", Branch: "0201"},
		{Action: "conversation.claim", TargetType: "conversation", Target: "C0", Branch: "0201"},
		{Action: "user.add", TargetType: "user", Target: "bob"},
	} {
		e.At, e.User = f.clock.Now(), "someone"
		if err := f.store.Audit(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	targets := func(who complaintbot.Actor, q users.AuditQuery) ([]string, error) {
		es, _, err := f.AuditLog(ctx, who, q)
		var out []string
		for _, e := range es {
			out = append(out, e.Target)
		}
		slices.Sort(out)
		return out, err
	}
	as := func(role complaintbot.Role, branches ...string) complaintbot.Actor {
		return complaintbot.Actor{User: &complaintbot.User{Name: "x", Role: role, Branches: branches}}
	}
	if _, err := targets(as(complaintbot.RoleAgent, "0101"), users.AuditQuery{}); code(err) != users.Forbidden {
		t.Fatalf("an agent reads the audit trail: %v", err)
	}
	if got, err := targets(as(complaintbot.RoleSupervisor, "0101"), users.AuditQuery{}); err != nil || !slices.Equal(got, []string{"A1"}) {
		t.Fatalf("a supervisor of 0101 sees %v (%v), want only A1", got, err)
	}
	if _, err := targets(as(complaintbot.RoleSupervisor, "0101"), users.AuditQuery{TargetType: "user"}); code(err) != users.Forbidden {
		t.Fatalf("a supervisor reads the accounts' entries: %v", err)
	}
	if got, err := targets(as(complaintbot.RoleSupervisor, complaintbot.HeadOffice), users.AuditQuery{}); err != nil || !slices.Equal(got, []string{"A1", "B1", "C0"}) {
		t.Fatalf("a supervisor of head office sees %v (%v), want A1 B1 C0", got, err)
	}
	if got, err := targets(as(complaintbot.RoleAdmin, "0101"), users.AuditQuery{Target: " bob "}); err != nil || !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("an admin sees %v (%v), want bob", got, err)
	}
}
