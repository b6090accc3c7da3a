package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// The form an agent fills in is read back in exactly the words the bot reads the same answers
// back to a customer in the chat.
func TestFormReadbackIsTheChats(t *testing.T) {
	c := newChat(t)
	c.say("我要建议", "哪方面")
	c.say("手机银行", "请写下您的建议")
	c.say("希望手机银行转账记录能按月导出", "联系电话")
	chat := c.say("13812345678", "1. 类型：建议")
	draft, problems := c.e.CheckForm(Form{Kind: complaintbot.KindSuggestion, Category: "s-app", Branch: complaintbot.NoBranchCode,
		Fields: map[string]string{complaintbot.FieldDescription: "希望手机银行转账记录能按月导出", complaintbot.FieldPhone: "138-1234-5678"}}, c.now)
	if len(problems) != 0 {
		t.Fatalf("problems: %+v", problems)
	}
	header, lines := c.e.Readback(draft)
	if want := header + "\n" + strings.Join(lines, "\n"); !strings.Contains(chat, want) {
		t.Fatalf("form read-back\n%s\nis not the chat's\n%s", want, chat)
	}
}

// A form is refused field by field with the bot's messages and the steps' limits.
func TestCheckFormProblems(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{})
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai)
	m := &e.def.file.Messages
	_, problems := e.CheckForm(Form{Kind: complaintbot.KindComplaint, Category: "nope", Branch: "9999", Occurred: "明天上午10点",
		Fields: map[string]string{complaintbot.FieldDescription: "差", complaintbot.FieldRequest: strings.Repeat("退", 201), complaintbot.FieldPhone: "123"}}, now)
	got := map[string]string{}
	for _, p := range problems {
		got[p.Field] = p.Message
	}
	want := map[string]string{FieldCategory: m.ChoiceInvalid, FieldBranch: m.ChoiceInvalid,
		complaintbot.FieldDescription: strings.ReplaceAll(m.TextTooShort, "{min}", "8"), complaintbot.FieldRequest: strings.ReplaceAll(m.TextTooLong, "{max}", "200"),
		complaintbot.FieldPhone: m.PhoneInvalid}
	for f, msg := range want {
		if got[f] != msg {
			t.Errorf("%s: got %q, want %q", f, got[f], msg)
		}
	}
	if !strings.Contains(got[FieldOccurredAt], "还没有到") {
		t.Errorf("a future time: %q", got[FieldOccurredAt])
	}
	// An optional phone may be left out; a required answer may not.
	d, problems := e.CheckForm(Form{Kind: complaintbot.KindComplaint, Category: "attitude", Branch: complaintbot.NoBranchCode, Occurred: "不记得",
		Fields: map[string]string{complaintbot.FieldDescription: "柜员办理业务时态度很不耐烦", complaintbot.FieldRequest: ""}}, now)
	if len(problems) != 1 || problems[0].Field != complaintbot.FieldRequest || problems[0].Message != m.Required {
		t.Fatalf("problems: %+v", problems)
	}
	if d.OccurredPrecision != complaintbot.OccurredUnknown || d.Branch == nil || d.Branch.Code != complaintbot.NoBranchCode {
		t.Fatalf("draft: %+v", d)
	}
}
