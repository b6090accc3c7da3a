package flows

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
)

// toStep starts a complaint and answers until the given step is asked.
func toStep(t *testing.T, step string) *chat {
	t.Helper()
	c := newChat(t)
	answers := []struct{ step, answer string }{
		{"category", "1"}, {"branch", "城西支行"}, {"occurred_at", "昨天下午3点"},
		{"description", "柜员一直在看手机，让我等了很久。"}, {"request", "希望网点道歉"}, {"phone", "13812345678"},
	}
	c.say("投诉")
	for _, a := range answers {
		if c.st.Step == step {
			return c
		}
		c.say(a.answer)
	}
	if c.st.Step != step {
		t.Fatalf("never reached step %q (at %q)", step, c.st.Step)
	}
	return c
}

func TestInvalidAnswersAtEveryStep(t *testing.T) {
	long := strings.Repeat("很", 3001)
	cases := []struct {
		step   string
		answer string
		want   string
	}{
		{"category", "12", "没能识别您的选择"},
		{"category", "哈哈", "没能识别您的选择"},
		{"category", "跳过", "不能跳过"},
		{"branch", "火星支行", "没有找到与“火星支行”相符的网点"},
		{"branch", "火星支行", "城东支行、城东新区支行"},
		{"occurred_at", "明天下午3点", "还没有到"},
		{"occurred_at", "今天下午", "还没有到"},
		{"occurred_at", "2月30日", "日期不存在"},
		{"occurred_at", "哈哈哈", "没能识别这个时间"},
		{"occurred_at", "2015年3月1日", "距今太久"},
		{"description", "太差了", "至少8个字"},
		{"description", long, "3000字以内"},
		{"description", "跳过", "不能跳过"},
		{"request", "道", "至少2个字"},
		{"phone", "12345", "不是有效的电话号码"},
		{"phone", "1381234567", "不是有效的电话号码"},
		{"phone", "23812345678", "不是有效的电话号码"},
	}
	for _, tc := range cases {
		t.Run(tc.step+"/"+tc.answer[:min(len(tc.answer), 12)], func(t *testing.T) {
			c := toStep(t, tc.step)
			c.say(tc.answer, tc.want)
			if c.st.Step != tc.step || c.st.Failures != 1 || c.st.Answered(tc.step) {
				t.Fatalf("a wrong answer must keep the question: step %q failures %d done %v", c.st.Step, c.st.Failures, c.st.Done)
			}
			c.noEffects()
		})
	}
}

func TestHelpExplainsWithAnExample(t *testing.T) {
	c := toStep(t, "branch")
	c.say("帮助", "简称", "例如：城东支行", "哪个网点")
	if c.st.Failures != 0 || c.st.Step != "branch" {
		t.Fatalf("help is not a failure: %+v", c.st)
	}
	c = toStep(t, "occurred_at")
	c.say("？", "例如：昨天下午3点")
	c = toStep(t, "phone")
	c.say("帮助", "11位数字", "例如：13812345678")
}

func TestThreeFailuresOfferAPerson(t *testing.T) {
	c := toStep(t, "phone")
	first := c.say("qq", "不是有效的电话号码", "请留下您的联系电话")
	if strings.Contains(first, "人工客服，或继续") {
		t.Fatal("a person is offered too early")
	}
	second := c.say("abc", "不是有效的电话号码", "例如：13812345678")
	if strings.Contains(second, "人工客服，或继续") {
		t.Fatal("a person is offered too early")
	}
	c.say("123", "例如：13812345678", "回复“人工”转人工客服，或继续按提示回答")
	c.noEffects()
	c.say("人工", "排队")
	ef := c.effect()
	if ef.Type != complaintbot.EffectQueueForAgent || ef.Reason != complaintbot.ReasonRepeatedFailures {
		t.Fatalf("effect %+v", ef)
	}
	if c.st.Handoff != complaintbot.ConversationWaiting {
		t.Fatalf("handoff %q", c.st.Handoff)
	}
	// While queued the bot only says so, and queues nobody twice.
	c.say("13812345678", "正在排队")
	c.say("人工", "正在排队")
	if len(c.effects) != 1 {
		t.Fatalf("queued twice: %+v", c.effects)
	}
	// An agent holds the conversation: the bot stays out of it.
	c.st.Handoff = complaintbot.ConversationWithAgent
	c.say("你好", "人工客服正在为您服务")
	// Handed back: the intake goes on where it was.
	c.st.Handoff = complaintbot.ConversationWithBot
	c.say("13812345678", "请核对", "7. 联系电话：13812345678")
}

func TestAskingForAPersonAtAnyTime(t *testing.T) {
	for _, word := range []string{"人工", "转人工", "客服", "转 人工！"} {
		c := newChat(t)
		c.say(word, "人工客服", "排队")
		if ef := c.effect(); ef.Type != complaintbot.EffectQueueForAgent || ef.Reason != complaintbot.ReasonCustomerAsked {
			t.Fatalf("%q: effect %+v", word, ef)
		}
	}
	c := toStep(t, "description")
	c.say("不对")
	c.say("不对")
	c.say("客服", "排队")
	if ef := c.effect(); ef.Reason != complaintbot.ReasonCustomerAsked {
		t.Fatalf("two failures are not 'repeated failures': %+v", ef)
	}
	c = newChat(t)
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "AGENT"})
	if ef := c.effect(); ef.Type != complaintbot.EffectQueueForAgent {
		t.Fatalf("menu AGENT: %+v", ef)
	}
}

func TestChoiceTolerance(t *testing.T) {
	for answer, want := range map[string]string{
		"１": "服务态度", " 6 ": "定价收费", "第3个": "业务规则/流程", "服务设施": "服务设施/设备",
		"定价 收费": "定价收费", "柜员态度不好": "服务态度", "乱收手续费": "定价收费",
	} {
		c := toStep(t, "category")
		c.say(answer, "哪个网点")
		if c.st.Draft.Category.Name != want {
			t.Fatalf("%q chose %q, want %q", answer, c.st.Draft.Category.Name, want)
		}
	}
}

func TestBranchAmbiguity(t *testing.T) {
	c := toStep(t, "branch")
	c.say("人民", "相近的网点", "1 人民路支行", "2 人民广场支行")
	if c.st.Failures != 0 {
		t.Fatal("an ambiguous answer is not a failure")
	}
	c.say("5", "没能识别您的选择", "1 人民路支行")
	c.say("2", "什么时候")
	if c.st.Draft.Branch.Code != "0402" {
		t.Fatalf("branch %+v", c.st.Draft.Branch)
	}
	// A name among the candidates settles it too; "返回" leaves the pick.
	c = toStep(t, "branch")
	c.say("人民的网点", "1 人民路支行")
	c.say("返回", "哪个网点")
	if len(c.st.Choices) != 0 {
		t.Fatalf("choices kept: %v", c.st.Choices)
	}
	c.say("人民", "1 人民路支行")
	c.say("人民广场", "什么时候")
	if c.st.Draft.Branch.Code != "0402" {
		t.Fatalf("branch %+v", c.st.Draft.Branch)
	}
	c = toStep(t, "branch")
	c.say("无", "什么时候") // also a skip word: for the branch it means no branch
	if c.st.Draft.Branch.Code != complaintbot.NoBranchCode {
		t.Fatalf("branch %+v", c.st.Draft.Branch)
	}
	c = toStep(t, "branch")
	c.say("不涉及网点", "什么时候")
	if c.st.Draft.Branch.Code != complaintbot.NoBranchCode {
		t.Fatalf("branch %+v", c.st.Draft.Branch)
	}
}
