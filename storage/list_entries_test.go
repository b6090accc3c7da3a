package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A database written by an older version (follow-ups and undeliverable messages with no work-list
// entries) lists them after the upgrade: the migration builds the entries at start. Raising,
// recording and resolving afterwards keep the lists current, also in the same process that read
// them already.
func TestWorkListsFromAnOlderDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	st := storagetest.OpenDir(t, dir)
	old := []any{
		storage.FollowUp{ID: storage.FollowUpID("TS20261102-0001#1"), Survey: "TS20261102-0001#1", Case: "TS20261102-0001", Branch: "0101", Rating: 1,
			Status: storage.FollowUpOpen, Created: t0},
		storage.FollowUp{ID: storage.FollowUpID("TS20261102-0002#1"), Survey: "TS20261102-0002#1", Case: "TS20261102-0002", Branch: "0201", Rating: 2,
			Status: storage.FollowUpDone, Created: t0, Done: &t0},
	}
	if _, err := st.Collection("follow_ups").InsertMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	msgs := []any{
		complaintbot.OutboxMessage{ID: "notice:TS20261102-0001:accepted", OpenID: "oOld1", Purpose: complaintbot.PurposeNotice, CaseNumber: "TS20261102-0001",
			Status: complaintbot.OutboxUndeliverable, Created: t0, Done: &t0},
		complaintbot.OutboxMessage{ID: "reply:oOld2:1", OpenID: "oOld2", Purpose: complaintbot.PurposeReply, Status: complaintbot.OutboxSent, Created: t0, Done: &t0},
		complaintbot.OutboxMessage{ID: "system:oOld3:1", OpenID: "oOld3", Purpose: complaintbot.PurposeSystem, Status: complaintbot.OutboxFailed, Created: t0, Done: &t0},
	}
	if _, err := st.Collection("outbox").InsertMany(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// As an older version left it: the migration not run, no entries.
	if _, err := st.Collection(storage.MetaCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: "migration:work-lists"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)

	fus, err := st.FollowUpList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]storage.FollowUpEntry{}
	for _, e := range fus {
		byID[e.ID] = e
	}
	if e, ok := byID[storage.FollowUpID("TS20261102-0001#1")]; len(fus) != 2 || !ok || e.Done != nil || e.Branch != "0101" || !e.Created.Equal(t0) {
		t.Fatalf("follow-up list after the upgrade: %+v", fus)
	}
	if e := byID[storage.FollowUpID("TS20261102-0002#1")]; e.Done == nil {
		t.Fatalf("the done follow-up is listed as open: %+v", e)
	}
	calls, err := st.CallList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].ID != "notice:TS20261102-0001:accepted" || calls[0].Case != "TS20261102-0001" {
		t.Fatalf("call list after the upgrade (only the undeliverable notice): %+v", calls)
	}

	// Written from now on through the store: seen by the lists already read.
	sv := complaintbot.Survey{ID: "TS20261102-0003#1", Case: "TS20261102-0003", OpenID: "oNew", Branch: "0101", Rating: 1}
	if err := st.RaiseFollowUp(ctx, &sv, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordFollowUp(ctx, storage.FollowUpID("TS20261102-0001#1"), "sue", storage.FollowUpCall{Reached: true}, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	open := 0
	fus, _ = st.FollowUpList(ctx)
	for _, e := range fus {
		if e.Done == nil {
			open++
			if e.ID != storage.FollowUpID(sv.ID) {
				t.Errorf("open after the call was recorded: %+v", e)
			}
		}
	}
	if len(fus) != 3 || open != 1 {
		t.Fatalf("follow-up list after raising one and recording one: %+v", fus)
	}
	if err := st.ResolveOutbox(ctx, "notice:TS20261102-0001:accepted", "sue", "已电话联系", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if calls, _ := st.CallList(ctx); len(calls) != 0 {
		t.Fatalf("call list after the message was resolved: %+v", calls)
	}
	m := complaintbot.OutboxMessage{ID: "notice:TS20261102-0003:accepted", OpenID: "oNew", Purpose: complaintbot.PurposeNotice, CaseNumber: "TS20261102-0003",
		Created: t0.Add(4 * time.Hour)}
	if _, err := st.Enqueue(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordOutcome(ctx, m.ID, 1, storage.OutboxOutcome{Status: complaintbot.OutboxUndeliverable, At: t0.Add(5 * time.Hour), OpenID: "oNew"}); err != nil {
		t.Fatal(err)
	}
	if calls, _ := st.CallList(ctx); len(calls) != 1 || calls[0].ID != m.ID || calls[0].Case != "TS20261102-0003" {
		t.Fatalf("call list after a message became undeliverable: %+v", calls)
	}
	if err := st.RequeueOutbox(ctx, m.ID, t0.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if calls, _ := st.CallList(ctx); len(calls) != 0 {
		t.Fatalf("call list after the message was sent again: %+v", calls)
	}
}
