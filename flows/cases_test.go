package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestDuplicateComplaintIsOfferedToAttach(t *testing.T) {
	earlier := summary("TS20261125-0003", complaintbot.KindComplaint, complaintbot.StatusInvestigating, "0201", "attitude",
		saturday.AddDate(0, 0, -3))
	c := newChat(t)
	c.facts.cases = []complaintbot.CaseSummary{earlier}
	c = toStepWith(t, c, "phone")
	c.say("13812345678", "11月25日", "城西支行", "服务态度", "TS20261125-0003", "调查处理中", "1 补充到 TS20261125-0003", "2 新建")
	c.say("3", "没能识别")
	c.say("1", "已将以下内容补充到您的投诉 TS20261125-0003", "3. 网点：城西支行", "回复“进度”")
	ef := c.effect()
	if ef.Type != complaintbot.EffectAttachToCase || ef.CaseNumber != "TS20261125-0003" || ef.Draft == nil ||
		ef.Draft.Fields[complaintbot.FieldDescription] == "" {
		t.Fatalf("effect %+v", ef)
	}
	if c.st.Draft != nil || c.st.Flow != complaintbot.FlowIdle {
		t.Fatalf("state after attach: %+v", c.st)
	}

	// "2 新建" goes on to the read-back and registers a new case, without asking again.
	c = newChat(t)
	c.facts.cases = []complaintbot.CaseSummary{earlier}
	c = toStepWith(t, c, "phone")
	c.say("13812345678", "补充到")
	c.say("新建", "请核对", "3. 网点：城西支行")
	c.say("7", "联系电话")
	c.sayNot("13900001111", "补充到")
	c.say("确认")
	if ef := c.effect(); ef.Type != complaintbot.EffectCreateCase {
		t.Fatalf("effect %+v", ef)
	}
}

func TestNoDuplicateQuestionWhenItDoesNotApply(t *testing.T) {
	tests := map[string]complaintbot.CaseSummary{
		"closed":         summary("TS20261125-0003", complaintbot.KindComplaint, complaintbot.StatusClosed, "0201", "attitude", saturday.AddDate(0, 0, -3)),
		"other branch":   summary("TS20261125-0003", complaintbot.KindComplaint, complaintbot.StatusReceived, "0101", "attitude", saturday.AddDate(0, 0, -3)),
		"other category": summary("TS20261125-0003", complaintbot.KindComplaint, complaintbot.StatusReceived, "0201", "fees", saturday.AddDate(0, 0, -3)),
		"too old":        summary("TS20261118-0003", complaintbot.KindComplaint, complaintbot.StatusReceived, "0201", "attitude", saturday.AddDate(0, 0, -8)),
	}
	for name, cs := range tests {
		t.Run(name, func(t *testing.T) {
			c := newChat(t)
			c.facts.cases = []complaintbot.CaseSummary{cs}
			c = toStepWith(t, c, "phone")
			c.sayNot("13812345678", "补充到")
			if c.st.Step != stepReadback {
				t.Fatalf("step %q", c.st.Step)
			}
		})
	}
}

func TestDailyCap(t *testing.T) {
	var cases []complaintbot.CaseSummary
	for i := range 5 {
		// Received today in Shanghai, even if stored in UTC (08:30 Shanghai is 00:30 UTC).
		at := time.Date(2026, 11, 28, 0, 30+i, 0, 0, time.UTC)
		cases = append(cases, summary("JY20261128-000"+string(rune('1'+i)), complaintbot.KindSuggestion,
			complaintbot.StatusReceived, "NONE", "s-other", at))
	}
	c := newChat(t)
	c.facts.cases = cases
	c = toStepWith(t, c, "readback")
	c.say("确认", "非常抱歉", "已提交了5件", "95588", "明天回复“继续”")
	c.noEffects()
	if c.st.Draft == nil || c.st.Flow != complaintbot.FlowIdle {
		t.Fatalf("the draft must be kept: %+v", c.st)
	}
	// The next (Shanghai) morning the kept draft goes in.
	c.wait(14 * time.Hour)
	c.say("继续", "请核对", "3. 网点：城西支行")
	c.say("确认")
	if ef := c.effect(); ef.Type != complaintbot.EffectCreateCase {
		t.Fatalf("effect %+v", ef)
	}

	// Yesterday's cases do not count.
	c = newChat(t)
	c.facts.cases = append(cases[:4:4], summary("TS20261127-0001", complaintbot.KindComplaint, complaintbot.StatusReceived,
		"0101", "fees", time.Date(2026, 11, 27, 15, 59, 0, 0, time.UTC))) // 23:59 Shanghai on the 27th
	c = toStepWith(t, c, "readback")
	c.say("确认")
	if ef := c.effect(); ef.Type != complaintbot.EffectCreateCase {
		t.Fatalf("effect %+v", ef)
	}
}

func TestProgressListsOnlyOwnCases(t *testing.T) {
	own := []complaintbot.CaseSummary{
		summary("TS20261128-0007", complaintbot.KindComplaint, complaintbot.StatusInvestigating, "0101", "attitude",
			time.Date(2026, 11, 28, 9, 0, 0, 0, complaintbot.Shanghai)),
		summary("JY20261101-0002", complaintbot.KindSuggestion, complaintbot.StatusClosed, "NONE", "s-app",
			time.Date(2026, 11, 1, 9, 0, 0, 0, complaintbot.Shanghai)),
	}
	c := newChat(t)
	c.facts.cases = own
	c.say("进度", "TS20261128-0007 投诉·调查处理中，预计2026年12月1日前答复", "JY20261101-0002 建议·已办结")
	c.sayNot("查询 ts20261128 0007", "没有找到")
	c.say("查询 ts20261128 0007", "编号：TS20261128-0007", "网点：城东支行", "类别：服务态度", "当前状态：调查处理中", "2026年12月1日")
	c.say("TS20261128-0007", "编号：TS20261128-0007")
	other := c.sayNot("查询 TS20261120-0001", "城东支行", "调查处理中")
	if !strings.Contains(other, "没有找到您名下编号为 TS20261120-0001 的记录") {
		t.Fatalf("someone else's case: %s", other)
	}
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "PROGRESS"})
	if !strings.Contains(c.last.Replies[0], "TS20261128-0007") {
		t.Fatalf("menu PROGRESS: %q", c.last.Replies)
	}
	// A story that merely mentions a number is not a query.
	c.say("我上次投诉TS20261128-0007的事情城东支行还没有处理，太差了", "抱歉", "经过")

	// Mid-intake: the list, then a reminder of the question; the question stays.
	c = newChat(t)
	c.facts.cases = own
	c = toStepWith(t, c, "occurred_at")
	c.say("查询", "TS20261128-0007", "您正在填写的投诉还没有提交", "什么时候")
	if c.st.Step != "occurred_at" || c.st.Failures != 0 {
		t.Fatalf("state %+v", c.st)
	}
	c.say("昨天", "经过")

	c = newChat(t)
	c.say("进度", "暂未查到")
}

func TestFactsErrorIsReturned(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{})
	st := complaintbot.ConversationState{}
	_, err := e.Handle(st, complaintbot.Input{Type: complaintbot.InputText, Text: "进度"}, saturday, &memFacts{err: errFacts})
	if err == nil || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("err %v", err)
	}
	// A nil Facts is a customer without cases.
	r, err := e.Handle(st, complaintbot.Input{Type: complaintbot.InputText, Text: "进度"}, saturday, nil)
	if err != nil || !strings.Contains(r.Replies[0], "暂未查到") {
		t.Fatalf("%v %q", err, r.Replies)
	}
}

// toStepWith is toStep on an existing chat (one with facts).
func toStepWith(t *testing.T, c *chat, step string) *chat {
	t.Helper()
	answers := []string{"1", "城西支行", "昨天下午3点", "柜员一直在看手机，让我等了很久。", "希望网点道歉", "13812345678"}
	c.say("投诉")
	for _, a := range answers {
		if c.st.Step == step {
			return c
		}
		c.say(a)
	}
	if c.st.Step != step {
		t.Fatalf("never reached step %q (at %q)", step, c.st.Step)
	}
	return c
}
