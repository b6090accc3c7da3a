package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/wechatapi"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai)

// fakeSender records what it is asked to send and answers with the errors queued for it.
type fakeSender struct {
	mu    sync.Mutex
	sent  []string // "custom:openid:text" or "template:openid:id:first"
	errs  []error
	block chan struct{} // when set, sends wait on it
}

func (f *fakeSender) next() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeSender) SendText(ctx context.Context, openID, text string) error {
	if f.block != nil {
		<-f.block
	}
	if err := f.next(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, "custom:"+openID+":"+text)
	return nil
}

func (f *fakeSender) SendTemplate(ctx context.Context, openID, templateID, url string, data map[string]string) (int64, error) {
	if err := f.next(); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, "template:"+openID+":"+templateID+":"+data["first"]+"|"+data["keyword1"]+"|"+data["keyword3"])
	return int64(len(f.sent)), nil
}

func (f *fakeSender) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

func apiErr(code int64) error {
	return &wechatapi.APIError{Code: code, API: "custom/send", Msg: "injected"}
}

type outboxFixture struct {
	st     *storage.Store
	clock  *complaintbot.ManualClock
	sender *fakeSender
	w      *scheduler.OutboxWorker
}

func newOutbox(t *testing.T) *outboxFixture {
	t.Helper()
	f := &outboxFixture{st: storagetest.Open(t), clock: complaintbot.NewManualClock(t0), sender: &fakeSender{}}
	f.w = &scheduler.OutboxWorker{Store: f.st, Sender: f.sender, Clock: f.clock, Log: slog.New(slog.DiscardHandler), Metrics: metrics.New(),
		Owner: "w1", Poll: time.Second, MaxAttempts: 3, StaleClaim: 2 * time.Minute,
		Templates: map[string]string{"progress": "TPL-P"}, TemplateData: map[string]string{"first": "{text}", "keyword1": "{number}", "keyword3": "{date}"}}
	return f
}

// wrote records a message from the customer at at (it opens the 48-hour window).
func (f *outboxFixture) wrote(t *testing.T, openID string, version int64, at time.Time) {
	t.Helper()
	err := f.st.AppendTurn(context.Background(), &storage.Turn{OpenID: openID, Version: version, Dedupe: fmt.Sprintf("m:%s:%d", openID, version), At: at,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好", At: at}})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *outboxFixture) enqueue(t *testing.T, m storage.OutboxMessage) {
	t.Helper()
	if m.Created.IsZero() {
		m.Created = f.clock.Now()
	}
	if _, err := f.st.Enqueue(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
}

func (f *outboxFixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.w.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *outboxFixture) msg(t *testing.T, id string) *storage.OutboxMessage {
	t.Helper()
	m, err := f.st.OutboxMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An attempt cut off between its claim and its outcome (the worker died mid-send) is not sent
// again: it is marked unknown for a person, who may send it again once.
func TestOutboxUnknownOutcomeIsNotResent(t *testing.T) {
	f := newOutbox(t)
	ctx := context.Background()
	f.wrote(t, "oA", 1, t0)
	f.enqueue(t, storage.OutboxMessage{ID: "k1", OpenID: "oA", Text: "您好", Purpose: storage.PurposeNotice})
	// Another worker claimed attempt 1 and died.
	if ok, err := f.st.ClaimAttempt(ctx, "k1", 1, "dead", t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n := f.run(t); n != 0 || len(f.sender.all()) != 0 {
		t.Fatalf("attempted a message under way elsewhere: %d %v", n, f.sender.all())
	}
	f.clock.Advance(3 * time.Minute)
	f.run(t)
	if m := f.msg(t, "k1"); m.Status != storage.OutboxUnknown || len(f.sender.all()) != 0 {
		t.Fatalf("after the claim went stale: %+v sent %v", m, f.sender.all())
	}
	list, _ := f.st.UndeliverableOutbox(ctx, 10)
	if len(list) != 1 || list[0].ID != "k1" {
		t.Fatalf("not listed for a person: %+v", list)
	}
	// Enqueueing the same key again adds nothing.
	f.enqueue(t, storage.OutboxMessage{ID: "k1", OpenID: "oA", Text: "again", Purpose: storage.PurposeNotice})
	f.run(t)
	if len(f.sender.all()) != 0 {
		t.Fatal("a re-enqueued key was sent")
	}
	// A person checked: not received. Sent again, once.
	if err := f.st.RequeueOutbox(ctx, "k1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	f.run(t)
	if got := f.sender.all(); len(got) != 1 || got[0] != "custom:oA:您好" {
		t.Fatalf("after requeue: %v", got)
	}
	if m := f.msg(t, "k1"); m.Status != storage.OutboxSent || m.Attempts != 2 {
		t.Fatalf("after requeue: %+v", m)
	}
}

// Two workers of different instances at the same messages: each message goes out once.
func TestOutboxTwoWorkersSendOnce(t *testing.T) {
	f := newOutbox(t)
	f.wrote(t, "oB", 1, t0)
	for i := range 4 {
		f.enqueue(t, storage.OutboxMessage{ID: fmt.Sprint("m", i), OpenID: "oB", Text: fmt.Sprint("第", i), Purpose: storage.PurposeAgent})
	}
	w2 := &scheduler.OutboxWorker{Store: f.st, Sender: f.sender, Clock: f.clock, Log: f.w.Log, Metrics: f.w.Metrics,
		Owner: "w2", Poll: time.Second, MaxAttempts: 3}
	var wg sync.WaitGroup
	for _, w := range []*scheduler.OutboxWorker{f.w, w2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.RunOnce(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := f.sender.all(); len(got) != 4 {
		t.Fatalf("sent %d: %v", len(got), got)
	}
}

// Quota, unfollowed, invalid and busy answers; the allowance of customer-service messages; an
// agent's reply about a case meets the reply deadline.
func TestOutboxClassifiesWeChatErrors(t *testing.T) {
	f := newOutbox(t)
	ctx := context.Background()
	f.wrote(t, "oC", 1, t0)
	c := &complaintbot.Case{Number: "TS20261127-0001", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: "oC",
		Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0, ReplyDue: t0.Add(72 * time.Hour), DecisionDue: t0.Add(15 * 24 * time.Hour),
		SourceTurn: "x", Updated: t0}
	if err := f.st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	// 45009 on a notice: the template goes instead; 45009 on the template too: tomorrow.
	f.sender.errs = []error{apiErr(45009), apiErr(45009)}
	f.enqueue(t, storage.OutboxMessage{ID: "q1", OpenID: "oC", Text: "进展", Purpose: storage.PurposeNotice, CaseNumber: c.Number})
	f.run(t)
	m := f.msg(t, "q1")
	if m.Status != storage.OutboxPending || m.Channel != "template" || !m.NextAt.Equal(time.Date(2026, 11, 28, 0, 5, 0, 0, complaintbot.Shanghai)) {
		t.Fatalf("after quota twice: %+v", m)
	}
	f.clock.Set(m.NextAt)
	f.run(t)
	if got := f.sender.all(); len(got) != 1 || got[0] != "template:oC:TPL-P:进展|TS20261127-0001|2026年11月30日" {
		t.Fatalf("template next day: %v", got)
	}
	// 43019 blocked: call the customer. 40003 on a system message: failed.
	f.sender.errs = []error{apiErr(43019), apiErr(40003)}
	f.enqueue(t, storage.OutboxMessage{ID: "b1", OpenID: "oC", Text: "x", Purpose: storage.PurposeAgent})
	f.run(t)
	f.enqueue(t, storage.OutboxMessage{ID: "i1", OpenID: "oC", Text: "y", Purpose: storage.PurposeSystem})
	f.run(t)
	if m := f.msg(t, "b1"); m.Status != storage.OutboxUndeliverable {
		t.Fatalf("43019: %+v", m)
	}
	if m := f.msg(t, "i1"); m.Status != storage.OutboxFailed {
		t.Fatalf("40003: %+v", m)
	}
	// Busy every time: given up after MaxAttempts with the reason kept, listed for a person.
	f.sender.errs = []error{apiErr(-1), apiErr(-1), apiErr(-1)}
	f.enqueue(t, storage.OutboxMessage{ID: "busy", OpenID: "oC", Text: "z", Purpose: storage.PurposeNotice})
	for range 3 {
		f.run(t)
		f.clock.Advance(time.Hour)
	}
	if m := f.msg(t, "busy"); m.Status != storage.OutboxUndeliverable || m.Attempts != 3 || !strings.Contains(m.LastError, "gave up after 3 attempts") {
		t.Fatalf("busy: %+v", m)
	}
	// An agent's reply about the case: sent, and the case counts as replied to.
	f.wrote(t, "oC", 2, f.clock.Now())
	f.enqueue(t, storage.OutboxMessage{ID: "r1", OpenID: "oC", Text: "您好，我是客服", Purpose: storage.PurposeAgent, CaseNumber: c.Number, By: "wang"})
	f.run(t)
	cs, _ := f.st.CaseState(ctx, c.Number)
	if cs.RepliedAt == nil {
		t.Fatal("agent reply did not mark the case replied")
	}
	lines, _ := f.st.Transcript(ctx, "oC", 50)
	if last := lines[len(lines)-1]; last.Text != "您好，我是客服" || last.By != "wang" {
		t.Fatalf("transcript: %+v", last)
	}
	// The allowance: 5 customer-service messages per customer message (the reply above is the
	// first), then a template.
	for i := range 5 {
		f.enqueue(t, storage.OutboxMessage{ID: fmt.Sprint("al", i), OpenID: "oC", Text: fmt.Sprint("a", i), Purpose: storage.PurposeNotice})
		f.run(t)
	}
	if m := f.msg(t, "al3"); m.Channel != "custom" {
		t.Fatalf("5th: %+v", m)
	}
	if m := f.msg(t, "al4"); m.Channel != "template" || m.Status != storage.OutboxSent {
		t.Fatalf("6th: %+v", m)
	}
}

// The worker sends no faster than PerSecond.
func TestOutboxIsRateLimited(t *testing.T) {
	f := newOutbox(t)
	f.w.PerSecond = 20
	f.wrote(t, "oD", 1, t0)
	for i := range 5 {
		f.enqueue(t, storage.OutboxMessage{ID: fmt.Sprint("r", i), OpenID: "oD", Text: "x", Purpose: storage.PurposeAgent})
	}
	start := time.Now()
	if n := f.run(t); n != 5 {
		t.Fatalf("attempted %d", n)
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 messages at 20/s took %v", d)
	}
}
