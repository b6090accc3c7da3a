package handoffs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/storage"
)

const cust = "oHandoffCust0001"

// env is a running service with agents alice (王丽) and bob (李强) of 0101, carol (陈静) of 0201
// and sue (苏主管), a supervisor of 0101, and a customer waiting for a person about 城东支行 (0101).
type env struct {
	*apptest.Harness
	t     *testing.T
	users map[string]*storage.User
}

func newEnv(t *testing.T, edit func(*config.Config)) *env {
	t.Helper()
	e := &env{Harness: apptest.New(t, edit), t: t, users: map[string]*storage.User{}}
	for _, u := range []storage.User{
		{Name: "alice", DisplayName: "王丽", Role: storage.RoleAgent, Branches: []string{"0101"}},
		{Name: "bob", DisplayName: "李强", Role: storage.RoleAgent, Branches: []string{"0101"}},
		{Name: "carol", DisplayName: "陈静", Role: storage.RoleAgent, Branches: []string{"0201"}},
		{Name: "sue", DisplayName: "苏主管", Role: storage.RoleSupervisor, Branches: []string{"0101"}},
	} {
		u := u
		if err := e.App.Store.CreateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
		e.users[u.Name] = &u
	}
	e.Say(cust, "我要投诉")
	e.Say(cust, "1")
	e.Say(cust, "城东支行")
	if got := e.Say(cust, "人工"); !strings.Contains(got, "排队") {
		t.Fatalf("人工: %s", got)
	}
	return e
}

func (e *env) as(name string) complaintbot.Actor {
	return complaintbot.Actor{User: e.users[name], Addr: "test"}
}

// conv loads the customer's conversation as it stands now.
func (e *env) conv() *handoffs.Conversation {
	e.t.Helper()
	v, err := e.App.Handoffs.Conversation(context.Background(), cust)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// sent returns what the customer received, once the outbox has delivered what is due.
func (e *env) sent() []string {
	e.t.Helper()
	e.Deliver()
	var out []string
	for _, m := range e.App.Sandbox.SentTo(cust) {
		out = append(out, m.Text)
	}
	return out
}

// Two agents claim at once: one gets the conversation, the other is told who; the customer is
// told once who serves them, by display name.
func TestTwoClaimsOneWinsAndTheCustomerIsToldWho(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	v1, v2 := e.conv(), e.conv()
	if v1.Status() != "waiting" || v1.BranchCode != "0101" {
		t.Fatalf("before the claim: %s %q", v1.Status(), v1.BranchCode)
	}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, v := range map[string]*handoffs.Conversation{"alice": v1, "bob": v2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.App.Handoffs.Claim(ctx, e.as(name), v)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	winner, loser := "alice", "bob"
	if errs["alice"] != nil {
		winner, loser = loser, winner
	}
	var taken *handoffs.TakenError
	if errs[winner] != nil || !errors.As(errs[loser], &taken) || taken.By != winner || !taken.Claimed {
		t.Fatalf("claims: %v", errs)
	}
	v := e.conv()
	if v.Status() != "agent" || v.Holder != winner || v.State.Handoff != complaintbot.ConversationWithAgent {
		t.Fatalf("after the claim: %s %q", v.Status(), v.Holder)
	}
	want := "客服 " + e.users[winner].DisplayName + " 为您服务"
	if got := e.sent(); len(got) != 1 || !strings.Contains(got[0], want) {
		t.Fatalf("sent %q, want one %q", got, want)
	}
	// Claiming again is nothing new.
	if err := e.App.Handoffs.Claim(ctx, e.as(winner), e.conv()); err != nil {
		t.Fatal(err)
	}
	if got := e.sent(); len(got) != 1 {
		t.Fatalf("told twice: %q", got)
	}
}

func TestTransferAndReleaseRules(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	hs := e.App.Handoffs
	if err := hs.Release(ctx, e.as("alice"), e.conv(), false); !errors.Is(err, handoffs.ErrNotHeld) {
		t.Fatalf("release of a waiting conversation: %v", err)
	}
	if err := hs.Claim(ctx, e.as("alice"), e.conv()); err != nil {
		t.Fatal(err)
	}
	var held *handoffs.HeldError
	if err := hs.Transfer(ctx, e.as("bob"), e.conv(), "carol", ""); !errors.As(err, &held) || held.Holder != "alice" {
		t.Fatalf("bob transfers alice's conversation: %v", err)
	}
	for _, c := range []struct {
		toUser, toBranch string
		want             error
	}{
		{"carol", "", handoffs.ErrBadTarget}, // does not cover 0101
		{"nobody", "", handoffs.ErrBadTarget},
		{"alice", "", handoffs.ErrSameAgent},
		{"", "9999", handoffs.ErrUnknownBranch},
		{"", "", handoffs.ErrNoTarget},
	} {
		if err := hs.Transfer(ctx, e.as("alice"), e.conv(), c.toUser, c.toBranch); !errors.Is(err, c.want) {
			t.Errorf("transfer to %q/%q: %v, want %v", c.toUser, c.toBranch, err, c.want)
		}
	}
	// A supervisor of the branch may act on any held conversation there.
	if err := hs.Transfer(ctx, e.as("sue"), e.conv(), "bob", ""); err != nil {
		t.Fatal(err)
	}
	if v := e.conv(); v.Holder != "bob" {
		t.Fatalf("holder after the transfer: %q", v.Holder)
	}
	if err := hs.Release(ctx, e.as("bob"), e.conv(), true); err != nil {
		t.Fatal(err)
	}
	if v := e.conv(); v.Status() != "bot" || v.Handoff != nil {
		t.Fatalf("after the end: %s %+v", v.Status(), v.Handoff)
	}
	got := e.sent()
	if len(got) != 3 || !strings.Contains(got[0], "客服 王丽 为您服务") || !strings.Contains(got[1], "客服 李强 为您服务") || !strings.Contains(got[2], "人工服务已结束") {
		t.Fatalf("customer told %q", got)
	}
}

func TestReplyRules(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	hs := e.App.Handoffs
	if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "您好"}); !errors.Is(err, handoffs.ErrNotHeld) {
		t.Fatalf("reply before the claim: %v", err)
	}
	if err := hs.Claim(ctx, e.as("alice"), e.conv()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    handoffs.Reply
		want error
	}{
		{handoffs.Reply{Text: "  "}, handoffs.ErrEmptyReply},
		{handoffs.Reply{Text: strings.Repeat("长", handoffs.MaxReply+1)}, handoffs.ErrReplyTooLong},
		{handoffs.Reply{Text: "您好", ClientID: "x"}, handoffs.ErrBadClientID},
	} {
		if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), c.r); !errors.Is(err, c.want) {
			t.Errorf("reply %+v: %v, want %v", c.r, err, c.want)
		}
	}
	var held *handoffs.HeldError
	if _, err := hs.SendReply(ctx, e.as("bob"), e.conv(), handoffs.Reply{Text: "您好"}); !errors.As(err, &held) {
		t.Fatalf("bob replies: %v", err)
	}
	// The same client id twice: sent once.
	id1, err1 := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "您好", ClientID: "client-0001"})
	id2, err2 := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "您好", ClientID: "client-0001"})
	if err1 != nil || err2 != nil || id1 != id2 {
		t.Fatalf("double submission: %q %v, %q %v", id1, err1, id2, err2)
	}
	// The claim's notice and this reply are two of the allowance; three more go, then none.
	for range storage.WindowAllowance - 2 {
		if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "请稍候"}); err != nil {
			t.Fatal(err)
		}
	}
	var used *handoffs.AllowanceError
	if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "还在吗"}); !errors.As(err, &used) || used.Used != storage.WindowAllowance {
		t.Fatalf("beyond the allowance: %v", err)
	}
	if got := e.sent(); len(got) != storage.WindowAllowance {
		t.Fatalf("sent %d: %q", len(got), got)
	}
	e.Clock.Advance(48*time.Hour + time.Minute)
	if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "还在吗"}); !errors.Is(err, handoffs.ErrWindowClosed) {
		t.Fatalf("after 48 h: %v", err)
	}
}

// The idle return tells the customer when WeChat allows it; when the 48-hour window has closed
// meanwhile, the notice is on the list of customers to call instead.
func TestIdleReturnAfterTheWindowClosedListsTheCustomerToCall(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Console.AgentIdleTimeout = config.Duration(20 * time.Hour) })
	ctx := context.Background()
	hs := e.App.Handoffs
	if err := hs.Claim(ctx, e.as("alice"), e.conv()); err != nil {
		t.Fatal(err)
	}
	// The agent keeps working on it, a reply now and then, until the window has closed.
	for range 2 {
		e.Clock.Advance(19 * time.Hour)
		if n, err := hs.ReturnIdle(ctx); err != nil || n != 0 {
			t.Fatalf("returned while the agent was active: %d %v", n, err)
		}
		if _, err := hs.SendReply(ctx, e.as("alice"), e.conv(), handoffs.Reply{Text: "还在处理，请稍候"}); err != nil {
			t.Fatal(err)
		}
		e.Deliver() // before the clock moves on: the reply goes while the window is open
	}
	e.Clock.Advance(20*time.Hour + time.Minute) // 58 h after the customer's last message
	if n, err := hs.ReturnIdle(ctx); err != nil || n != 1 {
		t.Fatalf("idle return: %d %v", n, err)
	}
	if n, err := hs.ReturnIdle(ctx); err != nil || n != 0 {
		t.Fatalf("returned twice: %d %v", n, err)
	}
	if got := e.sent(); len(got) != 3 {
		t.Fatalf("sent %q", got)
	}
	call, err := e.App.Store.UndeliverableOutbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(call) != 1 || call[0].OpenID != cust || call[0].Purpose != complaintbot.PurposeHandoff || !strings.Contains(call[0].Text, "较长时间") ||
		!strings.Contains(call[0].LastError, "48-hour") {
		t.Fatalf("call list: %+v", call)
	}
	lines, err := hs.Messages(ctx, cust, 50)
	if err != nil {
		t.Fatal(err)
	}
	if last := lines[len(lines)-1]; last.Undelivered != complaintbot.OutboxUndeliverable || !strings.Contains(last.Text, "较长时间") {
		t.Fatalf("last line %+v", last)
	}
	if v := e.conv(); v.Status() != "bot" {
		t.Fatalf("after the idle return: %s", v.Status())
	}
}

// The after-hours note says when agents are back (09:00–17:30 on working days by default).
func TestAfterHoursNote(t *testing.T) {
	e := newEnv(t, nil)
	friday := apptest.Start // Friday 2026-11-27 10:00
	for at, want := range map[time.Time]string{
		friday: "", friday.Add(8 * time.Hour): "11月30日（周一）09:00", friday.Add(24 * time.Hour): "11月30日（周一）09:00",
		friday.Add(-2 * time.Hour): "今天 09:00",
	} {
		got := e.App.Handoffs.AfterHoursNote(at)
		if (want == "" && got != "") || !strings.Contains(got, want) || e.App.Handoffs.OnDuty(at) != (want == "") {
			t.Errorf("after-hours note at %v: %q, want %q", at, got, want)
		}
	}
}
