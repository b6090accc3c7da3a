package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
)

type inbox struct {
	Waiting []struct {
		OpenID  string `json:"openid"`
		Branch  string `json:"branch"`
		Summary string `json:"summary"`
	} `json:"waiting"`
	Mine []struct {
		OpenID string `json:"openid"`
	} `json:"mine"`
}

func sentTexts(e *env, openID string) []string {
	var out []string
	for _, m := range e.App.Sandbox.SentTo(openID) {
		out = append(out, m.Text)
	}
	return out
}

func TestHandoffClaimReplyReleaseThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	alice := e.token("alice")
	var in inbox
	if st := alice.getJSON("/api/v1/inbox", &in); st != 200 || len(in.Waiting) != 1 || in.Waiting[0].OpenID != custA ||
		in.Waiting[0].Branch != "城东支行" || !strings.Contains(in.Waiting[0].Summary, "服务态度") {
		t.Fatalf("inbox: %d %+v", st, in)
	}
	// An agent of another branch does not see the customer.
	carol := e.token("carol")
	if carol.getJSON("/api/v1/inbox", &in); len(in.Waiting) != 0 {
		t.Fatalf("carol sees %+v", in.Waiting)
	}
	// Waiting: the bot answers that the customer is in line.
	if got := e.say(custA, "还要等多久"); !strings.Contains(got, "排队") {
		t.Fatalf("while waiting: %q", got)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	// The customer is told who serves them, by the agent's display name.
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != 1 || !strings.Contains(got[0], "客服 王丽 为您服务") {
		t.Fatalf("claim notice: %q", got)
	}
	// Held by an agent: the bot says nothing, the message is stored and shown.
	e.Clock.Advance(time.Second) // the customer writes after being told
	if r, err := e.Sim.Text(custA, "你好，我的问题是<b>柜员</b>态度"); err != nil || !r.Success {
		t.Fatalf("with agent: %+v %v", r, err)
	}
	var conv struct {
		Status     string `json:"status"`
		Holder     string `json:"holder"`
		HolderName string `json:"holder_name"`
		Messages   []struct {
			Dir, Text string
			ByName    string `json:"by_name"`
		}
		Window struct{ Open bool }
	}
	if st := alice.getJSON("/api/v1/conversations/"+custA, &conv); st != 200 || conv.Status != "agent" || conv.Holder != "alice" ||
		conv.HolderName != "王丽" || !conv.Window.Open {
		t.Fatalf("conversation: %d %+v", st, conv)
	}
	if last := conv.Messages[len(conv.Messages)-1]; last.Dir != "in" || last.Text != "你好，我的问题是<b>柜员</b>态度" {
		t.Fatalf("last line %+v", last)
	}
	// Reply, twice with the same client id: sent once.
	for range 2 {
		if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "您好，我是客服王丽。", "client_id": "reply-0001"}); st != 200 {
			t.Fatalf("reply: %d %s", st, body)
		}
	}
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != 2 || got[1] != "您好，我是客服王丽。" {
		t.Fatalf("sent to the customer: %q", got)
	}
	// In the chat the agent is named as everywhere else: by display name.
	alice.getJSON("/api/v1/conversations/"+custA, &conv)
	named := false
	for _, l := range conv.Messages {
		named = named || (l.Text == "您好，我是客服王丽。" && l.ByName == "王丽")
	}
	if !named {
		t.Fatalf("reply line not named 王丽: %+v", conv.Messages)
	}
	if st, page := e.login("alice").do("GET", "/conversations/"+custA, nil); st != 200 || !strings.Contains(page, "王丽 · ") || strings.Contains(page, "alice · ") {
		t.Fatalf("conversation page names the agent by user name: %d", st)
	}
	// Bob cannot reply to Alice's conversation, nor claim it; he is told who holds it.
	bob := e.token("bob")
	if st, body := bob.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "x"}); st != http.StatusConflict || !strings.Contains(body, "由 王丽 处理中") {
		t.Fatalf("bob replies: %d %s", st, body)
	}
	if st, body := bob.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != http.StatusConflict || !strings.Contains(body, "王丽") {
		t.Fatalf("bob claims: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/release", nil); st != 200 {
		t.Fatalf("release: %d %s", st, body)
	}
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != 3 || !strings.Contains(got[2], "智能助手") {
		t.Fatalf("release notice: %q", got)
	}
	// Back with the bot, which goes on with the complaint where it was.
	if got := e.say(custA, "昨天下午3点"); !strings.Contains(got, "经过") {
		t.Fatalf("bot after release: %q", got)
	}
	// The audit trail has the claim, the reply and the release.
	log, err := e.App.Store.AuditLog(context.Background(), storage.AuditFilter{TargetType: "conversation", Target: custA})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.User+":"+a.Action)
	}
	if got := strings.Join(actions, " "); got != "alice:conversation.release alice:conversation.reply alice:conversation.claim" {
		t.Fatalf("audit: %s", got)
	}
}

func TestTwoAgentsClaimAtOnceOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	agents := map[string]*client{"alice": e.token("alice"), "bob": e.token("bob")}
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]string{}
	start := make(chan struct{})
	for name, c := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, body := c.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil)
			mu.Lock()
			results[name] = fmt.Sprintf("%d %s", st, body)
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	var winner, loser string
	for name, r := range results {
		if strings.HasPrefix(r, "200") {
			winner = name
		} else {
			loser = name
		}
	}
	if winner == "" || loser == "" {
		t.Fatalf("want one winner: %v", results)
	}
	label := map[string]string{"alice": "王丽", "bob": "李强"}[winner]
	if r := results[loser]; !strings.HasPrefix(r, "409") || !strings.Contains(r, "已被 "+label+" 接入") {
		t.Fatalf("loser %s told %s", loser, r)
	}
	st, err := e.App.Convs.State(context.Background(), custA)
	if err != nil || st.Handoff != complaintbot.ConversationWithAgent {
		t.Fatalf("state %+v %v", st, err)
	}
	h, err := e.App.Store.ActiveHandoffOf(context.Background(), custA)
	if err != nil || h.Agent != winner || h.Seq != 1 {
		t.Fatalf("handoff %+v %v", h, err)
	}
}

func TestReplyRefusedWhenTheWindowIsClosedOrUsedUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	// The claim's notice to the customer ("客服 王丽 为您服务") is one of the allowance.
	for i := range storage.WindowAllowance - 1 {
		if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": fmt.Sprintf("第%d条", i+1)}); st != 200 {
			t.Fatalf("reply %d: %d %s", i, st, body)
		}
	}
	// The sixth message is refused before anything is queued, even before the others went out.
	st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "第6条"})
	if st != http.StatusConflict || !strings.Contains(body, "上限") {
		t.Fatalf("sixth reply: %d %s", st, body)
	}
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != storage.WindowAllowance {
		t.Fatalf("sent %d: %q", len(got), got)
	}
	if st, _ := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "第6条"}); st != http.StatusConflict {
		t.Fatalf("sixth reply after delivery: %d", st)
	}
	// The customer writes: a new window.
	e.Clock.Advance(time.Minute)
	if r, err := e.Sim.Text(custA, "好的"); err != nil || !r.Success {
		t.Fatal(err)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "收到"}); st != 200 {
		t.Fatalf("reply in the new window: %d %s", st, body)
	}
	// 48 hours later the window is closed (the idle return is not run here).
	e.Clock.Advance(48*time.Hour + time.Minute)
	alice = e.token("alice")
	st, body = alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "还在吗"})
	if st != http.StatusConflict || !strings.Contains(body, "48 小时") {
		t.Fatalf("reply after 48 h: %d %s", st, body)
	}
}

func TestIdleConversationReturnsToTheBot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Console.AgentIdleTimeout = config.Duration(10 * time.Minute) })
	e.askForPerson(custA, "城东支行")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	ctx := context.Background()
	e.Clock.Advance(6 * time.Minute)
	if r, _ := e.Sim.Text(custA, "在吗"); !r.Success {
		t.Fatalf("bot spoke while the agent holds the conversation: %q", r.Text)
	}
	e.Clock.Advance(6 * time.Minute) // 12 min after the claim, 6 after the customer's message
	idle := func() int {
		t.Helper()
		r, err := e.App.Scheduler.RunOnce(ctx, scheduler.JobIdleReturn)
		if err != nil || !r.Ran {
			t.Fatalf("idle return job: %+v %v", r, err)
		}
		return r.Done
	}
	if n := idle(); n != 0 {
		t.Fatalf("returned too early: %d", n)
	}
	e.Clock.Advance(5 * time.Minute)
	if n := idle(); n != 1 {
		t.Fatalf("idle return: %d", n)
	}
	if n := idle(); n != 0 {
		t.Fatalf("returned twice")
	}
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != 2 || !strings.Contains(got[1], "较长时间") {
		t.Fatalf("customer told: %q", got)
	}
	if got := e.say(custA, "昨天下午3点"); !strings.Contains(got, "经过") {
		t.Fatalf("bot after idle return: %q", got)
	}
	log, _ := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "conversation", Target: custA})
	if len(log) == 0 || log[0].Action != "conversation.idle_return" || log[0].User != "system" {
		t.Fatalf("audit: %+v", log)
	}
	// Outside working hours (09:00-17:30 on working days) the queued customer is told when agents are back.
	friday := apptest.Start // Friday 2026-11-27 10:00
	for at, want := range map[time.Time]string{
		friday: "", friday.Add(8 * time.Hour): "11月30日（周一）09:00", friday.Add(24 * time.Hour): "11月30日（周一）09:00",
		friday.Add(-2 * time.Hour): "今天 09:00",
	} {
		got := e.App.Handoffs.AfterHoursNote(at)
		if (want == "" && got != "") || !strings.Contains(got, want) {
			t.Errorf("after-hours note at %v: %q, want %q", at, got, want)
		}
	}
}

func TestTransferQueueAndTakeOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	alice, bob, carol := e.token("alice"), e.token("bob"), e.token("carol")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	// To an agent who does not cover the branch: refused.
	if st, _ := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/transfer", map[string]string{"to_user": "carol"}); st != http.StatusBadRequest {
		t.Fatalf("transfer to carol: %d", st)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/transfer", map[string]string{"to_user": "bob"}); st != 200 {
		t.Fatalf("transfer to bob: %d %s", st, body)
	}
	// The customer is told who serves them now.
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != 2 || !strings.Contains(got[0], "客服 王丽 为您服务") || !strings.Contains(got[1], "客服 李强 为您服务") {
		t.Fatalf("notices: %q", got)
	}
	var in inbox
	if bob.getJSON("/api/v1/inbox", &in); len(in.Mine) != 1 {
		t.Fatalf("bob's inbox %+v", in)
	}
	// Bob sends it to the queue of 城西支行 (0201): Carol can now claim it.
	if st, body := bob.doJSON("POST", "/api/v1/conversations/"+custA+"/transfer", map[string]string{"to_branch": "0201"}); st != 200 {
		t.Fatalf("transfer to branch: %d %s", st, body)
	}
	if carol.getJSON("/api/v1/inbox", &in); len(in.Waiting) != 1 {
		t.Fatalf("carol's inbox %+v", in)
	}
	if st, body := carol.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("carol claims: %d %s", st, body)
	}
	if st, body := carol.doJSON("POST", "/api/v1/conversations/"+custA+"/end", nil); st != 200 {
		t.Fatalf("end: %d %s", st, body)
	}
	// An agent takes over a conversation the bot has (custB, complaining about 城东支行).
	e.say(custB, "我要投诉")
	e.say(custB, "1")
	e.say(custB, "城东支行")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custB+"/take", nil); st != 200 {
		t.Fatalf("take over: %d %s", st, body)
	}
	if r, _ := e.Sim.Text(custB, "你好"); !r.Success {
		t.Fatalf("bot spoke after the take-over: %q", r.Text)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custB+"/release", url.Values{}); st != 200 {
		t.Fatalf("release: %d %s", st, body)
	}
}

// idleReturnPastTheAllowance has alice take custA's conversation (城东支行), use up the customer's
// allowance of customer-service messages, and leave it idle until it returns to the bot: the
// return's notice cannot be sent. The env's idle timeout must be 10 minutes.
func idleReturnPastTheAllowance(t *testing.T, e *env) {
	t.Helper()
	e.askForPerson(custA, "城东支行")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	for i := range storage.WindowAllowance - 1 {
		if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": fmt.Sprintf("第%d条", i+1)}); st != 200 {
			t.Fatalf("reply %d: %d %s", i, st, body)
		}
	}
	e.Deliver()
	if got := sentTexts(e, custA); len(got) != storage.WindowAllowance {
		t.Fatalf("sent %d: %q", len(got), got)
	}
	e.Clock.Advance(11 * time.Minute)
	if r, err := e.App.Scheduler.RunOnce(context.Background(), scheduler.JobIdleReturn); err != nil || r.Done != 1 {
		t.Fatalf("idle return: %+v %v", r, err)
	}
	e.Deliver()
}

// A conversation that goes back to the bot while the customer's allowance of customer-service
// messages is used up is not returned silently: the notice is on the list of customers to call,
// and the conversation shows it as not sent.
func TestIdleReturnWithTheAllowanceUsedUpListsTheCustomerToCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Console.AgentIdleTimeout = config.Duration(10 * time.Minute) })
	ctx := context.Background()
	idleReturnPastTheAllowance(t, e)
	if got := sentTexts(e, custA); len(got) != storage.WindowAllowance {
		t.Fatalf("sent beyond the allowance: %q", got)
	}
	call, err := e.App.Store.UndeliverableOutbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(call) != 1 || call[0].OpenID != custA || call[0].Status != complaintbot.OutboxUndeliverable || !strings.Contains(call[0].Text, "较长时间") ||
		!strings.Contains(call[0].LastError, "call the customer") {
		t.Fatalf("call list: %+v", call)
	}
	var conv struct {
		Status   string `json:"status"`
		Messages []struct{ Text, Failed string }
	}
	if st := e.token("alice").getJSON("/api/v1/conversations/"+custA, &conv); st != 200 || conv.Status != "bot" {
		t.Fatalf("conversation: %d %+v", st, conv)
	}
	if last := conv.Messages[len(conv.Messages)-1]; !strings.Contains(last.Text, "较长时间") || !strings.Contains(last.Failed, "电话联系客户") {
		t.Fatalf("last line %+v", last)
	}
}
