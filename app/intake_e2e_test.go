package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// expect sends a line and checks the answer contains every wanted fragment.
func expect(t *testing.T, h *apptest.Harness, who, line string, want ...string) string {
	t.Helper()
	got := h.Say(who, line)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("customer: %s\nbot: %s\nwant it to contain %q", line, got, w)
		}
	}
	return got
}

func cases(t *testing.T, h *apptest.Harness, who string) []complaintbot.CaseSummary {
	t.Helper()
	cs, err := h.App.Store.CasesOf(context.Background(), who, 50)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// toReadBack walks a complaint up to the read-back.
func toReadBack(t *testing.T, h *apptest.Harness, who string) {
	t.Helper()
	expect(t, h, who, "你好", "投诉")
	expect(t, h, who, "我要投诉", "发生了什么")
	expect(t, h, who, "1", "网点")
	expect(t, h, who, "城东支行", "什么时候")
	expect(t, h, who, "昨天下午3点", "经过")
	expect(t, h, who, "柜员态度很差，让我在窗口等了一个小时也没人理", "如何处理")
	expect(t, h, who, "希望支行道歉并改进服务", "电话")
	expect(t, h, who, "138 1234 5678", "确认", "服务态度", "城东支行", "13812345678", "希望支行道歉")
}

func TestFullComplaintThroughTheWebhook(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000001alice"
	toReadBack(t, h, who)
	done := expect(t, h, who, "确认", "TS20261127-0001", "2026年12月2日", "进度")
	if !strings.Contains(done, "抱歉") {
		t.Fatalf("a complaint's registration must apologise first: %s", done)
	}
	cs := cases(t, h, who)
	if len(cs) != 1 {
		t.Fatalf("cases: %+v", cs)
	}
	c, err := h.App.Store.Case(context.Background(), cs[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	wantDue := time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai) // 3 working days after Friday 27 Nov
	if c.Kind != complaintbot.KindComplaint || c.Status != complaintbot.StatusReceived || c.Branch.Name != "城东支行" ||
		c.Category == nil || c.Category.Name != "服务态度" || c.Fields[complaintbot.FieldPhone] != "13812345678" ||
		!c.ReplyDue.Truncate(time.Second).Equal(wantDue) || c.DecisionDue.Before(c.ReplyDue) || c.Channel != "wechat" || c.Month != "2026-11" {
		t.Fatalf("stored case: %+v (reply due %v)", c, c.ReplyDue)
	}
	if c.Occurred == nil || c.Occurred.In(complaintbot.Shanghai).Format("2006-01-02 15") != "2026-11-26 15" {
		t.Fatalf("occurred at %v, want yesterday 15:00", c.Occurred)
	}
	// The bot proposes the JR/T 0169 codes: the counter the customer complains about (柜员, 窗口:
	// 营业现场, though the complaint came through WeChat), the reason from the category (服务态度);
	// the business is not in the words, so it is left for the agent.
	if want := (taxonomy.Coding{Channel: "A0101", Reason: "C01"}); c.Coding != want {
		t.Fatalf("proposed coding %+v, want %+v", c.Coding, want)
	}
	expect(t, h, who, "进度", "TS20261127-0001", "已受理")
	// Another customer cannot see it.
	other := h.Say("oE2E000002bob", "查询 TS20261127-0001")
	if strings.Contains(other, "城东支行") || strings.Contains(other, "已受理") {
		t.Fatalf("another customer saw the case: %s", other)
	}
}

func TestRetriedConfirmationRegistersOneCase(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000003carol"
	toReadBack(t, h, who)
	confirm := wechatsim.Message{From: who, Type: message.MsgTypeText, Content: "确认", CreateTime: h.Clock.Now().Unix(), MsgID: 777001}
	var wg sync.WaitGroup
	answers := make([]string, 3)
	for i := range answers { // WeChat's retries, arriving together
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.Sim.Send(confirm)
			if err != nil {
				t.Error(err)
				return
			}
			answers[i] = r.Text
		}()
	}
	wg.Wait()
	r, _ := h.Sim.Send(confirm) // and one more, later
	for i, a := range append(answers, r.Text) {
		if !strings.Contains(a, "TS20261127-0001") {
			t.Fatalf("answer %d: %q", i, a)
		}
	}
	// The customer typing 确认 again (a new message) registers nothing new either.
	h.Say(who, "确认")
	if cs := cases(t, h, who); len(cs) != 1 {
		t.Fatalf("%d cases registered, want 1", len(cs))
	}
}

func TestRestartInTheMiddleLosesNothing(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000004dave"
	expect(t, h, who, "我要投诉", "发生了什么")
	expect(t, h, who, "1", "网点")
	h.Restart()
	expect(t, h, who, "城东支行", "什么时候")
	expect(t, h, who, "昨天下午3点", "经过")
	h.Restart()
	expect(t, h, who, "柜员态度很差，让我在窗口等了一个小时也没人理", "如何处理")
	expect(t, h, who, "希望支行道歉并改进服务", "电话")
	expect(t, h, who, "13812345678", "确认")
	h.Restart()
	expect(t, h, who, "确认", "TS20261127-0001")
	// Numbering continues after a restart.
	toReadBack(t, h, "oE2E000005erin")
	h.Restart()
	expect(t, h, "oE2E000005erin", "确认", "TS20261127-0002")
}

func TestConcurrentMessagesFromOneCustomerAreAppliedInTurn(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000006fay"
	expect(t, h, who, "我要投诉", "发生了什么")
	var wg sync.WaitGroup
	for _, line := range []string{"帮助", "帮助", "帮助", "帮助"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := h.Say(who, line); got == "" {
				t.Error("empty answer")
			}
		}()
	}
	wg.Wait()
	turns := 0
	for _, l := range mustTranscript(t, h, who) {
		if l.Dir == storage.Inbound {
			turns++
		}
	}
	if turns != 5 {
		t.Fatalf("%d turns stored, want 5", turns)
	}
	latest, err := h.App.Store.LatestTurn(context.Background(), who)
	if err != nil || latest.Version != 5 {
		t.Fatalf("latest version %v %v, want 5", latest, err)
	}
}

func mustTranscript(t *testing.T, h *apptest.Harness, who string) []storage.Line {
	t.Helper()
	lines, err := h.App.Store.Transcript(context.Background(), who, 200)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestStoryInOneMessagePrefillsTheDraft(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000007gus"
	got := h.Say(who, "城东支行的柜员态度很差,昨天下午让我等了一个小时")
	for step := 0; step < 6 && !strings.Contains(got, "确认"); step++ {
		switch {
		case strings.Contains(got, "如何处理"):
			got = h.Say(who, "希望道歉")
		case strings.Contains(got, "电话"):
			got = h.Say(who, "13912345678")
		case strings.Contains(got, "几点") || strings.Contains(got, "时间"):
			got = h.Say(who, "下午3点")
		default:
			t.Fatalf("unexpected question after a full story: %s", got)
		}
	}
	for _, w := range []string{"城东支行", "服务态度", "等了一个小时"} {
		if !strings.Contains(got, w) {
			t.Fatalf("read-back lacks %q: %s", w, got)
		}
	}
	expect(t, h, who, "确认", "TS20261127-0001")
}

func TestEveryAnswerIsNonEmptyForOddInput(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oE2E000008hal"
	for i, line := range []string{"？？？", "<script>alert(1)</script>", strings.Repeat("长", 600), "0", "-1", "99", "确认", "取消", "返回", "人工"} {
		if got := h.Say(who, line); strings.TrimSpace(got) == "" {
			t.Fatalf("line %d %q got an empty answer", i, line)
		}
	}
	q, err := h.App.Store.WaitingHandoffs(context.Background(), 10)
	if err != nil || len(q) != 1 || q[0].Reason != "customer_asked" {
		t.Fatalf("人工 must queue the customer once: %+v %v", q, err)
	}
	_ = fmt.Sprint
}
