package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestComplaintHappyPath(t *testing.T) {
	c := newChat(t)
	c.say("投诉", "抱歉", "发生了什么", "哪方面", "返回")
	c.say("1", "哪个网点")
	c.say("城西支行", "什么时候")
	c.say("昨天下午3点", "经过")
	c.say("我去办理定期存款，柜员一直在看手机，让我等了很久。", "如何处理")
	c.say("希望网点道歉", "联系电话")
	c.say("138 1234 5678", "1. 类型：投诉", "2. 类别：服务态度", "3. 网点：城西支行",
		"4. 时间：2026年11月27日 15:00", "5. 经过：我去办理定期存款", "6. 诉求：希望网点道歉", "7. 联系电话：13812345678", "确认")
	c.noEffects()
	if reply := c.say("确认"); reply != "" {
		t.Fatalf("the create-case turn should leave the reply to the caller, got %q", reply)
	}
	ef := c.effect()
	if ef.Type != complaintbot.EffectCreateCase || ef.Draft == nil {
		t.Fatalf("want create_case with a draft, got %+v", ef)
	}
	d := ef.Draft
	if d.Kind != complaintbot.KindComplaint || d.Category.Name != "服务态度" ||
		d.Branch.Code != "0201" || d.Fields[complaintbot.FieldPhone] != "13812345678" ||
		d.Fields[complaintbot.FieldRequest] != "希望网点道歉" ||
		!d.OccurredAt.Equal(time.Date(2026, 11, 27, 15, 0, 0, 0, complaintbot.Shanghai)) {
		t.Fatalf("draft: %+v", d)
	}
	if c.st.Flow != complaintbot.FlowIdle || c.st.Draft != nil {
		t.Fatalf("after registering, the state should be idle: %+v", c.st)
	}
	if c.sent != 8 {
		t.Fatalf("a typical complaint took %d customer messages, want 8", c.sent)
	}
}

func TestSuggestionHappyPath(t *testing.T) {
	c := newChat(t)
	c.say("我要建议", "感谢", "哪方面", "2 手机银行/网银")
	c.say("手机银行", "请写下您的建议")
	c.say("希望手机银行转账记录能按月导出", "联系电话", "跳过")
	c.say("跳过", "1. 类型：建议", "2. 主题：手机银行/网银", "3. 建议内容：希望手机银行转账记录能按月导出", "4. 联系电话：未填写")
	c.say("确认")
	ef := c.effect()
	if ef.Type != complaintbot.EffectCreateCase || ef.Draft.Kind != complaintbot.KindSuggestion || ef.Draft.Category.Code != "s-app" {
		t.Fatalf("effect: %+v", ef)
	}
	if _, ok := ef.Draft.Fields[complaintbot.FieldPhone]; ok {
		t.Fatalf("a skipped phone must not be stored: %+v", ef.Draft.Fields)
	}
	if c.sent != 5 {
		t.Fatalf("a suggestion took %d messages, want 5", c.sent)
	}
}

func TestPraiseHappyPath(t *testing.T) {
	c := newChat(t)
	c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: "PRAISE"})
	c.say("人民路网点", "哪位同事")
	c.say("3号窗口的李经理", "哪里做得好")
	c.say("耐心帮我父亲办理了社保卡激活，讲解得很清楚", "联系电话")
	c.say("0571 8888 6666", "1. 类型：表扬", "2. 网点：人民路支行", "3. 表扬对象：3号窗口的李经理", "5. 联系电话：0571-88886666")
	c.say("确定")
	ef := c.effect()
	if ef.Type != complaintbot.EffectCreateCase || ef.Draft.Kind != complaintbot.KindPraise || ef.Draft.Branch.Code != "0401" ||
		ef.Draft.Fields[complaintbot.FieldPerson] != "3号窗口的李经理" || ef.Draft.Category != nil {
		t.Fatalf("effect: %+v", ef.Draft)
	}
}

func TestRegistered(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{})
	due := time.Date(2026, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	msg := e.Registered(complaintbot.Case{Number: "TS20261128-0007", Kind: complaintbot.KindComplaint, ReplyDue: due})
	for _, want := range []string{"抱歉", "TS20261128-0007", "2026年12月1日", "回复“进度”"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("Registered lacks %q: %s", want, msg)
		}
	}
	if strings.Index(msg, "抱歉") > strings.Index(msg, "TS20261128-0007") {
		t.Fatalf("a complaint's registration must apologise first: %s", msg)
	}
	// The reply date is a Shanghai date even when the case carries UTC times.
	msg = e.Registered(complaintbot.Case{Number: "JY20261128-0001", Kind: complaintbot.KindSuggestion, ReplyDue: due.UTC()})
	if !strings.Contains(msg, "2026年12月1日") || !strings.Contains(msg, "感谢") || strings.Contains(msg, "抱歉") {
		t.Fatalf("suggestion: %s", msg)
	}
}

func TestWelcomeAndSubscribe(t *testing.T) {
	c := newChat(t)
	w := c.e.Welcome()
	for _, want := range []string{"投诉", "建议", "表扬", "进度", "人工"} {
		if !strings.Contains(w, want) {
			t.Fatalf("welcome lacks %q", want)
		}
	}
	if got := c.send(complaintbot.Input{Type: complaintbot.InputSubscribe}); got != w {
		t.Fatalf("subscribe: %q", got)
	}
	c.say("你好", "欢迎")
	c.say("嗯", "没有完全明白", "欢迎")
}

func TestNewConfig(t *testing.T) {
	e, err := New(DefaultDefinition(), Config{IdleTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{IdleTimeout: time.Hour, DraftKeep: 24 * time.Hour, DailyCaseCap: 5, DuplicateWindow: 7 * 24 * time.Hour, ReviewWindow: 30 * 24 * time.Hour}
	if e.Config() != want {
		t.Fatalf("config %+v", e.Config())
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Fatal("nil definition accepted")
	}
	if _, err := New(DefaultDefinition(), Config{DailyCaseCap: -1}); err == nil {
		t.Fatal("negative cap accepted")
	}
}

// A request that names the result the customer wants ("说明处理结果") is their request, not a
// question about an earlier case's progress; asked as a question mid-way, it is one.
func TestRequestNamingTheResultIsNotAProgressQuestion(t *testing.T) {
	c := newChat(t)
	c.facts.cases = []complaintbot.CaseSummary{{Number: "TS20261120-0003", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating,
		Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: saturday.AddDate(0, 0, -8)}}
	c.say("投诉", "哪方面")
	c.say("1", "哪个网点")
	c.say("城西支行", "什么时候")
	c.say("昨天下午3点", "经过")
	c.say("柜员办业务时一直在看手机，让我等了很久。", "如何处理")
	if reply := c.say("我上次那个投诉有处理结果了吗？"); !strings.Contains(reply, "TS20261120-0003") {
		t.Fatalf("a progress question mid-way is not answered with the earlier case: %q", reply)
	}
	c.say("希望道歉并说明处理结果", "联系电话")
	if got := c.st.Draft.Fields[complaintbot.FieldRequest]; got != "希望道歉并说明处理结果" {
		t.Fatalf("the request was not kept: %q (state %+v)", got, c.st.Draft.Fields)
	}
}

// A conversation is idle when nothing is being filled in, kept to resume, or handed to a person:
// what the customer says then begins the next session.
func TestSessionsBeginWhenTheConversationIsIdle(t *testing.T) {
	idle := complaintbot.ConversationState{Session: 3}
	if !idle.Idle() || idle.NextSession() != 4 {
		t.Errorf("idle state: Idle %v, next session %d; want true, 4", idle.Idle(), idle.NextSession())
	}
	for name, st := range map[string]complaintbot.ConversationState{
		"filling in":  {Session: 3, Flow: complaintbot.FlowIntake, Draft: &complaintbot.Draft{}},
		"kept draft":  {Session: 3, Flow: complaintbot.FlowIdle, Draft: &complaintbot.Draft{}},
		"queued":      {Session: 3, Handoff: complaintbot.ConversationWaiting},
		"agent holds": {Session: 3, Handoff: complaintbot.ConversationWithAgent},
	} {
		if st.Idle() || st.NextSession() != 3 {
			t.Errorf("%s: Idle %v, next session %d; want false, 3", name, st.Idle(), st.NextSession())
		}
	}
}
