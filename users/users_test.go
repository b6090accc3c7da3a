package users_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/users"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai)

type fixture struct {
	*users.Service
	store *storage.Store
	clock *complaintbot.ManualClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	svc := users.New(users.Deps{Store: st, Clock: clock, Config: config.Default().Console,
		Branches: []complaintbot.Branch{{Code: "0101", Name: "城东支行"}, {Code: "0201", Name: "城西支行"}}})
	return &fixture{Service: svc, store: st, clock: clock}
}

func code(err error) users.Code {
	var e *users.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func (f *fixture) add(t *testing.T, name string, role complaintbot.Role, pw string) *complaintbot.User {
	t.Helper()
	u, err := f.AddUser(context.Background(), complaintbot.CLI, users.NewUser{Name: name, Role: role, Branches: []string{"0101"}, Password: pw})
	if err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	return u
}

func (f *fixture) audited(t *testing.T, target, action string) bool {
	t.Helper()
	entries, err := f.store.AuditLog(context.Background(), storage.AuditFilter{TargetType: "user", Target: target, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == action {
			return true
		}
	}
	return false
}

// An account an admin created (or whose password an admin reset) keeps that password only until
// its user chooses their own; the first admin from the environment is the operator's own.
func TestAPasswordSomeoneElseChoseMustBeChanged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := complaintbot.Actor{User: f.add(t, "root", complaintbot.RoleAdmin, "root-initial-pw"), Addr: "10.0.0.1"}
	u := f.add(t, "alice", complaintbot.RoleAgent, "first-given-pw")
	if !u.MustChangePassword {
		t.Fatal("an admin-created account need not change its password")
	}
	u, err := f.Login(ctx, "alice", "first-given-pw", "10.0.0.2")
	if err != nil || !u.MustChangePassword {
		t.Fatalf("login: %v %+v", err, u)
	}
	_, keep, err := f.NewSession(ctx, u, users.Cookie, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := f.NewSession(ctx, u, users.Bearer, "10.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	alice := complaintbot.Actor{User: u, Addr: "10.0.0.2"}
	if err := f.ChangePassword(ctx, alice, keep.ID, "wrong-password", "my-own-secret-9"); code(err) != users.Invalid {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := f.ChangePassword(ctx, alice, keep.ID, "first-given-pw", "first-given-pw"); code(err) != users.Invalid {
		t.Fatalf("same password again: %v", err)
	}
	if err := f.ChangePassword(ctx, alice, keep.ID, "first-given-pw", "12345678"); code(err) != users.Invalid {
		t.Fatalf("a common password: %v", err)
	}
	if err := f.ChangePassword(ctx, alice, keep.ID, "first-given-pw", "my-own-secret-9"); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.User(ctx, "alice"); u.MustChangePassword {
		t.Fatal("still must change after changing")
	}
	if _, err := f.Login(ctx, "alice", "first-given-pw", "10.0.0.2"); code(err) != users.Unauthenticated {
		t.Fatalf("old password: %v", err)
	}
	if _, err := f.Login(ctx, "alice", "my-own-secret-9", "10.0.0.2"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	// The session used to change it stays; the others end.
	if _, _, err := f.Session(ctx, other, users.Bearer, true); !errors.Is(err, users.ErrNoSession) {
		t.Fatalf("the other session after the change: %v", err)
	}
	if !f.audited(t, "alice", "user.password_change") {
		t.Fatal("the change is not in the audit trail")
	}

	// An admin's reset makes it a given password again; an admin resetting their own does not.
	if err := f.SetPassword(ctx, admin, "alice", "reset-by-admin-7"); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.User(ctx, "alice"); !u.MustChangePassword {
		t.Fatal("a reset password need not be changed")
	}
	if err := f.SetPassword(ctx, admin, "root", "root-chosen-pw-2"); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.User(ctx, "root"); u.MustChangePassword {
		t.Fatal("an admin's own new password must be changed again")
	}
	// Only admins manage accounts.
	if err := f.SetPassword(ctx, alice, "root", "taken-over-pw-1"); code(err) != users.Forbidden {
		t.Fatalf("an agent resets the admin's password: %v", err)
	}
	if _, err := f.AddUser(ctx, alice, users.NewUser{Name: "mallory", Role: complaintbot.RoleAdmin, Branches: []string{"HQ"}, Password: "mallory-pw-2026"}); code(err) != users.Forbidden {
		t.Fatalf("an agent adds an admin: %v", err)
	}
}

func TestTheFirstAdminFromTheEnvironmentKeepsTheirPassword(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.Bootstrap(ctx, "12345678"); err == nil {
		t.Fatal("a common first admin password was accepted")
	}
	if err := f.Bootstrap(ctx, "first-admin-pw"); err != nil {
		t.Fatal(err)
	}
	u, err := f.Login(ctx, "admin", "first-admin-pw", "127.0.0.1")
	if err != nil || u.MustChangePassword || u.Role != complaintbot.RoleAdmin {
		t.Fatalf("first admin: %v %+v", err, u)
	}
}

// Failures lock the account whatever address they come from, and the address whatever account
// they try; an admin's unlock frees the account and the addresses its failures locked.
func TestLockOutAndAnAdminsUnlock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := complaintbot.Actor{User: f.add(t, "root", complaintbot.RoleAdmin, "root-initial-pw"), Addr: "10.0.0.1"}
	f.add(t, "alice", complaintbot.RoleAgent, "alice-given-pw")
	f.add(t, "bob", complaintbot.RoleAgent, "bob-given-pw-1")
	for i, a := range []string{"10.0.0.21", "10.0.0.22", "10.0.0.23", "10.0.0.24", "10.0.0.2"} {
		if _, err := f.Login(ctx, "alice", "wrong", a); code(err) != users.Unauthenticated {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := f.Login(ctx, "alice", "alice-given-pw", "10.0.0.99"); code(err) != users.LockedOut {
		t.Fatalf("locked account from another address: %v", err)
	}
	locks, err := f.Locks(ctx, admin)
	if err != nil || locks["alice"].IsZero() || !locks["bob"].IsZero() {
		t.Fatalf("locks: %v %v", locks, err)
	}
	// Another address is locked after five failures on any accounts.
	for _, name := range []string{"bob", "carol", "dave", "erin", "frank"} {
		_, _ = f.Login(ctx, name, "wrong", "10.0.0.50")
	}
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.50"); code(err) != users.LockedOut {
		t.Fatalf("locked address: %v", err)
	}
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.51"); err != nil {
		t.Fatalf("bob from his own address: %v", err)
	}

	if err := f.Unlock(ctx, complaintbot.Actor{User: &complaintbot.User{Name: "bob", Role: complaintbot.RoleAgent}}, "alice"); code(err) != users.Forbidden {
		t.Fatalf("an agent unlocks: %v", err)
	}
	if err := f.Unlock(ctx, admin, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unlock an unknown user: %v", err)
	}
	if err := f.Unlock(ctx, admin, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, "alice", "alice-given-pw", "10.0.0.2"); err != nil {
		t.Fatalf("after the unlock, from her own desk: %v", err)
	}
	if locks, _ := f.Locks(ctx, admin); len(locks) != 0 {
		t.Fatalf("locks after the unlock: %v", locks)
	}
	if !f.audited(t, "alice", "user.unlock") {
		t.Fatal("the unlock is not in the audit trail")
	}
	// Bob mistypes five times at his desk: the account and the desk's address are locked; the
	// unlock frees both.
	for range 5 {
		_, _ = f.Login(ctx, "bob", "wrong", "10.0.0.60")
	}
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.60"); code(err) != users.LockedOut {
		t.Fatalf("bob locked out: %v", err)
	}
	if err := f.Unlock(ctx, admin, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.60"); err != nil {
		t.Fatalf("bob after the unlock, from his desk: %v", err)
	}
	// Without an unlock, the lock-out ends by itself.
	for range 5 {
		_, _ = f.Login(ctx, "bob", "wrong", "10.0.0.70")
	}
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.71"); code(err) != users.LockedOut {
		t.Fatalf("bob locked out again: %v", err)
	}
	f.clock.Advance(16 * time.Minute)
	if _, err := f.Login(ctx, "bob", "bob-given-pw-1", "10.0.0.70"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
}

// A logout whose session cannot be deleted says so (the session would still work).
func TestEndSessionReportsAFailedDelete(t *testing.T) {
	f := newFixture(t)
	u := f.add(t, "alice", complaintbot.RoleAgent, "alice-given-pw")
	token, s, err := f.NewSession(context.Background(), u, users.Bearer, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.EndSession(gone, complaintbot.Actor{User: u}, s.ID); err == nil {
		t.Fatal("a failed logout reported success")
	}
	if _, _, err := f.Session(context.Background(), token, users.Bearer, false); err != nil {
		t.Fatalf("the session should still be there: %v", err)
	}
	if err := f.EndSession(context.Background(), complaintbot.Actor{User: u}, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Session(context.Background(), token, users.Bearer, false); !errors.Is(err, users.ErrNoSession) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestSessionsExpireWhenIdleAndEndForDisabledUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := complaintbot.Actor{User: f.add(t, "root", complaintbot.RoleAdmin, "root-initial-pw")}
	u := f.add(t, "alice", complaintbot.RoleAgent, "alice-given-pw")
	token, _, err := f.NewSession(ctx, u, users.Cookie, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Session(ctx, token, users.Bearer, true); !errors.Is(err, users.ErrNoSession) {
		t.Fatalf("a cookie token used as a bearer token: %v", err)
	}
	f.clock.Advance(29 * time.Minute)
	if _, _, err := f.Session(ctx, token, users.Cookie, true); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(29 * time.Minute)
	if _, _, err := f.Session(ctx, token, users.Cookie, true); err != nil {
		t.Fatalf("kept alive by use: %v", err)
	}
	if err := f.SetDisabled(ctx, admin, "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Session(ctx, token, users.Cookie, true); code(err) != users.Unauthenticated {
		t.Fatalf("a disabled user's session: %v", err)
	}
	if err := f.SetDisabled(ctx, admin, "root", true); code(err) != users.Invalid {
		t.Fatalf("an admin disables themselves: %v", err)
	}
	if err := f.SetDisabled(ctx, admin, "alice", false); err != nil {
		t.Fatal(err)
	}
	token, _, _ = f.NewSession(ctx, u, users.Cookie, "10.0.0.2")
	f.clock.Advance(31 * time.Minute)
	if _, _, err := f.Session(ctx, token, users.Cookie, true); code(err) != users.Unauthenticated {
		t.Fatalf("an idle session: %v", err)
	}
}
