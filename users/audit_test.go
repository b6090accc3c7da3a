package users_test

import (
	"context"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// breakAudit makes every later audit entry of the action on the target collide with one already
// there, so that it cannot be written.
func breakAudit(t *testing.T, st *storage.Store, action, target string) {
	t.Helper()
	ctx := context.Background()
	audit := st.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "action", Value: 1}, {Key: "target", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("break_audit")}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "action", Value: action}, {Key: "target", Value: target}}); err != nil {
		t.Fatal(err)
	}
}

// An account change whose audit entry cannot be written is not made: the admin is told, and
// the account stays as it was.
func TestNoAccountChangeWithoutItsAuditEntry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := complaintbot.Actor{User: f.add(t, "root", complaintbot.RoleAdmin, "root-initial-pw"), Addr: "10.0.0.1"}
	f.add(t, "alice", complaintbot.RoleAgent, "alice-given-pw")

	breakAudit(t, f.store, "user.add", "bob")
	if _, err := f.AddUser(ctx, admin, users.NewUser{Name: "bob", Role: complaintbot.RoleAgent, Branches: []string{"0101"}, Password: "bob-given-pw-1"}); code(err) != users.Unaudited {
		t.Fatalf("add without its audit entry: %v", err)
	}
	if _, err := f.User(ctx, "bob"); err == nil {
		t.Fatal("the account was created without its audit entry")
	}

	breakAudit(t, f.store, "user.disable", "alice")
	if err := f.SetDisabled(ctx, admin, "alice", true); code(err) != users.Unaudited {
		t.Fatalf("disable without its audit entry: %v", err)
	}
	if u, err := f.User(ctx, "alice"); err != nil || u.Disabled {
		t.Fatalf("the account was disabled without its audit entry: %v %+v", err, u)
	}
}

// A logout whose audit entry cannot be written fails, and the session still works (the user is
// told so rather than believing they logged out).
func TestNoLogoutWithoutItsAuditEntry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.add(t, "alice", complaintbot.RoleAgent, "alice-given-pw")
	token, s, err := f.NewSession(ctx, u, users.Bearer, "10.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	breakAudit(t, f.store, "logout", "alice")
	if err := f.EndSession(ctx, complaintbot.Actor{User: u}, s.ID); code(err) != users.Unaudited {
		t.Fatalf("logout without its audit entry: %v", err)
	}
	if _, _, err := f.Session(ctx, token, users.Bearer, false); err != nil {
		t.Fatalf("the session should still work: %v", err)
	}
}

// Names the service writes for itself (who sent a message, who changed a case) are no account's.
func TestPseudoUserNamesAreReserved(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{complaintbot.SystemUser, complaintbot.BotUser, complaintbot.CLIUser, complaintbot.WeChatKFUser} {
		_, err := f.AddUser(context.Background(), complaintbot.CLI, users.NewUser{Name: name, Role: complaintbot.RoleAgent, Branches: []string{"0101"}, Password: "some-given-pw-1"})
		if code(err) != users.Invalid {
			t.Errorf("account %q: %v", name, err)
		}
	}
}
