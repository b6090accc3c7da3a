package flows

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"gopkg.in/yaml.v3"
)

// A review (核查) is a complaint's remedy: asked for a decided suggestion in the chat, the bot
// says so in a plain sentence and registers nothing; asked without a number, a suggestion is not
// offered.
func TestReviewOfASuggestionIsRefusedPlainly(t *testing.T) {
	t.Parallel()
	c := newChat(t)
	decided := saturday.AddDate(0, 0, -3)
	sugg := summary("JY20261120-0001", complaintbot.KindSuggestion, complaintbot.StatusResolved, "0201", "", saturday.AddDate(0, 0, -8))
	sugg.Decided = &decided
	c.facts.cases = []complaintbot.CaseSummary{sugg}
	c.say("申请核查 JY20261120-0001", "不是投诉", "无需申请核查", "JY20261120-0001")
	c.say("我要复核", "没有可以申请核查的事项")
	c.noEffects()

	// With a decided complaint beside it, only the complaint is taken.
	done := summary("TS20261120-0002", complaintbot.KindComplaint, complaintbot.StatusResolved, "0201", "attitude", saturday.AddDate(0, 0, -8))
	done.Decided = &decided
	c.facts.cases = append(c.facts.cases, done)
	c.say("申请复核", "核查申请", "TS20261120-0002")
	if e := c.effect(); e.Type != complaintbot.EffectRequestReview || e.CaseNumber != "TS20261120-0002" {
		t.Fatalf("effect %+v", e)
	}
}

// The decision notice of a suggestion or a praise is resolved_other: thanks and the result,
// without the complaint's remedies; a complaint's keeps them.
func TestResultNoticeOfSuggestionAndPraise(t *testing.T) {
	t.Parallel()
	e, err := New(DefaultDefinition(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	data := NoticeData{Reply: "已采纳您的建议，增设叫号屏", ReviewBy: saturday.AddDate(0, 0, 30)}
	for _, k := range []complaintbot.Kind{complaintbot.KindSuggestion, complaintbot.KindPraise} {
		got := e.Notice(NoticeResolved, complaintbot.CaseSummary{Number: k.Prefix() + "20261120-0001", Kind: k}, data)
		if !strings.Contains(got, "感谢您的") || !strings.Contains(got, "已采纳您的建议，增设叫号屏") {
			t.Fatalf("%s: %q", k, got)
		}
		for _, remedy := range []string{"核查", "调解", "12378"} {
			if strings.Contains(got, remedy) {
				t.Fatalf("%s: the notice offers %s: %q", k, remedy, got)
			}
		}
	}
	got := e.Notice(NoticeResolved, complaintbot.CaseSummary{Number: "TS20261120-0001", Kind: complaintbot.KindComplaint}, data)
	if !strings.Contains(got, "申请核查 TS20261120-0001") || !strings.Contains(got, "12378") {
		t.Fatalf("complaint: %q", got)
	}
}

// A flow file written before resolved_other and review_not_complaint existed gets them from the
// default, and one that drops {reply} from resolved_other is refused.
func TestOldFlowFileGetsTheResultOtherTexts(t *testing.T) {
	t.Parallel()
	var f fileDef
	if err := yaml.Unmarshal(defaultYAML, &f); err != nil {
		t.Fatal(err)
	}
	f.Notices.ResolvedOther, f.CaseRequests.ReviewNotComplaint = "", ""
	if err := f.fillReviewTexts(); err != nil {
		t.Fatal(err)
	}
	if f.Notices.ResolvedOther == "" || f.CaseRequests.ReviewNotComplaint == "" {
		t.Fatal("not filled")
	}
	base := string(DefaultYAML())
	const reply = "处理结果：{reply}\\n欢迎"
	if !strings.Contains(base, reply) {
		t.Fatal("stale test")
	}
	if _, err := LoadDefinition([]byte(strings.Replace(base, reply, "欢迎", 1))); err == nil || !strings.Contains(err.Error(), "notices.resolved_other") {
		t.Fatalf("resolved_other without {reply}: %v", err)
	}
}
