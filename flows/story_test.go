package flows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestOpeningStoryIsPrefilled(t *testing.T) {
	c := newChat(t)
	c.say("城东支行的柜员态度很差,昨天下午让我等了一个小时",
		"抱歉", "我已从您的描述中记下：类别 服务态度、网点 城东支行、时间 2026年11月27日下午、经过", "如何处理")
	if c.st.Step != complaintbot.FieldRequest {
		t.Fatalf("only the missing slots should be asked; asking %q", c.st.Step)
	}
	c.say("希望给个说法", "联系电话")
	c.say("13812345678", "1. 类型：投诉", "2. 类别：服务态度", "3. 网点：城东支行", "4. 时间：2026年11月27日下午",
		"5. 经过：城东支行的柜员态度很差,昨天下午让我等了一个小时", "6. 诉求：希望给个说法")
	c.say("确认")
	d := c.effect().Draft
	if want := []string{"category", "branch", "occurred_at", "description"}; !slices.Equal(d.Prefilled, want) {
		t.Fatalf("Prefilled %v, want %v", d.Prefilled, want)
	}
	if d.Fields[FieldOccurredPeriod] != "下午" || d.OccurredAt.Day() != 27 {
		t.Fatalf("time %v %q", d.OccurredAt, d.Fields[FieldOccurredPeriod])
	}
	if c.sent != 4 {
		t.Fatalf("a told story took %d messages, want 4", c.sent)
	}
}

func TestStoryWithPhoneAndExactTime(t *testing.T) {
	c := newChat(t)
	c.say("投诉人民路网点乱收费，11月20日上午10点半办业务多扣了50元，电话 138-1234-5678",
		"网点 人民路支行", "时间 2026年11月20日 10:30", "联系电话 13812345678", "类别 收费不合理", "如何处理")
	c.say("退钱", "请核对", "7. 联系电话：13812345678")
}

func TestStoryLeavesUnclearSlotsOpen(t *testing.T) {
	// Two branches named, no time, two categories' words: only the story itself is kept.
	c := newChat(t)
	c.say("城西支行和高新区支行都不给办，态度还很差，太让人生气了", "我已从您的描述中记下：经过", "哪方面")
	if c.st.Draft.Branch != nil || c.st.Draft.Category != nil || c.st.Draft.OccurredAt != nil {
		t.Fatalf("unclear slots were filled: %+v", c.st.Draft)
	}
	// "好一点" and "3号窗口" are not times.
	c = newChat(t)
	c.say("城西支行3号窗口的服务太差了，希望态度能好一点", "网点 城西支行")
	if c.st.Draft.OccurredAt != nil {
		t.Fatalf("time read from a story without one: %v", c.st.Draft.OccurredAt)
	}
}

func TestStoryOfPraiseAndUnclearStory(t *testing.T) {
	c := newChat(t)
	c.say("高新区支行的小王非常耐心，帮我解决了问题，谢谢", "感谢您的认可", "网点 高新区支行", "表扬对象 小王", "联系电话")
	if c.st.Draft.Kind != complaintbot.KindPraise {
		t.Fatalf("kind %q", c.st.Draft.Kind)
	}
	c = newChat(t)
	c.say("请问手机银行的转账限额在哪里可以修改呢", "1 投诉 2 建议 3 表扬")
	if c.st.Flow != complaintbot.FlowChooseKind {
		t.Fatalf("flow %q", c.st.Flow)
	}
	c.say("4", "没能识别")
	c.say("2", "感谢您愿意给我们提建议", "建议内容", "主题 手机银行/网银", "联系电话")
	if c.st.Draft.Kind != complaintbot.KindSuggestion || c.st.Draft.Fields[complaintbot.FieldDescription] == "" {
		t.Fatalf("draft %+v", c.st.Draft)
	}
	// A story while a draft is kept offers the draft first; 重新开始 uses the story.
	c.say("取消")
	c.say("城西支行的柜员态度很差，昨天上午让我等了很久", "还没有提交", "重新填写投诉")
	c.say("重新开始", "网点 城西支行", "时间 2026年11月27日上午")
}

func TestChooseKindTimesOut(t *testing.T) {
	c := newChat(t)
	c.say("请问手机银行的转账限额在哪里可以修改呢", "1 投诉")
	c.wait(time.Hour)
	c.say("2", "哪方面")
	if c.st.Story != "" || c.st.Draft.Fields[complaintbot.FieldDescription] != "" {
		t.Fatalf("a stale story must be dropped: %+v", c.st)
	}
}

// A wish said at the description question ("道歉") is the request, not the beginning of the
// story: it is kept once, and what happened is asked again.
func TestAWishAtTheDescriptionQuestionIsTheRequest(t *testing.T) {
	c := newChat(t)
	c.say("投诉 城西 态度差", "什么时候")
	c.say("昨天", "经过")
	reply := c.say("道歉", "诉求 道歉")
	if strings.Contains(reply, "请接着说") || c.st.Piece != "" {
		t.Fatalf("the wish was also kept as a piece of the story: %q (piece %q)", reply, c.st.Piece)
	}
	c.say("问柜员问题她爱答不理", "联系电话")
	if got := c.st.Draft.Fields[complaintbot.FieldDescription]; got != "问柜员问题她爱答不理" {
		t.Fatalf("description %q", got)
	}
}

// A bank's suspicion is not the customer's emergency: a frozen card "涉嫌电信诈骗" gets no advice
// to call the police, while being defrauded does.
func TestSuspicionIsNotAnEmergency(t *testing.T) {
	c := newChat(t)
	if reply := c.say("我的卡被冻结了，说是涉嫌电信诈骗，我什么都没干"); strings.Contains(reply, "110") {
		t.Fatalf("a frozen card is told to call the police: %q", reply)
	}
	c = newChat(t)
	c.say("我被骗了，刚转了两万给冒充公安的人", "110")
}

// A branch named at the request question puts right the branch the bot took from the story; the
// request is still asked.
func TestABranchAtTheRequestQuestionIsTheBranch(t *testing.T) {
	c := newChat(t)
	c.say("我的信用卡昨晚被盗刷了3000块，我人一直在家", "不涉及网点", "如何处理")
	c.say("城东支行", "已改为：网点 城东支行", "如何处理")
	if b := c.st.Draft.Branch; b == nil || b.Code != "0101" || c.st.Draft.Fields[complaintbot.FieldRequest] != "" {
		t.Fatalf("branch %+v, request %q", b, c.st.Draft.Fields[complaintbot.FieldRequest])
	}
}
