package conversations_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// Two instances behind a load balancer (each with its own cache and locks) share one database:
// a customer whose messages alternate between them is served as if by one.
func TestTwoInstancesServeOneCustomer(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(apptest.Start)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := &conversations.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	log := slog.New(slog.DiscardHandler)
	instances := []*conversations.Service{
		conversations.New(st, engine, reg, clock, log, &events.Bus{}),
		conversations.New(st, engine, reg, clock, log, &events.Bus{}),
	}
	script := []struct{ say, want string }{
		{"我要投诉", "发生了什么"}, {"1", "网点"}, {"城东支行", "什么时候"}, {"昨天下午3点", "经过"},
		{"柜员态度很差，让我在窗口等了一个小时也没人理", "如何处理"}, {"希望道歉", "电话"}, {"13812345678", "确认"},
		{"确认", "TS20261127-0001"},
	}
	passive := func() bool { return true }
	for i, line := range script {
		inst := instances[i%2]
		out, err := inst.Handle(context.Background(), conversations.Message{OpenID: "oTwo000001", Dedupe: fmt.Sprint("m:", i), Input: complaintbot.Input{Type: complaintbot.InputText, Text: line.say}}, passive)
		if err != nil {
			t.Fatalf("line %d on instance %d: %v", i, i%2, err)
		}
		if got := strings.Join(out.Replies, "\n"); !strings.Contains(got, line.want) {
			t.Fatalf("line %d %q on instance %d: %s", i, line.say, i%2, got)
		}
	}
	// WeChat retries the confirmation at the other instance: the same answer, no second case.
	out, err := instances[0].Handle(context.Background(), conversations.Message{OpenID: "oTwo000001", Dedupe: "m:7", Input: complaintbot.Input{Type: complaintbot.InputText, Text: "确认"}}, passive)
	if err != nil || !out.Duplicate || !strings.Contains(strings.Join(out.Replies, ""), "TS20261127-0001") {
		t.Fatalf("retry at the other instance: %+v %v", out, err)
	}
	cs, _ := st.CasesOf(context.Background(), "oTwo000001", 10)
	if len(cs) != 1 {
		t.Fatalf("%d cases", len(cs))
	}
	// A second customer's case on the other instance takes the next number, not the same one.
	for i, line := range script[:len(script)-1] {
		_, err := instances[(i+1)%2].Handle(context.Background(), conversations.Message{OpenID: "oTwo000002", Dedupe: fmt.Sprint("n:", i), Input: complaintbot.Input{Type: complaintbot.InputText, Text: line.say}}, passive)
		if err != nil {
			t.Fatal(err)
		}
	}
	out, _ = instances[1].Handle(context.Background(), conversations.Message{OpenID: "oTwo000002", Dedupe: "n:7", Input: complaintbot.Input{Type: complaintbot.InputText, Text: "确认"}}, passive)
	if !strings.Contains(strings.Join(out.Replies, ""), "TS20261127-0002") {
		t.Fatalf("second case: %v", out.Replies)
	}
}
