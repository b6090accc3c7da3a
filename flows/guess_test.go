package flows

import (
	"testing"

	"github.com/complaintbot/complaintbot"
)

// The bot's guess among the categories a story fits is the one its words cover most; a minor
// category (信息披露) never competes with another.
func TestBestCategoryOfAStory(t *testing.T) {
	t.Parallel()
	d := defaultDef()
	tests := []struct{ story, want string }{
		{"高新区支行扣了我20块钱账户管理费，从来没人告诉过我有这个费", "fees"},
		{"昨天去营业部挂失，柜员说系统坏了办不了，让我今天再去，今天去了还是办不了", "process"},
		{"大堂经理非让我去机器上取，我说我不会用，她就翻白眼", "attitude"}, // a tie: the earlier in the list
		{"理财经理说保本，结果亏了八千", "disclosure"},          // minor, but alone
	}
	for _, tc := range tests {
		i := d.bestCategory(complaintbot.KindComplaint, d.normalize(tc.story))
		if i < 0 {
			t.Errorf("%s: no category", tc.story)
			continue
		}
		if got := d.file.Categories[string(complaintbot.KindComplaint)][i].Code; got != tc.want {
			t.Errorf("%s: guessed %s, want %s", tc.story, got, tc.want)
		}
	}
}

// A story's time is the one it names first for its event; a later 今天 is when something else
// happened, and how long something has gone on, counted, is a time too.
func TestTimeOfAStory(t *testing.T) {
	t.Parallel()
	d := defaultDef()
	tests := []struct{ story, want string }{
		{"俺上个月在营业部存钱，那个经理非叫俺买保险，今儿个俺孙子一看，说是保险不是存款", "month 2026-10"},
		{"我在高新区支行申请房贷一个多月了，一直说在审批", "month 2026-10"},
		{"城西支行的ATM机坏了好几天了也没人修，我昨天去取钱取不出来", "2026-11-27"}, // a state, not the event
		{"前天晌午我去城西支行取钱", "2026-11-26 中午"},
		{"公司财务说15号就发了 就你们家的卡没到", "2026-11-15"},             // a bare N号 with a day's word after it
		{"这个礼拜天天打 一天两三个", "week 2026-11-23"},               // every day of this week, not its Sunday
		{"工作日五点就关 我们上班的人根本去不了 昨天下午又白跑一趟", "2026-11-27 下午"}, // an hour that recurs is not the event's
	}
	for _, tc := range tests {
		w, ok := d.findWhen(d.normalize(tc.story), saturday)
		if !ok {
			t.Errorf("%s: no time", tc.story)
			continue
		}
		dr := &complaintbot.Draft{Fields: map[string]string{}}
		at := w.t
		dr.OccurredAt, dr.OccurredPrecision = &at, w.precision
		if w.period != "" {
			dr.Fields[FieldOccurredPeriod] = w.period
		}
		if got := corpusWhen(dr); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.story, got, tc.want)
		}
	}
	if w, ok := d.findWhen(d.normalize("扣了好几个月了"), saturday); ok && w.precision != complaintbot.OccurredUnknown {
		t.Errorf("好几个月了 read as a time: %+v", w)
	}
}

// A lead-in is not kept in the story; a story that is nothing but one is kept as it is.
func TestLeadInLeftOutOfTheStory(t *testing.T) {
	t.Parallel()
	d := defaultDef()
	tests := []struct{ in, want string }{
		{"是这样的，前天我去城西支行取钱", "前天我去城西支行取钱"},
		{"我跟你说啊，昨天我在人民路支行存了一万", "昨天我在人民路支行存了一万"},
		{"事情是这样的 我昨儿晚上取钱", "我昨儿晚上取钱"},
		{"是这样的", "是这样的"},
		{"柜员说规定是这样的，不给办", "柜员说规定是这样的，不给办"},
	}
	for _, tc := range tests {
		if got := d.withoutLeadIn(tc.in); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A request word right after 不, 没 or 没有 tells what was not done, not a wish: "柜员也没有道歉" is
// part of the story, "希望道歉" a request.
func TestDeniedRequestWordsAreNoWish(t *testing.T) {
	t.Parallel()
	d := defaultDef()
	for clause, want := range map[string]bool{
		"希望道歉":        true,
		"柜员也没有道歉":     false,
		"他们不道歉":       false,
		"没道歉，我希望给个说法": true, // the second word is not denied
	} {
		if got := d.wishIn(key(d.normalize(clause))); got != want {
			t.Errorf("%s: a wish %v, want %v", clause, got, want)
		}
	}
}
