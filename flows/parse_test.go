package flows

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestParseWhen(t *testing.T) {
	// saturday is 2026-11-28 10:00 in Shanghai.
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, complaintbot.Shanghai) }
	tests := []struct {
		in     string
		want   time.Time
		period string
		shown  string
	}{
		{"昨天下午3点", at(27, 15, 0), "", "2026年11月27日 15:00"},
		{"今天上午9点半", at(28, 9, 30), "", "2026年11月28日 09:30"},
		{"今天上午九点一刻", at(28, 9, 15), "", "2026年11月28日 09:15"},
		{"11月20日", at(20, 0, 0), "", "2026年11月20日"},
		{"十一月二十号", at(20, 0, 0), "", "2026年11月20日"},
		{"2026-11-20 15:00", at(20, 15, 0), "", "2026年11月20日 15:00"},
		{"２０２６－１１－２０　１５：００", at(20, 15, 0), "", "2026年11月20日 15:00"},
		{"2026年11月20日", at(20, 0, 0), "", "2026年11月20日"},
		{"2026/11/20 下午2点20分", at(20, 14, 20), "", "2026年11月20日 14:20"},
		{"上周五", at(20, 0, 0), "", "2026年11月20日"},
		{"上星期一上午", at(16, 10, 0), "上午", "2026年11月16日上午"},
		{"周三", at(25, 0, 0), "", "2026年11月25日"},
		{"星期天", at(22, 0, 0), "", "2026年11月22日"}, // this week's Sunday is tomorrow: the last one
		{"前天", at(26, 0, 0), "", "2026年11月26日"},
		{"大前天晚上8点", at(25, 20, 0), "", "2026年11月25日 20:00"},
		{"昨晚", at(27, 20, 0), "晚上", "2026年11月27日晚上"},
		{"昨天中午1点", at(27, 13, 0), "", "2026年11月27日 13:00"},
		{"刚才", at(28, 10, 0), "", "2026年11月28日 10:00"},
		{"就刚刚", at(28, 10, 0), "", "2026年11月28日 10:00"},
		{"早上8点", at(28, 8, 0), "", "2026年11月28日 08:00"},
		{"大概是昨天下午三点左右吧", at(27, 15, 0), "", "2026年11月27日 15:00"},
		{"12月5日", time.Date(2025, 12, 5, 0, 0, 0, 0, complaintbot.Shanghai), "", "2025年12月5日"}, // no year, not yet this year
		{"15号", at(15, 0, 0), "", "2026年11月15日"},
		{"30号", time.Date(2026, 10, 30, 0, 0, 0, 0, complaintbot.Shanghai), "", "2026年10月30日"},
	}
	for _, tc := range tests {
		w, p := parseWhen(tc.in, saturday)
		if p != dateOK {
			t.Errorf("%q: problem %d", tc.in, p)
			continue
		}
		if !w.t.Equal(tc.want) || w.period != tc.period {
			t.Errorf("%q = %v %q, want %v %q", tc.in, w.t, w.period, tc.want, tc.period)
		}
		if got := formatWhen(w.t, w.period); got != tc.shown {
			t.Errorf("%q shown as %q, want %q", tc.in, got, tc.shown)
		}
	}
	bad := map[string]dateProblem{
		"明天": dateFuture, "后天上午": dateFuture, "今天下午3点": dateFuture, "2026年12月1日": dateFuture, "今天中午": dateFuture,
		"2月30日": dateBadDay, "2026-13-01": dateBadDay, "哈哈": dateMissing, "25点": dateMissing, "": dateMissing,
		"2019年1月1日": dateTooOld,
	}
	for in, want := range bad {
		if _, p := parseWhen(in, saturday); p != want {
			t.Errorf("%q: problem %d, want %d", in, p, want)
		}
	}
	// Any zone of "now" gives the same Shanghai reading.
	if w, _ := parseWhen("昨天下午3点", saturday.UTC()); !w.t.Equal(at(27, 15, 0)) {
		t.Errorf("UTC now: %v", w.t)
	}
	// Stories: a date or a part of the day is needed; counters and "a little" are not times.
	for in, want := range map[string]bool{"态度能好一点": false, "3号窗口": false, "等了一个小时": false,
		"昨天下午让我等了一个小时": true, "上午9点去办业务": true, "下午3点去办业务": false, "3点去的": false} {
		if _, ok := findWhen(in, saturday); ok != want {
			t.Errorf("findWhen(%q) = %v, want %v", in, ok, want)
		}
	}
}

func TestParsePhone(t *testing.T) {
	good := map[string]string{
		"13812345678":         "13812345678",
		"138 1234 5678":       "13812345678",
		"138-1234-5678":       "13812345678",
		"１３８１２３４５６７８":         "13812345678",
		"+86 138 1234 5678":   "13812345678",
		"+8613812345678":      "13812345678",
		"008613812345678":     "13812345678",
		"8613812345678":       "13812345678",
		"我的手机是19912345678，谢谢": "19912345678",
		"0571-88886666":       "0571-88886666",
		"0571 8888 6666":      "0571-88886666",
		"(0571)88886666":      "0571-88886666",
		"010-62345678":        "010-62345678",
		"021-6888 1234":       "021-68881234",
		"07558888666":         "0755-8888666",
		"+86 571 88886666":    "0571-88886666",
	}
	for in, want := range good {
		if got, ok := parsePhone(in); !ok || got != want {
			t.Errorf("parsePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "12345", "1381234567", "138123456789", "23812345678", "12812345678",
		"95588", "400-888-8888", "0571-888", "6222021234567890123", "010-12345678" /* no local number starts with 1 */, "不告诉你"} {
		if got, ok := parsePhone(in); ok {
			t.Errorf("parsePhone(%q) = %q, want invalid", in, got)
		}
	}
}

func TestMatchBranch(t *testing.T) {
	d := DefaultDefinition()
	tests := []struct {
		in    string
		none  bool
		codes []string
	}{
		{"城东支行", false, []string{"0101"}},
		{" 城东 支行。", false, []string{"0101"}},
		{"人民路网点", false, []string{"0401"}},
		{"人民路", false, []string{"0401"}},
		{"在人民路支行办的", false, []string{"0401"}},
		{"高新", false, []string{"0301"}},
		{"科技园网点", false, []string{"0301"}},
		{"城东新区", false, []string{"0102"}},
		{"城东新区支行", false, []string{"0102"}},
		{"城东", false, []string{"0101"}},
		{"城东的网点", false, []string{"0101"}},
		{"人民", false, []string{"0401", "0402"}},
		{"人民广场", false, []string{"0402"}},
		{"营业部", false, []string{"0001"}},
		{"不涉及网点", true, nil},
		{"无", true, nil},
		{"手机银行", true, nil},
		{"火星支行", false, nil},
		{"支行", false, nil},
		{"东", false, nil},
	}
	for _, tc := range tests {
		none, found := d.matchBranch(tc.in)
		var codes []string
		for _, b := range found {
			codes = append(codes, b.Code)
		}
		if none != tc.none || !equal(codes, tc.codes) {
			t.Errorf("matchBranch(%q) = %v %v, want %v %v", tc.in, none, codes, tc.none, tc.codes)
		}
	}
	for in, want := range map[string]string{
		"城东支行的柜员态度很差": "0101", "城东新区支行的柜员": "0102", "去人民路网点办业务": "0401", "城西和城东都去过": "",
		"柜员态度很差": "",
	} {
		b, ok := d.findBranch(in)
		if (want == "") == ok || b.Code != want {
			t.Errorf("findBranch(%q) = %q %v, want %q", in, b.Code, ok, want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
