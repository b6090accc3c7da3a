package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"gopkg.in/yaml.v3"
)

// reviewChat is a customer whose complaint TS20261101-0001 was decided 20 days ago (within the
// 30-day window), with an open one and one decided 40 days ago.
func reviewChat(t *testing.T) *chat {
	t.Helper()
	c := newChat(t)
	recent, old := saturday.AddDate(0, 0, -20), saturday.AddDate(0, 0, -40)
	done := summary("TS20261101-0001", complaintbot.KindComplaint, complaintbot.StatusResolved, "0201", "attitude", saturday.AddDate(0, 0, -27))
	done.Decided = &recent
	late := summary("TS20261010-0002", complaintbot.KindComplaint, complaintbot.StatusClosed, "0201", "fees", saturday.AddDate(0, 0, -49))
	late.Decided = &old
	c.facts.cases = []complaintbot.CaseSummary{
		summary("TS20261127-0003", complaintbot.KindComplaint, complaintbot.StatusInvestigating, "0201", "attitude", saturday.AddDate(0, 0, -1)),
		done, late,
	}
	return c
}

func TestReviewRequestedInTheWindow(t *testing.T) {
	t.Parallel()
	c := reviewChat(t)
	c.say("申请核查 TS20261101-0001", "核查申请", "TS20261101-0001", "提交总行核查")
	e := c.effect()
	if e.Type != complaintbot.EffectRequestReview || e.CaseNumber != "TS20261101-0001" || e.Comment != "申请核查 TS20261101-0001" {
		t.Fatalf("effect %+v", e)
	}
}

func TestReviewInWordsPicksTheDecidedCase(t *testing.T) {
	t.Parallel()
	c := reviewChat(t)
	// Only TS20261101-0001 is decided and within the window: no question which.
	c.say("我对处理结果不满意，要求复核", "核查申请", "TS20261101-0001")
	if e := c.effect(); e.Type != complaintbot.EffectRequestReview || e.CaseNumber != "TS20261101-0001" {
		t.Fatalf("effect %+v", e)
	}

	// Two within the window: the customer picks.
	c = reviewChat(t)
	recent := saturday.AddDate(0, 0, -2)
	c.facts.cases[0].Status, c.facts.cases[0].Decided = complaintbot.StatusResolved, &recent
	c.say("申请复核", "可以申请核查", "1. TS20261127-0003", "2. TS20261101-0001")
	if strings.Contains(c.last.Replies[0], "TS20261010-0002") {
		t.Fatal("a case past the window was offered")
	}
	c.say("2", "核查申请", "TS20261101-0001")
	if e := c.effect(); e.Type != complaintbot.EffectRequestReview || e.CaseNumber != "TS20261101-0001" || e.Comment != "申请复核" {
		t.Fatalf("effect %+v", e)
	}
}

func TestReviewRefusals(t *testing.T) {
	t.Parallel()
	c := reviewChat(t)
	// Past the window: a plain answer with the last day and the other remedies.
	c.say("申请核查 TS20261010-0002", "已于2026年10月19日答复", "2026年11月18日前申请", "超过期限", "12378")
	// Not decided yet.
	c.say("申请核查 TS20261127-0003", "还没有处理结果")
	c.say("核查 TS20261120-0009", "没有找到您名下编号为 TS20261120-0009")
	c.noEffects()

	// The window ends with the last day, Shanghai time.
	c = reviewChat(t)
	c.now = time.Date(2026, 12, 8, 23, 59, 0, 0, complaintbot.Shanghai) // decided 2026-11-08 10:00 + 30 days
	c.say("申请核查 TS20261101-0001", "核查申请")
	c.now = time.Date(2026, 12, 9, 0, 0, 1, 0, complaintbot.Shanghai)
	c.say("申请核查 TS20261101-0001", "超过期限")

	// A review going on, then done, is answered about, not asked again.
	c = reviewChat(t)
	c.facts.cases[1].Review = &complaintbot.Review{ID: "TS20261101-0001-HC1", Requested: saturday.AddDate(0, 0, -1), Due: saturday.AddDate(0, 0, 14)}
	c.say("申请核查 TS20261101-0001", "正在办理", "TS20261101-0001-HC1", "2026年12月12日前")
	c.say("我要复核", "正在办理", "TS20261101-0001-HC1")
	decided := saturday
	c.facts.cases[1].Review.Decided = &decided
	c.say("申请核查 TS20261101-0001", "已经完成核查")
	c.noEffects()
}

func TestDecisionNoticeTellsTheRemedies(t *testing.T) {
	t.Parallel()
	e, err := New(DefaultDefinition(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := summary("TS20261101-0001", complaintbot.KindComplaint, complaintbot.StatusResolved, "0201", "attitude", saturday)
	got := e.Notice(NoticeResolved, c, NoticeData{Reply: "已对柜员进行批评教育", ReviewBy: complaintbot.ReviewBy(saturday, e.Config().ReviewWindow)})
	for _, want := range []string{"已对柜员进行批评教育", "2026年12月28日前", "申请核查 TS20261101-0001", "调解", "12378"} {
		if !strings.Contains(got, want) {
			t.Fatalf("decision notice lacks %q:\n%s", want, got)
		}
	}
	got = e.Notice(NoticeReviewRequested, c, NoticeData{Review: "TS20261101-0001-HC1", ReviewDue: saturday.AddDate(0, 0, 15)})
	if !strings.Contains(got, "TS20261101-0001-HC1") || !strings.Contains(got, "2026年12月13日前") {
		t.Fatalf("review notice: %s", got)
	}
}

func TestOldFlowFileGetsTheRequestTexts(t *testing.T) {
	t.Parallel()
	// A file written before case_requests and the withdrawal and review notices existed.
	var f fileDef
	if err := yaml.Unmarshal(defaultYAML, &f); err != nil {
		t.Fatal(err)
	}
	f.CaseRequests = caseRequestsDef{}
	f.Notices.Withdrawn, f.Notices.ReviewRequested, f.Notices.ReviewDecided = "", "", ""
	if err := f.fillReviewTexts(); err != nil {
		t.Fatal(err)
	}
	if len(f.CaseRequests.WithdrawWords) == 0 || f.Notices.Withdrawn == "" || f.Notices.ReviewDecided == "" {
		t.Fatalf("not filled: %+v", f.CaseRequests)
	}
	if err := validateNotices(&f.Notices); err != nil {
		t.Fatal(err)
	}
}
