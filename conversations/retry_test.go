package conversations_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// WeChat's retry of a confirmation this process answered a moment ago gets the first answer, the
// case number, without a word to the database: no second case, no lookups that other customers
// would wait behind. A retry past the reply budget gets the replies through the outbox once; a
// retry after the answers are forgotten is answered from the database, the same way.
func TestARetryOfARecentAnswerIsAnsweredFromMemory(t *testing.T) {
	t.Parallel()
	var commands atomic.Int64
	dir := storagetest.FreshDir(t, "retry_test")
	st, err := storage.Open(context.Background(), storage.Options{DataDir: dir, Database: "retry_test", Logger: slog.New(slog.DiscardHandler),
		Observe: func(storage.Command) { commands.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	clock := complaintbot.NewManualClock(apptest.Start)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := &conversations.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	svc := conversations.New(st, engine, reg, clock, slog.New(slog.DiscardHandler), &events.Bus{})
	ctx := context.Background()
	const who = "oRetry00001"
	say := func(dedupe, text string, passive bool) conversations.Outcome {
		t.Helper()
		out, err := svc.Handle(ctx, conversations.Message{OpenID: who, Dedupe: dedupe, Input: complaintbot.Input{Type: complaintbot.InputText, Text: text}}, func() bool { return passive })
		if err != nil {
			t.Fatalf("%s %q: %v", dedupe, text, err)
		}
		svc.Answered(ctx, out.TurnID)
		return out
	}
	lines := []string{"我要投诉", "1", "城东支行", "昨天下午3点", "柜员态度很差，让我在窗口等了一个小时也没人理", "希望道歉", "13812345678"}
	for i, l := range lines {
		say(fmt.Sprint("m:", i), l, true)
	}
	first := say("m:confirm", "确认", true)
	if !strings.Contains(strings.Join(first.Replies, ""), "TS20261127-0001") {
		t.Fatalf("the confirmation: %v", first.Replies)
	}

	clock.Advance(1500 * time.Millisecond)
	commands.Store(0)
	again := say("m:confirm", "确认", true)
	if !again.Duplicate || strings.Join(again.Replies, "\n") != strings.Join(first.Replies, "\n") {
		t.Fatalf("the retry after 1.5 s: %+v; want the first answer %v", again, first.Replies)
	}
	// The mark of the turn's aftermath is cleared once more (one delete); nothing else is asked.
	if n := commands.Load(); n > 1 {
		t.Errorf("the retry sent %d commands to the database, want at most the pending mark's delete", n)
	}

	clock.Advance(1500 * time.Millisecond)
	late := say("m:confirm", "确认", false)
	if !late.Late || !late.Duplicate {
		t.Fatalf("a retry past the reply budget: %+v; want its replies through the outbox", late)
	}
	for i := range first.Replies {
		if _, err := st.OutboxMessage(ctx, fmt.Sprintf("late:%s/%d", first.TurnID, i)); err != nil {
			t.Errorf("reply %d of the late retry not in the outbox: %v", i, err)
		}
	}

	clock.Advance(time.Minute) // forgotten: the database answers
	old := say("m:confirm", "确认", true)
	if !old.Duplicate || !old.Late || strings.Join(old.Replies, "\n") != strings.Join(first.Replies, "\n") {
		t.Fatalf("a retry a minute later: %+v; want the first answer, through the outbox where it went", old)
	}
	cases, err := st.CasesOf(ctx, who, 10)
	if err != nil || len(cases) != 1 {
		t.Fatalf("cases after four tries of one confirmation: %d, %v; want 1", len(cases), err)
	}
}

// A returning customer's first message to a process that has not seen them (after a restart)
// is applied on their newest turn at once: one turn written, no write that fails its version
// check first and no engine run on a state that is not theirs.
func TestAReturningCustomerIsKnownAtTheirFirstMessage(t *testing.T) {
	t.Parallel()
	var turnInserts atomic.Int64
	dir := storagetest.FreshDir(t, "retry_test")
	st, err := storage.Open(context.Background(), storage.Options{DataDir: dir, Database: "retry_test", Logger: slog.New(slog.DiscardHandler),
		Observe: func(c storage.Command) {
			if c.Name == "insert" && c.Collection == "turns" {
				turnInserts.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	clock := complaintbot.NewManualClock(apptest.Start)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := &conversations.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	ctx := context.Background()
	const who = "oBack00001"
	say := func(svc *conversations.Service, dedupe, text string) conversations.Outcome {
		t.Helper()
		out, err := svc.Handle(ctx, conversations.Message{OpenID: who, Dedupe: dedupe, Input: complaintbot.Input{Type: complaintbot.InputText, Text: text}}, func() bool { return true })
		if err != nil {
			t.Fatalf("%s %q: %v", dedupe, text, err)
		}
		return out
	}
	before := conversations.New(st, engine, reg, clock, slog.New(slog.DiscardHandler), &events.Bus{})
	say(before, "m:1", "我要投诉")
	say(before, "m:2", "1")
	after := conversations.New(st, engine, reg, clock, slog.New(slog.DiscardHandler), &events.Bus{}) // a restart
	turnInserts.Store(0)
	out := say(after, "m:3", "城东支行")
	if got := strings.Join(out.Replies, ""); !strings.Contains(got, "什么时候") {
		t.Fatalf("the branch after a restart: %s; want the time asked next", got)
	}
	if n := turnInserts.Load(); n != 1 {
		t.Errorf("%d inserts of turns for the first message after a restart, want 1", n)
	}
}
