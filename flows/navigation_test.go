package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestBack(t *testing.T) {
	c := newChat(t)
	c.say("投诉")
	c.say("返回", "已经是第一个问题", "哪方面")
	c.say("1")
	c.say("城西支行")
	c.say("返回", "回到上一步", "哪个网点", "您之前填写的是：城西支行")
	if c.st.Step != "branch" || c.st.Answered("branch") {
		t.Fatalf("back should re-ask the branch: %+v", c.st)
	}
	c.say("上一步", "哪方面", "您之前填写的是：服务态度")
	c.say("6", "哪个网点")
	c.say("高新", "什么时候")
	if c.st.Draft.Category.Name != "定价收费" || c.st.Draft.Branch.Name != "高新区支行" {
		t.Fatalf("draft %+v", c.st.Draft)
	}
	c.say("前天", "经过")
	c.say("无缘无故扣了我二十元年费。", "如何处理")
	c.say("退还费用", "联系电话")
	c.say("13812345678", "请核对", "4. 时间：2026年11月26日")
	// From the read-back, 返回 re-asks the last answer.
	c.say("返回", "联系电话", "您之前填写的是：13812345678")
	c.say("13900001111", "请核对", "7. 联系电话：13900001111")
	c.noEffects()
}

func TestCorrectionsFromTheReadback(t *testing.T) {
	c := toStep(t, "readback")
	c.say("3", "哪个网点", "您之前填写的是：城西支行")
	if !c.st.Correcting {
		t.Fatal("not correcting")
	}
	c.say("人民路网点", "请核对", "3. 网点：人民路支行", "7. 联系电话：13812345678")
	c.say("改电话", "联系电话", "13812345678")
	c.say("0571-88886666", "请核对", "7. 联系电话：0571-88886666")
	// 返回 during a correction goes back to the read-back, unchanged.
	c.say("4", "什么时候")
	c.say("返回", "请核对", "4. 时间：2026年11月27日 15:00")
	// A wrong answer to the read-back explains it.
	c.say("好像不太对", "没有完全明白", "回复“确认”提交")
	// 1 changes the kind: the new kind's category is asked, answers it shares are kept.
	c.say("1", "改为哪一类")
	c.say("建议", "建议是关于哪方面")
	// A suggestion keeps the branch it names (never asked, so its line comes last).
	c.say("1", "请核对", "1. 类型：建议", "2. 主题：网点服务", "3. 建议内容：柜员一直在看手机", "4. 联系电话：0571-88886666", "5. 网点：人民路支行")
	if _, ok := c.st.Draft.Fields[complaintbot.FieldRequest]; ok || c.st.Draft.OccurredAt != nil {
		t.Fatalf("fields a suggestion does not ask must go: %+v", c.st.Draft)
	}
	c.say("确认")
	if ef := c.effect(); ef.Type != complaintbot.EffectCreateCase || ef.Draft.Kind != complaintbot.KindSuggestion {
		t.Fatalf("effect %+v", ef)
	}

	// To praise, which has no category: the complaint's category must not ride along; the time
	// told is kept (praise never asks it).
	c = toStep(t, "readback")
	c.say("1")
	c.say("3", "哪位同事")
	c.say("跳过", "1. 类型：表扬", "2. 网点：城西支行", "3. 表扬对象：未填写", "6. 时间：2026年11月27日 15:00")
	c.say("确认")
	if d := c.effect().Draft; d.Kind != complaintbot.KindPraise || d.Category != nil || d.OccurredAt == nil || d.Branch.Code != "0201" {
		t.Fatalf("draft %+v", d)
	}
}

func TestCancelAndResume(t *testing.T) {
	c := toStep(t, "description")
	c.say("取消", "已为您取消", "保留24小时", "继续")
	if c.st.Flow != complaintbot.FlowIdle || c.st.Draft == nil || c.st.Draft.Branch.Name != "城西支行" {
		t.Fatalf("the draft must be kept: %+v", c.st)
	}
	c.wait(3 * time.Hour)
	c.say("继续", "接着来", "经过")
	c.say("取消")
	// Starting again offers the kept draft first.
	c.say("投诉", "还没有提交", "已填写3项", "继续", "重新开始")
	c.say("随便", "没有完全明白", "重新开始")
	c.say("继续", "经过")
	c.say("退出")
	c.say("投诉", "还没有提交")
	c.say("重新开始", "已为您清空", "哪方面")
	if c.st.Draft.Branch != nil || len(c.st.Done) != 0 {
		t.Fatalf("restart must start blank: %+v", c.st.Draft)
	}
	c.say("取消")
	// A kept draft is forgotten after DraftKeep.
	c.wait(24*time.Hour + time.Minute)
	c.say("继续", "已超过保存期限", "欢迎")
	if c.st.Draft != nil {
		t.Fatal("expired draft kept")
	}
	// 取消 while idle with a kept draft throws it away.
	c = toStep(t, "request")
	c.say("取消")
	c.say("取消", "已为您清除")
	if c.st.Draft != nil {
		t.Fatal("draft kept")
	}
	c.say("取消", "没有正在填写的内容")
	c.noEffects()
}

func TestIdleTimeoutOffersToContinue(t *testing.T) {
	c := toStep(t, "occurred_at")
	c.wait(29 * time.Minute)
	c.say("昨天下午3点", "经过") // within the timeout: just the answer
	c.wait(31 * time.Minute)
	if reply := c.say("柜员一直在看手机，让我等了很久。", "还没有提交", "继续", "重新开始"); strings.Contains(reply, "没有完全明白") {
		t.Fatalf("coming back after a pause is not a mistake: %s", reply)
	}
	if c.st.Answered("description") || c.st.Flow != complaintbot.FlowResume {
		t.Fatalf("after the timeout the message must not be taken as an answer: %+v", c.st)
	}
	// 继续 goes on with the message kept at the offer: nothing said is lost.
	c.say("继续", "接着来", "如何处理")
	if !strings.Contains(c.st.Draft.Fields["description"], "柜员一直在看手机") {
		t.Fatalf("the message said before 继续 is lost: %+v", c.st.Draft.Fields)
	}
	// Idle again, then a different kind from the menu: offered the draft first.
	c.wait(2 * time.Hour)
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "SUGGESTION"})
	if c.st.Flow != complaintbot.FlowResume || !strings.Contains(c.last.Replies[0], "重新填写建议") {
		t.Fatalf("menu during an idle intake: %+v %q", c.st, c.last.Replies)
	}
	c.say("重新开始", "建议是关于哪方面")
	if c.st.Draft.Kind != complaintbot.KindSuggestion {
		t.Fatalf("kind %q", c.st.Draft.Kind)
	}
}

func TestSwitchingKindMidIntakeKeepsTheDraft(t *testing.T) {
	c := toStep(t, "request")
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "COMPLAINT"})
	if !strings.Contains(c.last.Replies[0], "您正在填写的投诉还没有提交") || c.st.Step != "request" {
		t.Fatalf("same kind from the menu should remind: %q", c.last.Replies)
	}
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "PRAISE"})
	c.say("继续", "如何处理")
}

// A free-text answer is corrected in words at the read-back: its label, a word for changing it
// and the new text replace it whole.
func TestTextCorrectedInWordsAtTheReadback(t *testing.T) {
	c := toStep(t, "readback")
	c.say("经过改一下：早上八点在城西支行取钱，柜员一直看手机", "已改为", "请核对", "早上八点在城西支行取钱")
	if got := c.st.Draft.Fields["description"]; got != "早上八点在城西支行取钱，柜员一直看手机" {
		t.Fatalf("description %q", got)
	}
}
