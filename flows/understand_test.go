package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestNormalizeReadsTraditionalFullWidthEnglishAndEmoji(t *testing.T) {
	d := defaultDef()
	for in, want := range map[string]string{
		"我要投訴城東支行":           "我要投诉城东支行",
		"服務態度，確認":            "服务态度,确认",
		"下午兩點":               "下午两点",
		"ＡＴＭ　吞卡":             "ATM 吞卡",
		"yesterday晚上8点":      "昨天 晚上8点",
		"I want to complain": "我要投诉",
		"😡城东支行🤬":             "城东支行",
		"👍":                  "好的",
	} {
		if got := d.normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBranchesBySound(t *testing.T) {
	d := defaultDef()
	for in, want := range map[string]string{
		"城冬支行": "0101", "成西支行": "0201", "人名路": "0401", "高心区": "0301", "人民光场": "0402", "城冬新区支行": "0102",
	} {
		none, found := d.matchBranch(in)
		if none || len(found) != 1 || found[0].Code != want {
			t.Errorf("matchBranch(%q) = %v %+v, want %s", in, none, found, want)
		}
	}
	// In a story a name heard by its sound needs a branch suffix after it; unrelated words that
	// sound alike are not branches.
	for in, want := range map[string]string{
		"城冬支行的大堂经理态度很差": "0101", "我在城里逛了一圈": "", "成都来的客户": "", "人名路网点的柜员": "0401",
	} {
		b, ok := d.findBranch(in)
		if (want == "") == ok || b.Code != want {
			t.Errorf("findBranch(%q) = %q %v, want %q", in, b.Code, ok, want)
		}
	}
}

func TestApproximateAndUnknownTimes(t *testing.T) {
	// saturday is 2026-11-28 10:00; this week began on Monday 11-23.
	day := func(m, d int) time.Time { return time.Date(2026, time.Month(m), d, 0, 0, 0, 0, complaintbot.Shanghai) }
	tests := []struct {
		in        string
		at        time.Time
		precision string
		shown     string
	}{
		{"上个礼拜二", day(11, 17), complaintbot.OccurredExact, "2026年11月17日"},
		{"上个星期天", day(11, 22), complaintbot.OccurredExact, "2026年11月22日"},
		{"这个礼拜一", day(11, 23), complaintbot.OccurredExact, "2026年11月23日"},
		{"上上周三", day(11, 11), complaintbot.OccurredExact, "2026年11月11日"},
		{"11.20", day(11, 20), complaintbot.OccurredExact, "2026年11月20日"},
		{"上个月20号", day(10, 20), complaintbot.OccurredExact, "2026年10月20日"},
		{"上周", day(11, 16), complaintbot.OccurredWeek, "2026年11月16日至11月22日之间"},
		{"最近一个星期", day(11, 22), complaintbot.OccurredWeek, "2026年11月22日至11月28日之间"},
		{"前两天", day(11, 22), complaintbot.OccurredWeek, "2026年11月22日至11月28日之间"},
		{"最近一个月", day(10, 30), complaintbot.OccurredThirtyDays, "2026年10月30日至11月28日之间"},
		{"最近两周", day(10, 30), complaintbot.OccurredThirtyDays, "2026年10月30日至11月28日之间"},
		{"近20天", day(10, 30), complaintbot.OccurredThirtyDays, "2026年10月30日至11月28日之间"},
		{"最近三天", day(11, 22), complaintbot.OccurredWeek, "2026年11月22日至11月28日之间"},
		{"大概上个月吧", day(10, 1), complaintbot.OccurredMonth, "2026年10月"},
		{"11月中旬", day(11, 11), complaintbot.OccurredPartOfMonth, "2026年11月中旬"},
		{"上个月底", day(10, 21), complaintbot.OccurredPartOfMonth, "2026年10月下旬"},
		{"去年12月", day(12, 1).AddDate(-1, 0, 0), complaintbot.OccurredMonth, "2025年12月"},
		{"去年", day(1, 1).AddDate(-1, 0, 0), complaintbot.OccurredYear, "2025年"},
	}
	d := defaultDef()
	for _, tc := range tests {
		w, p := d.parseWhen(tc.in, saturday)
		if p != dateOK || !w.t.Equal(tc.at) || w.precision != tc.precision {
			t.Errorf("%q = %v %q (problem %d), want %v %q", tc.in, w.t, w.precision, p, tc.at, tc.precision)
			continue
		}
		if got := d.formatOccurred(&w.t, w.precision, w.period); got != tc.shown {
			t.Errorf("%q shown as %q, want %q", tc.in, got, tc.shown)
		}
	}
	for _, in := range []string{"不知道", "记不清了", "忘了", "不记得了"} {
		if w, p := d.parseWhen(in, saturday); p != dateOK || w.precision != complaintbot.OccurredUnknown {
			t.Errorf("%q: %+v %d, want an unknown time", in, w, p)
		}
	}
	if got := d.formatOccurred(nil, complaintbot.OccurredUnknown, ""); got != "记不清了" {
		t.Errorf("unknown shown as %q", got)
	}
	// A week long is not a weekday; a story needs a time word to say it does not know.
	if w, ok := d.findWhen("最近一个星期天天都打电话", saturday); !ok || w.precision != complaintbot.OccurredWeek {
		t.Errorf("一个星期天天: %+v %v", w, ok)
	}
	for in, want := range map[string]bool{"时间记不清了": true, "我不知道为什么": false, "3.5万的理财": false} {
		if _, ok := d.findWhen(in, saturday); ok != want {
			t.Errorf("findWhen(%q) = %v, want %v", in, ok, want)
		}
	}
}

func TestUnknownTimeIsStoredAndReadBack(t *testing.T) {
	c := toStep(t, "occurred_at")
	c.say("记不清了", "经过")
	if c.st.Draft.OccurredAt != nil || c.st.Draft.OccurredPrecision != complaintbot.OccurredUnknown {
		t.Fatalf("draft %+v", c.st.Draft)
	}
	c.say("柜员一直在看手机，让我等了很久。")
	c.say("希望网点道歉")
	c.say("13812345678", "4. 时间：记不清了")
}

func TestDefinitionSectionsOfUnderstanding(t *testing.T) {
	base := string(DefaultYAML())
	for name, tc := range map[string][2]string{
		"urgent category":  {"    category: facility\n", "    category: nowhere\n"},
		"missing text":     {"    left_queue: \"", "    left_quue: \""},
		"empty close list": {lineStarting(base, "  piece_done: ["), "  piece_done: []"},
	} {
		if !containsStr(base, tc[0]) {
			t.Fatalf("%s: stale test", name)
		}
		if _, err := LoadDefinition([]byte(replaceOnce(base, tc[0], tc[1]))); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	// An operator's file written before these sections existed still loads, and understands.
	y := base[:indexStr(base, "# Understanding customers as they really write.")]
	d, err := LoadDefinition([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if d.file.Understanding.Messages.LeftQueue == "" || len(d.file.FAQ) == 0 || len(d.file.Urgent) == 0 {
		t.Fatal("sections not taken from the default")
	}
}

func lineStarting(y, prefix string) string {
	for _, l := range strings.Split(y, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return prefix + " (missing)"
}

func TestUrgentComesFirstOnceAndFlagsTheCase(t *testing.T) {
	c := newChat(t)
	reply := c.say("我的信用卡被盗刷了5600块", "95588")
	if !strings.HasPrefix(reply, "【请先处理】") {
		t.Fatalf("the hotline must come before anything else:\n%s", reply)
	}
	if c.st.Draft == nil || c.st.Draft.Urgent != complaintbot.UrgentTheft {
		t.Fatalf("draft %+v", c.st.Draft)
	}
	c.sayNot("今天凌晨收到的短信，又被刷了一笔", "【请先处理】") // said once per draft
}

func TestWaitingCustomerLeavesTheQueue(t *testing.T) {
	c := toStep(t, "occurred_at")
	c.say("人工", "排队")
	c.st.HandoffID = "turn-7" // the caller records its queue entry
	c.say("还要多久", "正在排队", "回复“取消”")
	c.say("取消", "结束人工排队", "什么时候")
	if ef := c.effect(); c.st.Handoff != complaintbot.ConversationWithBot || c.st.HandoffID != "" || ef.Type != complaintbot.EffectLeaveQueue ||
		ef.HandoffID != "turn-7" || c.st.Draft == nil {
		t.Fatalf("state %+v effects %+v", c.st, c.last.Effects)
	}
	c.say("昨天下午3点", "经过") // the intake goes on where it was
}
