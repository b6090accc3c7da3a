package wechatapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot/wechatapi"
)

func TestFillKeywordFitsWeChatsRules(t *testing.T) {
	vals := map[string]string{
		"{number}": "TS20261202-10124",
		"{date}":   "2026年12月16日",
		"{text}":   "您的投诉已由工作人员受理，\n我们会在2026年12月16日前答复您 😀，请留意本公众号的消息。",
		"{branch}": "城东支行",
	}
	for _, c := range []struct{ tmpl, want string }{
		{"{number}", "TS20261202-10124"},
		{"{date}", "2026年12月16日"},
		{"{branch}", "城东支行"},
		// The notice is cut, marked, line break and emoji gone.
		{"{text}", "您的投诉已由工作人员受理， 我们会在2…"},
		// The number is never cut: the text gives way.
		{"{number} {text}", "TS20261202-10124 您的…"},
		{"{number}{date}", "TS20261202-101242026年12月16日"},
		{"案件{status}", "案件"},
	} {
		got := wechatapi.FillKeyword(c.tmpl, vals)
		if got != c.want {
			t.Errorf("FillKeyword(%q) = %q, want %q", c.tmpl, got, c.want)
		}
		if strings.ContainsAny(got, "\n\r") || strings.Contains(got, "😀") {
			t.Errorf("FillKeyword(%q) = %q: a line break or emoji left in", c.tmpl, got)
		}
		if n := utf8.RuneCountInString(got); n > wechatapi.KeywordLimit && !strings.Contains(c.tmpl, "{date}") {
			t.Errorf("FillKeyword(%q) = %q: %d characters", c.tmpl, got, n)
		}
	}
}

func TestCheckKeywordTemplatesRefusesWhatWeChatNoLongerShows(t *testing.T) {
	ok := map[string]string{"keyword1": "{number}", "keyword2": "{status}", "keyword3": "{date}", "keyword4": "{text}", "first": ""}
	if p := wechatapi.CheckKeywordTemplates("scheduler.template_data", ok); p != nil {
		t.Fatalf("the default fields refused: %q", p)
	}
	for _, c := range []struct {
		field, tmpl, want string
	}{
		{"first", "{text}", "scheduler.template_data.first: WeChat no longer shows"},
		{"remark", "感谢您的耐心", "scheduler.template_data.remark: WeChat no longer shows"},
		{"keyword1", "案件{number}\n{date}", "may not hold a line break"},
		{"keyword1", "{number}（{date}前答复）", "can take 32 characters"},
		{"keyword2", "{phone}", "unknown placeholder {phone}"},
		{"keyword2", "您好，您的投诉已经由我们的工作人员正式受理", "can take 21 characters"},
	} {
		p := wechatapi.CheckKeywordTemplates("scheduler.template_data", map[string]string{c.field: c.tmpl})
		if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), c.want) {
			t.Errorf("%s: %q: problems %q, want one with %q", c.field, c.tmpl, p, c.want)
		}
	}
}
