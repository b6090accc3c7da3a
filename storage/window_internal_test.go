package storage

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// A customer-service message is counted once against the customer's allowance at every moment of
// its delivery: queued, counted as sent but not yet out of the queue (the moment a concurrent
// count may see), sent, and of unknown outcome. An agent is never refused a message WeChat
// would still accept.
func TestAMessageBeingSentIsCountedOnce(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "complaintbot_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oW", Version: 1, Dedupe: "m:w1", At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: "人呢"}}); err != nil {
		t.Fatal(err)
	}
	count := func(moment string, wantQueued int) {
		t.Helper()
		w, q, err := st.WindowWithQueue(ctx, "oW", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if w.Sent+q != 2 || q != wantQueued || w.Remaining != WindowAllowance-2 {
			t.Fatalf("%s: sent %d, queued %d, remaining %d; want 2 counted, %d queued", moment, w.Sent, q, w.Remaining, wantQueued)
		}
	}
	for _, id := range []string{"a1", "a2"} {
		if _, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: id, OpenID: "oW", Text: "您好", Purpose: complaintbot.PurposeAgent, Created: t0, NextAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	count("both queued", 2)
	// The worker has counted a1 as sent and not yet taken it out of the queue.
	if err := st.noteWindowSend(ctx, "oW", "a1", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	count("a1 between counted and out of the queue", 1)
	if err := st.RecordOutcome(ctx, "a1", 1, OutboxOutcome{Status: complaintbot.OutboxSent, Channel: "custom", At: t0.Add(time.Second), OpenID: "oW"}); err != nil {
		t.Fatal(err)
	}
	count("a1 sent", 1)
	if err := st.RecordOutcome(ctx, "a2", 1, OutboxOutcome{Status: complaintbot.OutboxUnknown, Channel: "custom", At: t0.Add(2 * time.Second), OpenID: "oW", Unknown: true}); err != nil {
		t.Fatal(err)
	}
	count("a2 of unknown outcome", 0)
}
