package flows

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// Times as customers write them (issue #11): the small hours after an evening, counted back from
// today, dialects and festivals, English hours, and 刚才 that is not the event.
func TestTimesAsCustomersWriteThem(t *testing.T) {
	// saturday is 2026-11-28 10:00 in Shanghai.
	at := func(m, d, h, mi int) time.Time {
		return time.Date(2026, time.Month(m), d, h, mi, 0, 0, complaintbot.Shanghai)
	}
	d := defaultDef()
	tests := []struct {
		in        string
		want      time.Time
		precision string
		period    string
	}{
		{"昨晚2点", at(11, 28, 2, 0), "", ""},
		{"昨天晚上12点", at(11, 28, 0, 0), "", ""},
		{"昨晚凌晨3点", at(11, 28, 3, 0), "", ""},
		{"11月20日夜里1点", at(11, 21, 1, 0), "", ""},
		{"昨天凌晨3点", at(11, 27, 3, 0), "", ""}, // the early hours of yesterday itself
		{"昨天晚上8点", at(11, 27, 20, 0), "", ""},
		{"3天前", at(11, 25, 0, 0), "", ""},
		{"三天前下午", at(11, 25, 15, 0), "", "下午"},
		{"半个月前", at(11, 13, 0, 0), "", ""},
		{"两周前", at(11, 9, 0, 0), complaintbot.OccurredWeek, ""},
		{"几天前", at(11, 22, 0, 0), complaintbot.OccurredWeek, ""},
		{"一个月前", at(10, 1, 0, 0), complaintbot.OccurredMonth, ""},
		{"两年前", time.Date(2024, 1, 1, 0, 0, 0, 0, complaintbot.Shanghai), complaintbot.OccurredYear, ""},
		{"我两个月前办的卡，3天前被扣了年费", at(11, 25, 0, 0), "", ""}, // the day counted wins
		{"琴日下晝", at(11, 27, 15, 0), "", "下午"},
		{"昨个儿上午", at(11, 27, 10, 0), "", "上午"},
		{"双十一那天", at(11, 11, 0, 0), "", ""},
		{"at 3am last night", at(11, 28, 3, 0), "", ""},
		{"this morning around 9", at(11, 28, 9, 0), "", ""},
		{"yesterday 8:30pm", at(11, 27, 20, 30), "", ""},
	}
	for _, tc := range tests {
		w, p := d.parseWhen(d.normalize(tc.in), saturday)
		if p != dateOK || !w.t.Equal(tc.want) || w.precision != tc.precision || w.period != tc.period {
			t.Errorf("%q = %v %q %q (problem %d), want %v %q %q", tc.in, w.t, w.precision, w.period, p, tc.want, tc.precision, tc.period)
		}
	}
	// In a story: 刚才 that refers back to the conversation, or that is not the day named.
	for in, want := range map[string]time.Time{
		"接着刚才的，城西支行乱收费，上个月多扣了我50块短信费":     at(10, 1, 0, 0),
		"不好意思刚才太激动了，ATM吞了我的卡，我昨天晚上九点去取钱的": at(11, 27, 21, 0),
	} {
		if w, ok := d.findWhen(d.normalize(in), saturday); !ok || !w.t.Equal(want) {
			t.Errorf("findWhen(%q) = %v %v, want %v", in, w.t, ok, want)
		}
	}
	// A number that counts something is no hour.
	for _, in := range []string{"about 500 yuan", "at 3 people", "around 12 hours"} {
		if got := d.normalize(in); got != in {
			t.Errorf("normalize(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestPhoneReadOutInGroups(t *testing.T) {
	for in, want := range map[string]string{
		"电话一三九 五七一二 三四五六": "13957123456",
		"幺八六-幺二三四-五六七八":   "18612345678",
	} {
		if got, ok := parsePhone(in); !ok || got != want {
			t.Errorf("parsePhone(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if got, ok := parsePhone("一二三 四五六"); ok {
		t.Errorf("six digits read as the phone %q", got)
	}
}

func TestBranchesSpelledInPinyinAndNegated(t *testing.T) {
	d := defaultDef()
	for in, want := range map[string]string{
		"chengdong": "0101", "Cheng Xi": "0201", "renminlu zhihang": "0401", "chengdongxinqu": "0102", "gaoxin": "0301",
	} {
		none, found := d.matchBranch(d.normalize(in))
		if none || len(found) != 1 || found[0].Code != want {
			t.Errorf("matchBranch(%q) = %v %+v, want %s", in, none, found, want)
		}
	}
	for in, want := range map[string]string{
		"我要投诉 chengdong branch 的大堂经理": "0101",
		"hello, the teller was rude":  "",
		"网点错了，是人民广场支行，不是人民路":          "0402", // the one after 不是 is the wrong one
		"城西和城东都去过":                    "",     // two, neither negated: not known
	} {
		b, ok := d.findBranch(d.normalize(in))
		if (want == "") == ok || b.Code != want {
			t.Errorf("findBranch(%q) = %q %v, want %q", in, b.Code, ok, want)
		}
	}
}

// Category words however the customer puts them: with an intensifier or a pronoun in between;
// a keyword does not match a shorter word left when its own characters are dropped.
func TestCategoryWordsLoosely(t *testing.T) {
	d := defaultDef()
	cats := d.file.Categories[string(complaintbot.KindComplaint)]
	codes := func(in string) []string {
		var out []string
		for _, i := range d.categoryCandidates(complaintbot.KindComplaint, d.normalize(in)) {
			out = append(out, cats[i].Code)
		}
		return out
	}
	for in, want := range map[string][]string{
		"手续太麻烦":         {"process"},
		"柜员不给我办理老年卡":    {"process"},
		"这不是强制搭售吗":      {"choice"}, // not 其他 (都不是)
		"服务特别差":         {"attitude"},
		"叫出我的名字，知道我的卡号": {"privacy"},
	} {
		if got := codes(in); !equal(got, want) {
			t.Errorf("categories of %q = %v, want %v", in, got, want)
		}
	}
}

func TestContentOfWhatCustomersWrite(t *testing.T) {
	d := defaultDef()
	for in, story := range map[string]bool{
		"I asked about my balance and the teller just ignored me": true, // English tells a story too
		"hello, please": false,
		"提个意见":          false, // wanting a kind is not what happened
		"营业部的大堂经理，态度很差":              false, // a judgment alone
		"大堂经理态度很差，我问怎么开通手机银行，他扭头就走了": true,
	} {
		if got := d.content(d.normalize(in)) >= d.file.Understanding.StoryContent; got != story {
			t.Errorf("%q tells a story: %v, want %v", in, got, story)
		}
	}
	// At the description question a judgment is a first piece, kept to be joined.
	if d.told(d.normalize("态度不好")) == 0 {
		t.Error("态度不好 at the description question counts nothing")
	}
}

func TestNaturalAnswersCustomersGive(t *testing.T) {
	c := newChat(t)
	c.say("谢谢你们", "不客气") // 谢谢 + 你们, though 谢谢你 is a word too
	c.say("你好，请问你们几点下班？另外我想投诉一下", "营业时间", "哪方面")

	c = newChat(t)
	c.say("我要人工", "排队")
	c.say("不要人工了，我直接说：营业部上周三下午取号机坏了，大家挤在一起乱排", "结束人工排队", "如何处理")
	if d := c.st.Draft; d == nil || d.Branch == nil || d.Branch.Code != "0001" || d.Category == nil || d.Category.Code != "facility" {
		t.Fatalf("the story told on leaving the queue was not kept: %+v", c.st.Draft)
	}

	c = newChat(t)
	c.say("我要投诉", "哪方面")
	c.say("其实也不算投诉，就是提个建议，你们的叫号机声音太小了，老年人听不见", "已改为建议", "联系电话")
	if d := c.st.Draft; d.Kind != complaintbot.KindSuggestion || d.Fields[complaintbot.FieldDescription] != "你们的叫号机声音太小了，老年人听不见" {
		t.Fatalf("draft %+v", d)
	}

	// A long imperative at the request question is the request, not more story.
	c = newChat(t)
	// A fraudster's call concerns no branch: it is not asked.
	c.say("我今天早上被骗了，对方说是公安局的，让我把钱转到安全账户，转了两万", "95588", "网点 不涉及网点", "如何处理")
	c.say("帮我把钱追回来，冻结对方账户", "联系电话")
	if d := c.st.Draft; d.Fields[complaintbot.FieldRequest] != "帮我把钱追回来，冻结对方账户" || d.Category == nil || d.Category.Code != "funds" {
		t.Fatalf("draft %+v", d)
	}

	// Money taken at an ATM is about the money: the urgent matter's category wins over the machine.
	c = newChat(t)
	c.say("上周五晚上在城西支行门口的ATM取钱，卡被调包了，钱被取走了5000", "95588")
	if d := c.st.Draft; d.Category == nil || d.Category.Code != "funds" || d.Urgent != complaintbot.UrgentTheft {
		t.Fatalf("draft %+v", d)
	}
}

func TestSecondRoundOfCustomers(t *testing.T) {
	d := defaultDef()
	// English dates.
	for in, want := range map[string]time.Time{
		"Happened on Nov 15.": time.Date(2026, 11, 15, 0, 0, 0, 0, complaintbot.Shanghai),
		"the 3rd of November": time.Date(2026, 11, 3, 0, 0, 0, 0, complaintbot.Shanghai),
	} {
		if w, ok := d.findWhen(d.normalize(in), saturday); !ok || !w.t.Equal(want) {
			t.Errorf("findWhen(%q) = %v %v, want %v", in, w.t, ok, want)
		}
	}
	if got := d.normalize("may I ask"); got != "may I ask" {
		t.Errorf("normalize(%q) = %q", "may I ask", got)
	}
	// 其他's answer words pick it only as the whole answer; inside a story they mean nothing.
	if got := d.categoryCandidates(complaintbot.KindComplaint, d.normalize("柜员嫌我零钱多让我去别的银行存")); len(got) != 1 ||
		d.file.Categories["complaint"][got[0]].Code != "attitude" {
		t.Errorf("别的银行: %v", got)
	}
	// A suggestion that names a machine is a suggestion; a wish that something stop is a complaint;
	// a plea at the end of an incident with its day is a complaint.
	for in, want := range map[string]complaintbot.Kind{
		"你们那个排号机能不能搞个语音播报":              complaintbot.KindSuggestion,
		"你们一天给我发五条理财广告短信，能不能别发了":        complaintbot.KindComplaint,
		"上周五去城西支行，柜员说身份证过期了不能办，能不能想想办法": complaintbot.KindComplaint,
	} {
		if got, _ := d.storyKind(d.normalize(in), saturday); got != want {
			t.Errorf("storyKind(%q) = %q, want %q", in, got, want)
		}
	}

	c := newChat(t)
	c.say("上周六我去人民路支行取号以后等了快两个小时", "如何处理")
	c.say("中间好几个窗口都空着没人", "补充到经过", "如何处理") // a statement, not a wish
	c.say("就这些", "如何处理")
	c.say("多开窗口", "联系电话")
	c.say("13599990000", "请核对")
	c.say("没有问题")
	if ef := c.effect(); ef.Type != complaintbot.EffectCreateCase || ef.Draft.Fields[complaintbot.FieldRequest] != "多开窗口" ||
		ef.Draft.Fields[complaintbot.FieldDescription] != "上周六我去人民路支行取号以后等了快两个小时，中间好几个窗口都空着没人" {
		t.Fatalf("没有问题 did not register the case as told: %+v", c.last.Effects)
	}

	c = newChat(t)
	c.facts.cases = append(c.facts.cases, summary("TS20261121-0004", complaintbot.KindComplaint, complaintbot.StatusInvestigating, "0301", "process", saturday.AddDate(0, 0, -7)))
	c.say("查一下TS20261121-0004", "TS20261121-0004")
	c.say("我上次提的投诉有人看吗", "TS20261121-0004")
	if c.st.Draft != nil {
		t.Fatalf("a progress question started a draft: %+v", c.st.Draft)
	}

	c = newChat(t)
	c.say("人工", "排队")
	c.say("那我自己说吧，高新区支行昨天下午柜员态度很差，我问个问题就被吼", "结束人工排队", "如何处理")
}
