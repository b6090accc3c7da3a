package handoffs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/scheduler"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A claim whose audit entry cannot be written is not made: the customer stays in the queue and
// is told nothing.
func TestNoClaimWithoutItsAuditEntry(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	audit := e.App.Store.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "action", Value: 1}, {Key: "target", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("break_audit")}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "action", Value: "conversation.claim"}, {Key: "target", Value: cust}}); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Handoffs.Claim(ctx, e.as("alice"), e.conv()); !errors.Is(err, handoffs.ErrAudit) {
		t.Fatalf("claim without its audit entry: %v", err)
	}
	if v := e.conv(); v.Status() != "waiting" || v.Holder != "" {
		t.Fatalf("claimed without its audit entry: %s %q", v.Status(), v.Holder)
	}
	if got := e.sent(); len(got) != 0 {
		t.Fatalf("the customer was told %q", got)
	}
}

// A customer nobody took within scheduler.queue_expiry leaves the queue at the housekeeping job
// and is told so, once; the bot answers them again.
func TestAWaitNobodyTookEndsAtHousekeeping(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	run := func() int {
		t.Helper()
		r, err := e.App.Scheduler.RunOnce(ctx, scheduler.JobHousekeeping)
		if err != nil {
			t.Fatal(err)
		}
		return r.Done
	}
	e.Clock.Advance(time.Hour)
	run()
	if v := e.conv(); v.Status() != "waiting" {
		t.Fatalf("an hour's wait ended: %s", v.Status())
	}
	e.Clock.Advance(90 * time.Minute)
	run()
	if v := e.conv(); v.Status() != "bot" {
		t.Fatalf("after 2.5 hours: %s", v.Status())
	}
	got := e.sent()
	if len(got) != 1 || !strings.Contains(got[0], "已为您结束排队") {
		t.Fatalf("sent %q, want the queue_expired notice once", got)
	}
	run() // a second run (as after a crash midway) tells no one twice
	e.Clock.Advance(time.Hour)
	run()
	if got := e.sent(); len(got) != 1 {
		t.Fatalf("told again: %q", got)
	}
}
