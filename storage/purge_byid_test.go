package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// Housekeeping's purges — finished outbox messages and their delivery claims, done reminders,
// expired leases — delete what is old and nothing else, and on the embedded server they reach the
// main connection, the one the customers' messages wait on, only by _id: the old documents are
// found on the scan connection. (A DeleteMany by time read the whole collection there, nightly,
// with every customer waiting behind it.)
func TestPurgesDeleteOnlyWhatIsOldAndOnlyByID(t *testing.T) {
	ctx := context.Background()
	st, watch := openWatched(t, "purges", false)
	day := 24 * time.Hour

	send := func(id string, at time.Time) {
		t.Helper()
		if _, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: id, OpenID: "oPurge01", Text: "好的", Purpose: complaintbot.PurposeNotice, Created: at}); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.ClaimAttempt(ctx, id, 1, "test", at); !ok || err != nil {
			t.Fatalf("claim %s: %v %v", id, ok, err)
		}
		if err := st.RecordOutcome(ctx, id, 1, storage.OutboxOutcome{Status: complaintbot.OutboxSent, At: at, OpenID: "oPurge01", Channel: "custom"}); err != nil {
			t.Fatal(err)
		}
	}
	send("old", t0)
	send("recent", t0.Add(10*day))
	if _, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: "pending", OpenID: "oPurge01", Text: "稍后", Purpose: complaintbot.PurposeNotice, Created: t0}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []storage.Reminder{
		{ID: "remind:done", Kind: storage.ReminderDueSoon, Deadline: storage.DeadlineReply, Case: "TS20261128-0001", Branch: "0101", Due: t0.Add(day), At: t0},
		{ID: "remind:open", Kind: storage.ReminderDueSoon, Deadline: storage.DeadlineReply, Case: "TS20261128-0002", Branch: "0101", Due: t0.Add(day), At: t0},
	} {
		if _, err := st.AddReminder(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.DismissReminder(ctx, "remind:done", "alice", t0); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.AcquireLease(ctx, "notices", "test", t0, time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}

	watch.reset()
	before := t0.Add(5 * day)
	if n, err := st.PurgeOutbox(ctx, before); err != nil || n != 2 { // the old message and its claim
		t.Errorf("purge outbox: %d %v, want 2 (the old message and its delivery claim)", n, err)
	}
	if n, err := st.PurgeReminders(ctx, before); err != nil || n != 1 {
		t.Errorf("purge reminders: %d %v, want 1", n, err)
	}
	if n, err := st.PurgeScheduler(ctx, t0, before); err != nil || n != 1 {
		t.Errorf("purge scheduler: %d %v, want 1 (the lease)", n, err)
	}
	if st.Embedded() {
		for _, c := range watch.seen() {
			t.Errorf("a purge read more than by _id on the main connection: %s on %s", c.Name, c.Collection)
		}
	}

	if _, err := st.OutboxMessage(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the old sent message: %v, want it purged", err)
	}
	for _, id := range []string{"recent", "pending"} {
		if _, err := st.OutboxMessage(ctx, id); err != nil {
			t.Errorf("message %s: %v, want it kept", id, err)
		}
	}
	open, err := storagetest.Reminders(ctx, st, nil, t0.Add(day))
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].ID != "remind:open" {
		t.Errorf("open reminders after the purge: %v, want remind:open only", open)
	}
	if ok, err := st.AcquireLease(ctx, "notices", "other", t0.Add(30*time.Second), time.Minute); err != nil || !ok {
		t.Errorf("the purged lease still held: %v %v", ok, err)
	}
}
