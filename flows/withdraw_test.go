package flows

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// withdrawChat is a customer with an open complaint (TS20261127-0003, 城西支行 服务态度) and a
// resolved one (TS20261101-0001).
func withdrawChat(t *testing.T) *chat {
	t.Helper()
	c := newChat(t)
	decided := saturday.AddDate(0, 0, -20)
	done := summary("TS20261101-0001", complaintbot.KindComplaint, complaintbot.StatusResolved, "0201", "attitude", saturday.AddDate(0, 0, -27))
	done.Decided = &decided
	c.facts.cases = []complaintbot.CaseSummary{
		summary("TS20261127-0003", complaintbot.KindComplaint, complaintbot.StatusInvestigating, "0201", "attitude", saturday.AddDate(0, 0, -1)),
		done,
	}
	return c
}

func TestWithdrawReadsBackThenWithdraws(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	c.say("撤回投诉 TS20261127-0003", "您要撤回的是", "TS20261127-0003", "城西支行", "确认撤回请回复“确认”")
	c.noEffects() // nothing happens before the confirmation
	c.say("确认", "已撤回", "TS20261127-0003")
	if e := c.effect(); e.Type != complaintbot.EffectWithdrawCase || e.CaseNumber != "TS20261127-0003" {
		t.Fatalf("effect %+v", e)
	}
	if c.st.Request != nil || !c.st.Idle() {
		t.Fatalf("the request is still pending: %+v", c.st.Request)
	}
	// A second "确认" confirms nothing more.
	c.say("确认")
	if len(c.last.Effects) != 0 {
		t.Fatalf("a second confirmation withdrew again: %+v", c.last.Effects)
	}
}

func TestWithdrawWithoutNumberOffersTheOpenCase(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	// The one open case is read back; the resolved one is not offered.
	c.sayNot("我想撤回", "TS20261101-0001")
	c.say("取消", "不撤回", "TS20261127-0003", "继续处理")
	c.noEffects()

	// With two open cases the customer picks one by its number in the list.
	c.facts.cases = append([]complaintbot.CaseSummary{
		summary("JY20261128-0001", complaintbot.KindSuggestion, complaintbot.StatusReceived, "0101", "", saturday)}, c.facts.cases...)
	c.say("撤回", "请问要撤回哪一件", "1. JY20261128-0001", "2. TS20261127-0003")
	c.say("5", "没能识别您的选择") // asked again
	c.say("2", "您要撤回的是", "TS20261127-0003")
	c.say("是的", "已撤回", "TS20261127-0003")
	if e := c.effect(); e.Type != complaintbot.EffectWithdrawCase || e.CaseNumber != "TS20261127-0003" {
		t.Fatalf("effect %+v", e)
	}
}

func TestWithdrawRefusals(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	c.say("撤回投诉 TS20261101-0001", "已经办结，无法撤回", "申请核查 TS20261101-0001")
	c.say("撤回投诉 TS20261120-0009", "没有找到您名下编号为 TS20261120-0009")
	c.facts.cases[0].Status = complaintbot.StatusWithdrawn
	c.say("撤回 TS20261127-0003", "已经撤回")
	c.say("撤回", "没有正在处理、可以撤回的事项")
	c.noEffects()
}

func TestWithdrawConfirmationLapses(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	c.say("撤回投诉 TS20261127-0003", "确认撤回")
	// The case was resolved meanwhile: the confirmation finds it closed.
	c.facts.cases[0].Status = complaintbot.StatusResolved
	c.say("确认", "无法撤回")
	c.noEffects()

	c = withdrawChat(t)
	c.say("撤回投诉 TS20261127-0003", "确认撤回")
	c.wait(2 * time.Hour) // past the idle timeout: "确认" is no longer the answer
	c.sayNot("确认", "已撤回")
	c.noEffects()

	// Something else than an answer drops the question and is understood as usual.
	c = withdrawChat(t)
	c.say("撤回投诉 TS20261127-0003", "确认撤回")
	c.say("进度", "您的办理记录如下")
	c.sayNot("确认", "已撤回")
	c.noEffects()
}

func TestWithdrawDuringIntakeNeedsTheNumber(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	c.say("投诉")
	// Mid-intake "撤回" alone is not a withdrawal of an earlier case.
	c.sayNot("撤回", "您要撤回的是")
	// With the number it is, and the intake's question follows.
	c.say("投诉")
	c.say("撤回投诉 TS20261127-0003", "您要撤回的是", "请继续回答")
	c.say("确认", "已撤回")
	if e := c.effect(); e.Type != complaintbot.EffectWithdrawCase {
		t.Fatalf("effect %+v", e)
	}
	if c.st.Flow != complaintbot.FlowIntake || c.st.Draft == nil {
		t.Fatalf("the intake was lost: %+v", c.st)
	}
}

func TestAStoryAboutWithdrawingIsNoRequest(t *testing.T) {
	t.Parallel()
	c := withdrawChat(t)
	c.sayNot("柜员说我的转账申请被系统撤回了，让我重新排队等了一个小时", "您要撤回的是")
	if c.st.Request != nil {
		t.Fatal("a story became a withdrawal request")
	}
}

// BenchmarkRequestOf is what looking for a withdrawal or a review adds to every text message.
func BenchmarkRequestOf(b *testing.B) {
	d := DefaultDefinition()
	for b.Loop() {
		d.requestOf("昨天下午在城西支行柜台办业务，柜员一直玩手机")
	}
}
