package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestMediaDuringAndOutsideIntake(t *testing.T) {
	c := newChat(t)
	c.send(complaintbot.Input{Type: complaintbot.InputImage, MediaID: "m0"})
	if c.st.Draft != nil || !contains(c.last, "图片会随登记内容一并提交") || len(c.st.Pictures) != 1 {
		t.Fatalf("image while idle: %q", c.last.Replies)
	}
	// The story that follows opens a draft with the picture as its evidence.
	c.send(complaintbot.Input{Type: complaintbot.InputText, Text: "这是扣费短信，城东支行多收了我20块手续费"})
	if c.st.Draft == nil || len(c.st.Draft.Evidence) != 1 || c.st.Draft.Evidence[0].MediaID != "m0" || len(c.st.Pictures) != 0 {
		t.Fatalf("the picture sent first is not the draft's: %+v", c.st)
	}
	c = toStep(t, "description")
	at := saturday.Add(-30 * time.Second)
	c.send(complaintbot.Input{Type: complaintbot.InputImage, MediaID: "m1", At: at})
	if !contains(c.last, "已收到您的图片（共1张）") || !contains(c.last, "经过") {
		t.Fatalf("image ack: %q", c.last.Replies)
	}
	c.send(complaintbot.Input{Type: complaintbot.InputImage, MediaID: "m2"})
	if len(c.st.Draft.Evidence) != 2 || c.st.Draft.Evidence[0].MediaID != "m1" || !c.st.Draft.Evidence[0].At.Equal(at) ||
		c.st.Draft.Evidence[1].Type != "image" || c.st.Step != complaintbot.FieldDescription {
		t.Fatalf("evidence %+v", c.st.Draft.Evidence)
	}
	// Voice: the recognition is the answer; no recognition asks for text.
	c.send(complaintbot.Input{Type: complaintbot.InputVoice, Text: ""})
	if !contains(c.last, "没能听清") || !contains(c.last, "经过") {
		t.Fatalf("empty voice: %q", c.last.Replies)
	}
	c.send(complaintbot.Input{Type: complaintbot.InputVoice, Text: "柜员一直在看手机让我等了很久。"})
	if c.st.Step != complaintbot.FieldRequest {
		t.Fatalf("voice answer not taken: %+v", c.st)
	}
	for _, in := range []struct {
		typ  complaintbot.InputType
		want string
	}{
		{complaintbot.InputLink, "链接"}, {complaintbot.InputVideo, "视频"}, {complaintbot.InputOther, "这类消息"},
		{complaintbot.InputLocation, "位置"},
	} {
		c.send(complaintbot.Input{Type: in.typ, Text: "something"})
		if !contains(c.last, in.want) || !contains(c.last, "如何处理") || c.st.Step != complaintbot.FieldRequest {
			t.Fatalf("%s: %q", in.typ, c.last.Replies)
		}
	}
	c.say("希望道歉")
	c.say("13812345678", "另附图片2张")
	c.say("确认")
	if ef := c.effect(); len(ef.Draft.Evidence) != 2 {
		t.Fatalf("evidence lost: %+v", ef.Draft)
	}
}

func TestLocationAnswersTheBranchQuestion(t *testing.T) {
	c := toStep(t, "branch")
	c.send(complaintbot.Input{Type: complaintbot.InputLocation, Text: "人民路88号"})
	if c.st.Draft.Branch == nil || c.st.Draft.Branch.Code != "0401" || !contains(c.last, "什么时候") {
		t.Fatalf("location: %+v %q", c.st.Draft.Branch, c.last.Replies)
	}
}

func TestUnsubscribe(t *testing.T) {
	c := toStep(t, "description")
	c.send(complaintbot.Input{Type: complaintbot.InputUnsubscribe})
	if len(c.last.Replies) != 0 || c.effect().Type != complaintbot.EffectUnsubscribed || c.st.Draft != nil || c.st.Flow != complaintbot.FlowIdle {
		t.Fatalf("unsubscribe: %+v", c.last)
	}
}

func TestMenuKeys(t *testing.T) {
	for key, want := range map[string]string{
		"COMPLAINT": "发生了什么", "SUGGESTION": "建议是关于哪方面", "PRAISE": "要表扬的是哪个网点",
		"PROGRESS": "暂未查到", "NOPE": "欢迎",
	} {
		c := newChat(t)
		c.send(complaintbot.Input{Type: complaintbot.InputMenu, Text: key})
		if !contains(c.last, want) {
			t.Fatalf("menu %s: %q", key, c.last.Replies)
		}
	}
	for word, kind := range map[string]complaintbot.Kind{"1": complaintbot.KindComplaint, "２": complaintbot.KindSuggestion,
		"表扬": complaintbot.KindPraise, "我想投诉": complaintbot.KindComplaint} {
		c := newChat(t)
		c.say(word)
		if c.st.Draft == nil || c.st.Draft.Kind != kind {
			t.Fatalf("%q started %+v", word, c.st.Draft)
		}
	}
}

func contains(r Result, s string) bool {
	for _, rep := range r.Replies {
		if strings.Contains(rep, s) {
			return true
		}
	}
	return false
}

func TestBrokenStoredStateIsRepaired(t *testing.T) {
	for _, st := range []complaintbot.ConversationState{
		{Flow: complaintbot.FlowIntake, Step: "branch"},
		{Flow: complaintbot.FlowResume},
		{Flow: complaintbot.FlowChooseKind},
		{Flow: complaintbot.FlowIntake, Step: "nope", Draft: &complaintbot.Draft{Kind: "gossip"}},
	} {
		c := newChat(t)
		c.st = st
		c.say("投诉", "哪方面")
	}
	// A stored step the definition no longer has: the first missing question is asked.
	c := newChat(t)
	c.say("投诉")
	c.st.Step = "colour"
	c.say("随便", "哪方面")
}
