package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
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
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
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

func (f *fakeSender) SendSubscribe(ctx context.Context, openID, templateID, page string, data map[string]string) error {
	if err := f.next(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, "subscribe:"+openID+":"+templateID+":"+data["first"]+"|"+data["keyword1"]+"|"+data["keyword3"])
	return nil
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
	err := f.st.AppendTurn(context.Background(), &complaintbot.Turn{OpenID: openID, Version: version, Dedupe: fmt.Sprintf("m:%s:%d", openID, version), At: at,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好", At: at}})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *outboxFixture) enqueue(t *testing.T, m complaintbot.OutboxMessage) {
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

func (f *outboxFixture) msg(t *testing.T, id string) *complaintbot.OutboxMessage {
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
	f.enqueue(t, complaintbot.OutboxMessage{ID: "k1", OpenID: "oA", Text: "您好", Purpose: complaintbot.PurposeNotice})
	// Another worker claimed attempt 1 and died.
	if ok, err := f.st.ClaimAttempt(ctx, "k1", 1, "dead", t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n := f.run(t); n != 0 || len(f.sender.all()) != 0 {
		t.Fatalf("attempted a message under way elsewhere: %d %v", n, f.sender.all())
	}
	f.clock.Advance(3 * time.Minute)
	f.run(t)
	if m := f.msg(t, "k1"); m.Status != complaintbot.OutboxUnknown || len(f.sender.all()) != 0 {
		t.Fatalf("after the claim went stale: %+v sent %v", m, f.sender.all())
	}
	list, _ := f.st.UndeliverableOutbox(ctx, 10)
	if len(list) != 1 || list[0].ID != "k1" {
		t.Fatalf("not listed for a person: %+v", list)
	}
	// Enqueueing the same key again adds nothing.
	f.enqueue(t, complaintbot.OutboxMessage{ID: "k1", OpenID: "oA", Text: "again", Purpose: complaintbot.PurposeNotice})
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
	if m := f.msg(t, "k1"); m.Status != complaintbot.OutboxSent || m.Attempts != 2 {
		t.Fatalf("after requeue: %+v", m)
	}
	// A late bot reply cut off mid-send is sent once more: the customer is waiting for it.
	f.enqueue(t, complaintbot.OutboxMessage{ID: "r1", OpenID: "oA", Text: "请问您要投诉什么？", Purpose: complaintbot.PurposeReply})
	if ok, err := f.st.ClaimAttempt(ctx, "r1", 1, "dead", f.clock.Now()); !ok || err != nil {
		t.Fatal(ok, err)
	}
	f.clock.Advance(3 * time.Minute)
	f.run(t)
	f.clock.Advance(time.Minute)
	f.run(t)
	if m := f.msg(t, "r1"); m.Status != complaintbot.OutboxSent || m.Attempts != 2 || m.Unknowns != 1 {
		t.Fatalf("reply cut off mid-send: %+v", m)
	}
	if got := f.sender.all(); len(got) != 2 || got[1] != "custom:oA:请问您要投诉什么？" {
		t.Fatalf("after the reply was cut off: %v", got)
	}
}

// Two workers of different instances at the same messages: each message goes out once.
func TestOutboxTwoWorkersSendOnce(t *testing.T) {
	f := newOutbox(t)
	f.wrote(t, "oB", 1, t0)
	for i := range 4 {
		f.enqueue(t, complaintbot.OutboxMessage{ID: fmt.Sprint("m", i), OpenID: "oB", Text: fmt.Sprint("第", i), Purpose: complaintbot.PurposeAgent})
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
	f.enqueue(t, complaintbot.OutboxMessage{ID: "q1", OpenID: "oC", Text: "进展", Purpose: complaintbot.PurposeNotice, CaseNumber: c.Number})
	f.run(t)
	m := f.msg(t, "q1")
	if m.Status != complaintbot.OutboxPending || m.Channel != "template" || !m.NextAt.Equal(time.Date(2026, 11, 28, 0, 5, 0, 0, complaintbot.Shanghai)) {
		t.Fatalf("after quota twice: %+v", m)
	}
	f.clock.Set(m.NextAt)
	f.run(t)
	if got := f.sender.all(); len(got) != 1 || got[0] != "template:oC:TPL-P:进展|TS20261127-0001|2026年11月30日" {
		t.Fatalf("template next day: %v", got)
	}
	// 43019 blocked: call the customer. 40003 on a system message: failed.
	f.sender.errs = []error{apiErr(43019), apiErr(40003)}
	f.enqueue(t, complaintbot.OutboxMessage{ID: "b1", OpenID: "oC", Text: "x", Purpose: complaintbot.PurposeAgent})
	f.run(t)
	f.enqueue(t, complaintbot.OutboxMessage{ID: "i1", OpenID: "oC", Text: "y", Purpose: complaintbot.PurposeSystem})
	f.run(t)
	if m := f.msg(t, "b1"); m.Status != complaintbot.OutboxUndeliverable {
		t.Fatalf("43019: %+v", m)
	}
	if m := f.msg(t, "i1"); m.Status != complaintbot.OutboxFailed {
		t.Fatalf("40003: %+v", m)
	}
	// Busy every time: given up after MaxAttempts with the reason kept, listed for a person.
	f.sender.errs = []error{apiErr(-1), apiErr(-1), apiErr(-1)}
	f.enqueue(t, complaintbot.OutboxMessage{ID: "busy", OpenID: "oC", Text: "z", Purpose: complaintbot.PurposeNotice})
	for range 3 {
		f.run(t)
		f.clock.Advance(time.Hour)
	}
	if m := f.msg(t, "busy"); m.Status != complaintbot.OutboxUndeliverable || m.Attempts != 3 || !strings.Contains(m.LastError, "gave up after 3 attempts") {
		t.Fatalf("busy: %+v", m)
	}
	// An agent's reply about the case: sent, and the case counts as replied to.
	f.wrote(t, "oC", 2, f.clock.Now())
	f.enqueue(t, complaintbot.OutboxMessage{ID: "r1", OpenID: "oC", Text: "您好，我是客服", Purpose: complaintbot.PurposeAgent, CaseNumber: c.Number, By: "wang"})
	f.run(t)
	cs, _ := f.st.ScanCase(ctx, c.Number)
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
		f.enqueue(t, complaintbot.OutboxMessage{ID: fmt.Sprint("al", i), OpenID: "oC", Text: fmt.Sprint("a", i), Purpose: complaintbot.PurposeNotice})
		f.run(t)
	}
	if m := f.msg(t, "al3"); m.Channel != "custom" {
		t.Fatalf("5th: %+v", m)
	}
	if m := f.msg(t, "al4"); m.Channel != "template" || m.Status != complaintbot.OutboxSent {
		t.Fatalf("6th: %+v", m)
	}
}

// The worker sends no faster than PerSecond.
func TestOutboxIsRateLimited(t *testing.T) {
	f := newOutbox(t)
	f.w.PerSecond = 20
	f.wrote(t, "oD", 1, t0)
	for i := range 5 {
		f.enqueue(t, complaintbot.OutboxMessage{ID: fmt.Sprint("r", i), OpenID: "oD", Text: "x", Purpose: complaintbot.PurposeAgent})
	}
	start := time.Now()
	if n := f.run(t); n != 5 {
		t.Fatalf("attempted %d", n)
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("5 messages at 20/s took %v", d)
	}
}

// weChatFixture is an outbox worker sending through the real WeChat client to a fake WeChat
// behind a real HTTP server, whose sends can be made to hang.
type weChatFixture struct {
	*outboxFixture
	fake *fakewechat.Server
}

func newOutboxWithWeChat(t *testing.T, timeout time.Duration) *weChatFixture {
	t.Helper()
	f := newOutbox(t)
	fake := fakewechat.New("wxOutbox", "secret")
	fake.SetClock(f.clock)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Release) // runs before srv.Close: no request is left hanging
	c, err := wechatapi.New(wechatapi.Config{AppID: "wxOutbox", AppSecret: "secret", APIBase: srv.URL, Timeout: timeout},
		&wechatapi.MemoryTokenStore{}, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	f.w.Sender = c
	f.w.Templates = map[string]string{"progress": "TPL-P", "survey": "TPL-S"}
	return &weChatFixture{outboxFixture: f, fake: fake}
}

// waitFor waits until cond holds, failing the test after 10 s: the events it waits for happen on
// other goroutines, not at a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}

func texts(sent []fakewechat.Sent) []string {
	out := []string{}
	for _, s := range sent {
		out = append(out, s.Text)
	}
	return out
}

// A send to one customer that WeChat never answers holds up only that customer's later messages:
// another customer's go out meanwhile, and the first customer's follow in order once WeChat
// answers.
func TestOutboxHungSendDoesNotHoldUpOthers(t *testing.T) {
	f := newOutboxWithWeChat(t, 30*time.Second)
	f.w.Wake = make(chan struct{}, 1)
	f.wrote(t, "oHungA", 1, t0)
	f.wrote(t, "oFineB", 1, t0)
	f.fake.HangTo("oHungA")
	f.enqueue(t, complaintbot.OutboxMessage{ID: "a1", OpenID: "oHungA", Text: "A1", Purpose: complaintbot.PurposeAgent})
	f.enqueue(t, complaintbot.OutboxMessage{ID: "a2", OpenID: "oHungA", Text: "A2", Purpose: complaintbot.PurposeAgent})
	f.enqueue(t, complaintbot.OutboxMessage{ID: "b1", OpenID: "oFineB", Text: "B1", Purpose: complaintbot.PurposeNotice})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.w.Run(ctx)
	}()
	defer func() {
		cancel()
		f.fake.Release()
		<-done
	}()
	waitFor(t, "A's first message hanging", func() bool { return f.fake.Hanging() == 1 })
	f.enqueue(t, complaintbot.OutboxMessage{ID: "b2", OpenID: "oFineB", Text: "B2", Purpose: complaintbot.PurposeNotice})
	f.w.Poke()
	waitFor(t, "B's messages sent while A's send hangs", func() bool {
		return f.msg(t, "b1").Status == complaintbot.OutboxSent && f.msg(t, "b2").Status == complaintbot.OutboxSent
	})
	if got := texts(f.fake.SentTo("oFineB")); !slices.Equal(got, []string{"B1", "B2"}) {
		t.Fatalf("B got %v", got)
	}
	if f.fake.Hanging() != 1 || f.msg(t, "a2").Status != complaintbot.OutboxPending {
		t.Fatalf("A's second message went before its first was answered: hanging %d, a2 %+v", f.fake.Hanging(), f.msg(t, "a2"))
	}
	f.fake.Release() // WeChat answers at last
	waitFor(t, "A's messages sent", func() bool {
		return f.msg(t, "a1").Status == complaintbot.OutboxSent && f.msg(t, "a2").Status == complaintbot.OutboxSent
	})
	if got := texts(f.fake.SentTo("oHungA")); !slices.Equal(got, []string{"A1", "A2"}) {
		t.Fatalf("A got %v, want A1 then A2", got)
	}
}

// A send that went out and timed out may have been delivered. Only a late bot reply, which the
// customer is waiting for, is sent once more; an agent's reply, a notice (also as a template) and
// a survey question are not sent again but listed for a person; nothing reaches the customer a
// third time.
func TestOutboxTimedOutSendIsDecidedByPurpose(t *testing.T) {
	f := newOutboxWithWeChat(t, 200*time.Millisecond)
	ctx := context.Background()
	hangOnce := func(path string) { f.fake.HangNext(path, 1) }
	f.wrote(t, "oPurpose1", 1, t0)

	// A late bot reply: sent again once (the customer may see it twice), not a third time.
	hangOnce(fakewechat.PathCustomSend)
	f.enqueue(t, complaintbot.OutboxMessage{ID: "reply1", OpenID: "oPurpose1", Text: "请问您要投诉哪家网点？", Purpose: complaintbot.PurposeReply})
	f.run(t)
	if m := f.msg(t, "reply1"); m.Status != complaintbot.OutboxPending || m.Unknowns != 1 {
		t.Fatalf("reply after a timeout: %+v", m)
	}
	f.clock.Advance(time.Minute)
	f.run(t)
	if m := f.msg(t, "reply1"); m.Status != complaintbot.OutboxSent {
		t.Fatalf("reply sent again: %+v", m)
	}
	f.enqueue(t, complaintbot.OutboxMessage{ID: "reply2", OpenID: "oPurpose1", Text: "您的投诉编号是 TS1", Purpose: complaintbot.PurposeReply})
	f.fake.HangNext(fakewechat.PathCustomSend, 2)
	f.run(t)
	f.clock.Advance(time.Minute)
	f.run(t)
	f.clock.Advance(time.Hour)
	f.run(t)
	if m := f.msg(t, "reply2"); m.Status != complaintbot.OutboxUnknown || m.Unknowns != 2 {
		t.Fatalf("reply timed out twice: %+v", m)
	}
	if got := texts(f.fake.SentTo("oPurpose1")); !slices.Equal(got, []string{"请问您要投诉哪家网点？", "请问您要投诉哪家网点？", "您的投诉编号是 TS1", "您的投诉编号是 TS1"}) {
		t.Fatalf("the customer got %v", got)
	}

	// An agent's reply, a notice, a survey question: once, then a person decides.
	for _, m := range []complaintbot.OutboxMessage{
		{ID: "agent1", OpenID: "oPurpose2", Text: "我是客服小王", Purpose: complaintbot.PurposeAgent},
		{ID: "notice1", OpenID: "oPurpose3", Text: "您的投诉已受理", Purpose: complaintbot.PurposeNotice},
		{ID: "survey1", OpenID: "oPurpose4", Text: "请为本次服务打分", Purpose: complaintbot.PurposeSurvey},
		{ID: "system1", OpenID: "oPurpose5", Text: "草稿已清除", Purpose: complaintbot.PurposeSystem},
	} {
		f.wrote(t, m.OpenID, 1, f.clock.Now())
		hangOnce(fakewechat.PathCustomSend)
		f.enqueue(t, m)
		f.run(t)
		f.clock.Advance(time.Hour)
		f.run(t)
		got := f.msg(t, m.ID)
		if got.Status != complaintbot.OutboxUnknown || got.Attempts != 1 {
			t.Fatalf("%s after a timeout: %+v", m.Purpose, got)
		}
		if n := len(f.fake.SentTo(m.OpenID)); n != 1 {
			t.Fatalf("%s reached the customer %d times", m.Purpose, n)
		}
	}
	// A person checked: the agent's reply did not arrive. Sent again, once.
	if err := f.st.RequeueOutbox(ctx, "agent1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	if m := f.msg(t, "agent1"); m.Status != complaintbot.OutboxSent {
		t.Fatalf("requeued agent reply: %+v", m)
	}
	if n := len(f.fake.SentTo("oPurpose2")); n != 2 {
		t.Fatalf("requeued agent reply reached the customer %d times in all, want 2", n)
	}
	// Outside the window a notice goes as a template message: same rule.
	f.clock.Advance(72 * time.Hour)
	hangOnce(fakewechat.PathTemplateSend)
	f.enqueue(t, complaintbot.OutboxMessage{ID: "notice2", OpenID: "oPurpose3", Text: "您的投诉已办结", Purpose: complaintbot.PurposeNotice})
	f.run(t)
	f.clock.Advance(time.Hour)
	f.run(t)
	if m := f.msg(t, "notice2"); m.Status != complaintbot.OutboxUnknown || m.Channel != scheduler.ChannelTemplate {
		t.Fatalf("template notice after a timeout: %+v", m)
	}
	if n := len(f.fake.SentTo("oPurpose3")); n != 2 {
		t.Fatalf("the notices reached the customer %d times, want 2", n)
	}
	list, err := f.st.UndeliverableOutbox(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range list {
		listed = append(listed, m.ID)
	}
	slices.Sort(listed)
	if want := []string{"notice1", "notice2", "reply2", "survey1"}; !slices.Equal(listed, want) {
		t.Fatalf("listed for a person: %v, want %v", listed, want)
	}
}

// A shutdown does not cut a send short (which would make its outcome unknown for nothing): Run
// returns once the sends under way have ended and their outcomes are recorded.
func TestOutboxShutdownLetsSendsFinish(t *testing.T) {
	f := newOutboxWithWeChat(t, 300*time.Millisecond)
	f.wrote(t, "oShut0001", 1, t0)
	f.fake.Delay(fakewechat.PathCustomSend, 100*time.Millisecond) // slow, but within the timeout
	f.enqueue(t, complaintbot.OutboxMessage{ID: "s1", OpenID: "oShut0001", Text: "您好", Purpose: complaintbot.PurposeAgent})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.w.Run(ctx)
	}()
	waitFor(t, "the send under way", func() bool {
		a, err := f.st.AttemptClaimedAt(context.Background(), "s1", 1)
		return err == nil && !a.IsZero()
	})
	cancel()
	<-done
	if m := f.msg(t, "s1"); m.Status != complaintbot.OutboxSent || len(f.fake.SentTo("oShut0001")) != 1 {
		t.Fatalf("after shutdown: %+v, sent %v", m, f.fake.SentTo("oShut0001"))
	}
}
