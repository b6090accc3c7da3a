package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// confirmDirectly applies the customer's 确认 as the webhook would, with the passive answer's fate
// given by passive, and without reporting the answer delivered: as if the process died right after.
func confirmDirectly(t *testing.T, h *apptest.Harness, who, dedupe string, passive bool) conversations.Outcome {
	t.Helper()
	out, err := h.App.Convs.Handle(context.Background(), conversations.Message{OpenID: who, Dedupe: dedupe,
		Input: complaintbot.Input{Type: complaintbot.InputText, Text: "确认", At: h.Clock.Now()}}, func() bool { return passive })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sentTexts returns the customer-service texts the fake WeChat API accepted for who.
func sentTexts(h *apptest.Harness, who string) []string {
	var out []string
	for _, m := range h.App.Sandbox.SentTo(who) {
		out = append(out, m.Text)
	}
	return out
}

func countContaining(texts []string, frag string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, frag) {
			n++
		}
	}
	return n
}

// The process dies right after storing the customer's confirmation — before the case was
// written and before the answer reached WeChat — and is down longer than WeChat retries: at the
// next start the case exists and the customer is told its number once, through the outbox; a late
// retry then gets no second copy.
func TestConfirmationCutOffByACrashIsFinishedAtStart(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oRecover0001erin"
	toReadBack(t, h, who)
	out := confirmDirectly(t, h, who, "msg:recover-1", true)
	if !strings.Contains(strings.Join(out.Replies, ""), "TS20261127-0001") {
		t.Fatalf("the confirmation's outcome: %+v", out)
	}
	// What the crash left: the turn with its pending mark, and no case yet.
	ctx := context.Background()
	if err := h.App.Store.MarkPending(ctx, storage.PendingTurn{Turn: out.TurnID, OpenID: who, Dedupe: "msg:recover-1", At: h.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.Store.Collection("cases").DeleteOne(ctx, bson.D{{Key: "_id", Value: "TS20261127-0001"}}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Minute) // the service was down for a minute
	h.Restart()
	waitFor(t, "the recovered reply is queued", func() bool {
		_, err := h.App.Store.OutboxMessage(context.Background(), "late:"+out.TurnID+"/0")
		return err == nil
	})
	h.Deliver()
	if n := countContaining(sentTexts(h, who), "TS20261127-0001"); n != 1 {
		t.Fatalf("the customer was told the case number %d times: %q", n, sentTexts(h, who))
	}
	if cs := cases(t, h, who); len(cs) != 1 {
		t.Fatalf("cases after recovery: %+v", cs)
	}
	retry := confirmDirectly(t, h, who, "msg:recover-1", true)
	if !retry.Duplicate || !retry.Late {
		t.Fatalf("a retry after the recovery must not be answered again passively: %+v", retry)
	}
	h.Deliver()
	if n := countContaining(sentTexts(h, who), "TS20261127-0001"); n != 1 {
		t.Fatalf("after the retry the customer was told the case number %d times", n)
	}
}

// A retry that is itself past the reply budget gets the stored answer through the outbox, once,
// however many retries follow.
func TestLateRetryDeliversTheStoredAnswerOnce(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oRecover0002finn"
	toReadBack(t, h, who)
	first := confirmDirectly(t, h, who, "msg:late-1", true) // its passive answer never reached WeChat
	if first.Late {
		t.Fatalf("first try: %+v", first)
	}
	second := confirmDirectly(t, h, who, "msg:late-1", false) // the retry runs out of time too
	if !second.Duplicate || !second.Late {
		t.Fatalf("late retry: %+v", second)
	}
	third := confirmDirectly(t, h, who, "msg:late-1", true)
	if !third.Duplicate || !third.Late {
		t.Fatalf("a retry after the answer was queued must not answer passively: %+v", third)
	}
	h.Deliver()
	if n := countContaining(sentTexts(h, who), "TS20261127-0001"); n != 1 {
		t.Fatalf("the stored answer went out %d times: %q", n, sentTexts(h, who))
	}
	if cs := cases(t, h, who); len(cs) != 1 {
		t.Fatalf("cases: %+v", cs)
	}
}

// waitFor polls cond (for work the service does in the background) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting: %s", what)
}
