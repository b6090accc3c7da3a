package conversations_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// repeatEnv is the bot and an agent's registration form on one store, with the repeat rule on
// (3 complaints within 30 days).
type repeatEnv struct {
	t     *testing.T
	st    *storage.Store
	clock *complaintbot.ManualClock
	convs *conversations.Service
	reg   *cases.Registrar
	agent complaintbot.Actor
	forms int
	msgs  int
}

func newRepeatEnv(t *testing.T) *repeatEnv {
	t.Helper()
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(apptest.Start)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	registry := &conversations.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15,
		RiskWords: engine.RiskWords, RepeatCases: 3}
	svc := cases.New(cases.Deps{Store: st, Engine: engine, Clock: clock, Log: log})
	convs := conversations.New(st, engine, registry, clock, log, &events.Bus{})
	convs.Risks = svc
	u := complaintbot.User{Name: "alice", DisplayName: "王丽", Role: complaintbot.RoleAgent, Branches: []string{"0101"}}
	if err := st.CreateUser(context.Background(), &u); err != nil {
		t.Fatal(err)
	}
	stored, err := st.UserByName(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return &repeatEnv{t: t, st: st, clock: clock, convs: convs, reg: cases.NewRegistrar(svc, registry), agent: complaintbot.Actor{User: stored}}
}

// byPhone registers a case of kind an agent took by phone from the caller phone, at the clock's time.
func (e *repeatEnv) byPhone(kind complaintbot.Kind, phone string) *complaintbot.Case {
	e.t.Helper()
	e.forms++
	d := complaintbot.Draft{Kind: kind, Branch: &complaintbot.Branch{Code: "0101", Name: "城东支行"},
		Fields: map[string]string{complaintbot.FieldDescription: fmt.Sprintf("电话反映：柜员办理业务时态度不好（第%d次）", e.forms), complaintbot.FieldPhone: phone}}
	c, created, err := e.reg.Register(context.Background(), e.agent, cases.Registration{Draft: d, Channel: complaintbot.ReceivedPhone,
		Token: fmt.Sprintf("%032x", e.forms)})
	if err != nil || !created {
		e.t.Fatalf("register by phone: %v %v", created, err)
	}
	return c
}

// byWeChat has the customer openID make a complaint in the chat, giving phone, at the clock's
// time, and returns the case registered.
func (e *repeatEnv) byWeChat(openID, phone string) *complaintbot.Case {
	e.t.Helper()
	before, err := e.st.CasesOf(context.Background(), openID, 50)
	if err != nil {
		e.t.Fatal(err)
	}
	script := []string{"我要投诉", "1", "城东支行", "今天上午10点", "柜员态度很差，让我在窗口等了一个小时也没人理", "希望道歉", phone, "确认"}
	var last string
	for _, say := range script {
		e.msgs++
		out, err := e.convs.Handle(context.Background(), conversations.Message{OpenID: openID, Dedupe: fmt.Sprint("m:", e.msgs),
			Input: complaintbot.Input{Type: complaintbot.InputText, Text: say, At: e.clock.Now()}}, func() bool { return true })
		if err != nil {
			e.t.Fatalf("%q: %v", say, err)
		}
		last = strings.Join(out.Replies, "\n")
	}
	cs, err := e.st.CasesOf(context.Background(), openID, 50)
	if err != nil || len(cs) != len(before)+1 || !strings.Contains(last, cs[0].Number) {
		e.t.Fatalf("no case registered in the chat: %v %v\n%s", cs, err, last)
	}
	return e.rec(cs[0].Number)
}

func (e *repeatEnv) rec(number string) *complaintbot.Case {
	e.t.Helper()
	c, err := e.st.Case(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// alerted reports whether the branch supervisor holds a risk alert of the case.
func (e *repeatEnv) alerted(number string) bool {
	e.t.Helper()
	rem, err := storagetest.Reminders(context.Background(), e.st, []string{"0101"}, e.clock.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return slices.ContainsFunc(rem, func(r storage.Reminder) bool { return r.Kind == cases.ReminderRisk && r.Case == number })
}

// The repeat-complaint rule counts a customer's complaints through every channel: two taken by
// an agent on the phone and a third in the chat with the same phone number (written another way)
// within 30 days raise the repeat flag and alert the branch; the same outside 30 days does not,
// and suggestions and praise do not count.
func TestRepeatComplaintAcrossPhoneAndWeChat(t *testing.T) {
	t.Parallel()
	e := newRepeatEnv(t)
	day := 24 * time.Hour

	// Within 30 days: 20 and 10 days before, by phone; a suggestion and a praise in between.
	e.clock.Set(apptest.Start.Add(-20 * day))
	first := e.byPhone(complaintbot.KindComplaint, "+86 138-1234-5678")
	e.clock.Set(apptest.Start.Add(-15 * day))
	e.byPhone(complaintbot.KindSuggestion, "13812345678")
	e.byPhone(complaintbot.KindPraise, "13812345678")
	e.clock.Set(apptest.Start.Add(-10 * day))
	second := e.byPhone(complaintbot.KindComplaint, "13812345678")
	if first.Risk != nil || second.Risk != nil {
		t.Fatalf("the first two complaints were flagged: %+v %+v", first.Risk, second.Risk)
	}
	e.clock.Set(apptest.Start)
	third := e.byWeChat("oRepeat0001", "13812345678")
	if third.Risk == nil || third.Risk.Reason != complaintbot.RiskRepeat || third.Risk.Note != "30天内第3次投诉" {
		t.Fatalf("the third complaint within 30 days: risk %+v", third.Risk)
	}
	if !e.alerted(third.Number) {
		t.Fatal("the branch supervisor was not alerted of the repeat complaint")
	}

	// The same outside 30 days: 45 and 31 days before.
	e.clock.Set(apptest.Start.Add(-45 * day))
	e.byPhone(complaintbot.KindComplaint, "13900001111")
	e.clock.Set(apptest.Start.Add(-31 * day))
	e.byPhone(complaintbot.KindComplaint, "13900001111")
	e.clock.Set(apptest.Start.Add(time.Hour))
	late := e.byWeChat("oRepeat0002", "13900001111")
	if late.Risk != nil || e.alerted(late.Number) {
		t.Fatalf("complaints outside 30 days raised %+v", late.Risk)
	}

	// The other way round: two in the chat (more than the bot's 7 days apart: it would offer to
	// add to the first), the third by phone.
	e.clock.Set(apptest.Start.Add(-15 * day))
	e.byWeChat("oRepeat0003", "13700002222")
	e.clock.Set(apptest.Start.Add(-4 * day))
	e.byWeChat("oRepeat0003", "13700002222")
	e.clock.Set(apptest.Start.Add(2 * time.Hour))
	byPhone := e.byPhone(complaintbot.KindComplaint, "137 0000 2222")
	if byPhone.Risk == nil || byPhone.Risk.Reason != complaintbot.RiskRepeat || !e.alerted(byPhone.Number) {
		t.Fatalf("the third complaint, by phone after two in the chat: risk %+v", byPhone.Risk)
	}
	// A suggestion by the same caller is not flagged: only complaints count, and are counted.
	if s := e.byPhone(complaintbot.KindSuggestion, "13700002222"); s.Risk != nil {
		t.Fatalf("a suggestion flagged: %+v", s.Risk)
	}
}
