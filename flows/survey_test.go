package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestSurveyRatingIsUnderstoodInManyForms(t *testing.T) {
	sv := &DefaultDefinition().file.Survey
	for text, want := range map[string]int{
		"5": 5, "５": 5, "五": 5, "5分": 5, "五分": 5, "5星": 5, "打5分": 5, "⭐⭐⭐⭐": 4, " 4 ": 4,
		"满意": 4, "满意！": 4, "非常满意": 5, "很满意。": 5, "一般": 3, "还行吧": 0, "不满意": 2, "不是很满意": 2,
		"非常不满意": 1, "很差": 1, "1": 1, "一星": 1, "5分，很好": 5, "给4星吧谢谢": 4,
	} {
		got, number := sv.parseRating(text)
		if want == 0 {
			if number {
				t.Errorf("%q read as a rating %d", text, got)
			}
			continue
		}
		if got != want || !number {
			t.Errorf("%q: rating %d (number %v), want %d", text, got, number, want)
		}
	}
	for _, text := range []string{"6", "0", "10分"} {
		if r, number := sv.parseRating(text); r != 0 || !number {
			t.Errorf("%q: %d %v, want an out-of-scale number", text, r, number)
		}
	}
	for _, text := range []string{"我要投诉", "城东支行的柜员态度很差，我非常不满意", "TS20261127-0001", "你好"} {
		if _, number := sv.parseRating(text); number {
			t.Errorf("%q taken for a rating", text)
		}
	}
}

func TestSurveyAnsweredThenCommented(t *testing.T) {
	c := newChat(t)
	c.facts.survey = &OpenSurvey{ID: "TS20261127-0001#1", CaseNumber: "TS20261127-0001"}
	c.say("5", "感谢您的评价", "非常满意", "跳过")
	e := c.effect()
	if e.Type != complaintbot.EffectSurveyAnswered || e.SurveyID != "TS20261127-0001#1" || e.Rating != 5 || e.Low || e.CaseNumber != "TS20261127-0001" {
		t.Fatalf("effect %+v", e)
	}
	c.facts.survey = nil // the caller closed it
	c.wait(10 * time.Minute)
	c.say("柜员很耐心，谢谢", "已记录您的意见")
	e = c.effect()
	if e.Type != complaintbot.EffectSurveyComment || e.Comment != "柜员很耐心，谢谢" || e.SurveyID != "TS20261127-0001#1" {
		t.Fatalf("comment effect %+v", e)
	}
	if c.st.Survey != nil {
		t.Fatal("survey state kept after the comment")
	}
	// The next message is an ordinary one again.
	c.say("你好", "欢迎")
}

func TestLowRatingSaysSorryAndSkippingTheComment(t *testing.T) {
	c := newChat(t)
	c.facts.survey = &OpenSurvey{ID: "conv#h1"}
	c.say("非常不满意", "非常抱歉", "回访")
	if e := c.effect(); e.Rating != 1 || !e.Low || e.CaseNumber != "" {
		t.Fatalf("effect %+v", e)
	}
	c.facts.survey = nil
	c.say("跳过", "感谢您的评价")
	if len(c.last.Effects) != 0 {
		t.Fatalf("skip made effects: %+v", c.last.Effects)
	}
}

func TestSurveyCommentWindowAndCommands(t *testing.T) {
	c := newChat(t)
	c.facts.survey = &OpenSurvey{ID: "s1"}
	c.say("4", "满意")
	c.facts.survey = nil
	c.say("进度", "暂未查到") // a command is carried out, and ends the comment step
	if c.st.Survey != nil || len(c.last.Effects) != 0 {
		t.Fatalf("state %+v effects %+v", c.st.Survey, c.last.Effects)
	}
	c.facts.survey = &OpenSurvey{ID: "s2"}
	c.say("3", "一般")
	c.facts.survey = nil
	c.wait(3 * time.Hour) // past survey.comment_window
	c.say("我要投诉", "哪方面")
	if len(c.last.Effects) != 0 {
		t.Fatalf("a late message was taken for a comment: %+v", c.last.Effects)
	}
	c.say("取消", "取消")
	c.facts.survey = &OpenSurvey{ID: "s3"}
	c.say("5", "非常满意")
	c.facts.survey = nil
	c.wait(3 * time.Hour)
	c.say("跳过", "没有正在填写") // the comment time is over: nothing is asked, no menu of what is not understood
	if strings.Contains(c.last.Replies[0], "没有完全明白") || len(c.last.Effects) != 0 {
		t.Fatalf("跳过 after the comment time: %q %+v", c.last.Replies, c.last.Effects)
	}
}

func TestSurveyNumberOutsideTheScaleAndNoSurvey(t *testing.T) {
	c := newChat(t)
	c.say("1", "哪方面") // no open survey: 1 starts a complaint as always
	c.say("取消")
	c.facts.survey = &OpenSurvey{ID: "s1"}
	c.say("7", "5 非常满意", "1 非常不满意")
	if len(c.last.Effects) != 0 {
		t.Fatal("an out-of-scale number was recorded")
	}
	c.say("1", "非常抱歉")
	if e := c.effect(); e.Rating != 1 || !e.Low {
		t.Fatalf("effect %+v", e)
	}
}

func TestSurveyIsNotTakenMidIntakeNorAsked(t *testing.T) {
	c := newChat(t)
	c.say("我要投诉", "哪方面")
	c.facts.survey = &OpenSurvey{ID: "s1"}
	asks := c.facts.surveyAsks
	c.say("1", "网点") // the category question's answer, not a rating
	if len(c.last.Effects) != 0 || c.facts.surveyAsks != asks {
		t.Fatalf("mid-intake: effects %+v, survey looked up %d times", c.last.Effects, c.facts.surveyAsks-asks)
	}
	// An ordinary idle message does not look the survey up either.
	c2 := newChat(t)
	c2.say("你好")
	if c2.facts.surveyAsks != 0 {
		t.Fatal("a greeting looked up the survey")
	}
}

func TestSurveyFactsErrorIsReturned(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{})
	_, err := e.Handle(complaintbot.ConversationState{}, complaintbot.Input{Type: complaintbot.InputText, Text: "5"}, saturday, &memFacts{err: errFacts})
	if err == nil {
		t.Fatal("want the facts error")
	}
}

func TestSurveyQuestionAndNotices(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{})
	cs := summary("TS20261127-0001", complaintbot.KindComplaint, complaintbot.StatusResolved, "0101", "attitude", saturday)
	q := e.SurveyQuestion(&cs, false)
	for _, w := range []string{"TS20261127-0001", "投诉", "5 非常满意\n4 满意\n3 一般\n2 不满意\n1 非常不满意"} {
		if !strings.Contains(q, w) {
			t.Fatalf("question lacks %q: %s", w, q)
		}
	}
	if q := e.SurveyQuestion(nil, false); !strings.Contains(q, "人工客服") || strings.Contains(q, "{") {
		t.Fatalf("conversation question: %s", q)
	}
	if q := e.SurveyQuestion(&cs, true); !strings.Contains(q, "还没有收到") {
		t.Fatalf("reminder: %s", q)
	}
	due := time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai)
	data := NoticeData{Expected: due, Decision: due.AddDate(0, 0, 12), Reason: "需要调取录像", Reply: "已向您致歉"}
	for _, k := range []NoticeKind{NoticeAccepted, NoticeEscalated, NoticeEscalatedOverdue, NoticeExtended, NoticeResolved, NoticeReopened,
		NoticeReopenedLowRating, NoticeProgress, NoticeBeforeDue} {
		n := e.Notice(k, cs, data)
		if !strings.Contains(n, "TS20261127-0001") || strings.Contains(n, "{") {
			t.Errorf("%s: %s", k, n)
		}
	}
	if n := e.Notice(NoticeProgress, cs, data); !strings.Contains(n, "2026年12月2日") {
		t.Errorf("progress notice lacks the date: %s", n)
	}
	if n := e.Notice(NoticeExtended, cs, data); !strings.Contains(n, "2026年12月14日") || !strings.Contains(n, "原因：需要调取录像") {
		t.Errorf("extension notice lacks the new deadline or the reason: %s", n)
	}
	if n := e.Notice(NoticeResolved, cs, data); !strings.Contains(n, "处理答复：已向您致歉") {
		t.Errorf("resolution notice lacks the reply: %s", n)
	}
	if e.Notice("nonsense", cs, data) != "" {
		t.Error("unknown notice rendered")
	}
	if !e.LowRating(2) || e.LowRating(3) || e.RatingLabel(3) != "一般" {
		t.Error("scale helpers")
	}
}

func TestExpireDraftAndLeaveQueue(t *testing.T) {
	e, _ := New(DefaultDefinition(), Config{DraftKeep: 24 * time.Hour})
	c := newChat(t)
	c.e = e
	c.say("我要投诉", "哪方面")
	if _, _, ok := e.ExpireDraft(c.st, c.now.Add(23*time.Hour)); ok {
		t.Fatal("expired a fresh draft")
	}
	st, msg, ok := e.ExpireDraft(c.st, c.now.Add(25*time.Hour))
	if !ok || st.Draft != nil || st.Flow != complaintbot.FlowIdle || !strings.Contains(msg, "投诉") || c.st.Draft == nil {
		t.Fatalf("expire: %+v %q %v (original changed: %v)", st, msg, ok, c.st.Draft == nil)
	}
	c.say("人工", "排队")
	if _, _, ok := e.ExpireDraft(c.st, c.now.Add(48*time.Hour)); ok {
		t.Fatal("expired the draft of a queued customer")
	}
	st, msg, ok = e.LeaveQueue(c.st)
	if !ok || st.Handoff != complaintbot.ConversationWithBot || !strings.Contains(msg, "95588") {
		t.Fatalf("leave queue: %+v %q", st, msg)
	}
	if _, _, ok := e.LeaveQueue(st); ok {
		t.Fatal("left the queue twice")
	}
}

func TestOperatorFileWithoutSurveySectionsLoads(t *testing.T) {
	y := string(DefaultYAML())
	start, end := strings.Index(y, "# The satisfaction survey"), strings.Index(y, "# Stories:")
	d, err := LoadDefinition([]byte(y[:start] + y[end:]))
	if err != nil {
		t.Fatal(err)
	}
	if d.file.Survey.Question == "" || d.file.Notices.Progress == "" {
		t.Fatal("sections not taken from the default")
	}
}

func TestSurveyDefinitionErrors(t *testing.T) {
	base := string(DefaultYAML())
	for name, tc := range map[string][2]string{
		"duplicate rating": {"{rating: 4, label: 满意", "{rating: 5, label: 满意"},
		"bad window":       {"comment_window: 2h", "comment_window: soon"},
		"word twice":       {"words: [一般, 还行", "words: [满意, 还行"},
		"low too high":     {"low_at_most: 2", "low_at_most: 5"},
		"missing notice":   {"  reopened: \"", "  reopend: \""},
	} {
		if !strings.Contains(base, tc[0]) {
			t.Fatalf("%s: stale test", name)
		}
		if _, err := LoadDefinition([]byte(strings.Replace(base, tc[0], tc[1], 1))); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}
