package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// On the embedded server the outbox worker's look for due messages reads only the open messages
// by _id, never the whole outbox (which holds every message ever sent): after the first look,
// which loads them once, no outbox command on either connection filters on anything else. What is
// due comes back longest due first, and stays right through outcomes, a person's requeue and a
// restart.
func TestDueOutboxReadsOnlyOpenMessages(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var scans []storage.Command
	watch := func(c storage.Command) {
		mu.Lock()
		defer mu.Unlock()
		if c.Collection == "outbox" && !c.ByID {
			scans = append(scans, c)
		}
	}
	openStore := func() *storage.Store {
		st, err := storage.Open(context.Background(), storage.Options{DataDir: dir, Database: "due", Logger: slog.New(slog.DiscardHandler),
			Observe: watch, ObserveScan: watch})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	scanned := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := len(scans)
		scans = nil
		return n
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	st := openStore()
	if !st.Embedded() {
		t.Skip("the embedded server's stand-in for the outbox index")
	}
	// A year of sent messages, and three waiting.
	var old []complaintbot.OutboxMessage
	for i := range 500 {
		old = append(old, complaintbot.OutboxMessage{ID: fmt.Sprint("sent-", i), OpenID: fmt.Sprint("o", i%300), Text: "x", Purpose: complaintbot.PurposeNotice, Created: t0.Add(-time.Hour)})
	}
	if _, err := st.EnqueueMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, m := range old {
		if err := st.RecordOutcome(ctx, m.ID, 1, storage.OutboxOutcome{Status: complaintbot.OutboxSent, Channel: "custom", At: t0.Add(-time.Minute), OpenID: m.OpenID}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []complaintbot.OutboxMessage{
		{ID: "late", OpenID: "oA", Text: "a", Purpose: complaintbot.PurposeReply, Created: t0, NextAt: t0.Add(2 * time.Minute)},
		{ID: "first", OpenID: "oB", Text: "b", Purpose: complaintbot.PurposeAgent, Created: t0, NextAt: t0},
		{ID: "second", OpenID: "oC", Text: "c", Purpose: complaintbot.PurposeNotice, Created: t0, NextAt: t0.Add(time.Minute)},
	} {
		if _, err := st.Enqueue(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(ms []complaintbot.OutboxMessage) string {
		s := ""
		for _, m := range ms {
			s += m.ID + " "
		}
		return s
	}
	due := func(at time.Time, skip ...string) string {
		t.Helper()
		ms, err := st.DueOutboxExcept(ctx, at, 10, skip)
		if err != nil {
			t.Fatal(err)
		}
		return ids(ms)
	}
	scanned()
	if got := due(t0.Add(5 * time.Minute)); got != "first second late " {
		t.Fatalf("due, longest due first: %q", got)
	}
	scanned() // the first look loads the open messages
	if got := due(t0.Add(90*time.Second), "oB"); got != "second " {
		t.Fatalf("due at 09:01:30 without oB's: %q", got)
	}
	if err := st.RecordOutcome(ctx, "second", 1, storage.OutboxOutcome{Status: complaintbot.OutboxUndeliverable, At: t0.Add(time.Minute), OpenID: "oC"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordOutcome(ctx, "first", 1, storage.OutboxOutcome{Status: complaintbot.OutboxPending, NextAt: t0.Add(10 * time.Minute), At: t0, OpenID: "oB"}); err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(5 * time.Minute)); got != "late " {
		t.Fatalf("after an undeliverable and a retry later: %q", got)
	}
	if err := st.RequeueOutbox(ctx, "second", t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.ResolveOutbox(ctx, "sent-1", "admin", "", t0); err == nil {
		t.Fatal("a sent message was taken off the call list")
	}
	if got := due(t0.Add(11 * time.Minute)); got != "late second first " {
		t.Fatalf("after a requeue: %q", got)
	}
	if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oB", Version: 1, Dedupe: "m:b1", At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: "hi"}}); err != nil {
		t.Fatal(err)
	}
	if w, q, err := st.WindowWithQueue(ctx, "oB", t0); err != nil || q != 1 || !w.Open() {
		t.Fatalf("oB's queued messages: %d %+v %v", q, w, err)
	}
	if n := scanned(); n != 0 {
		t.Fatalf("%d outbox commands read more than by _id after the first look", n)
	}
	st.Close(ctx)

	st = openStore()
	defer st.Close(ctx)
	if got := due(t0.Add(11 * time.Minute)); got != "late second first " {
		t.Fatalf("after a restart: %q", got)
	}
}
