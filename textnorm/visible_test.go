package textnorm

import "testing"

func TestVisibleShowsBidiControlsAndDropsZeroWidth(t *testing.T) {
	for in, want := range map[string]string{
		"订单号\u202E1234567\u202C":    "订单号[U+202E]1234567[U+202C]",
		"王\u200B经\u200D理\uFEFF":     "王经理",
		"\u2067عربي\u2069 与中文":      "[U+2067]عربي[U+2069] 与中文",
		"普通的投诉内容，没有控制字符 😀":          "普通的投诉内容，没有控制字符 😀",
		"mark\u200Eand\u061Cletter": "mark[U+200E]and[U+061C]letter",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVisibleTailHoldsBackOnlyAnUnfinishedCharacter(t *testing.T) {
	rlo := []byte("\u202E")
	for _, c := range []struct {
		p    []byte
		want int
	}{
		{[]byte("abc"), 0},
		{append([]byte("ab"), rlo[:1]...), 1},
		{append([]byte("ab"), rlo[:2]...), 2},
		{append([]byte("ab"), rlo...), 0},
		{[]byte("中文"), 0},
		{nil, 0},
	} {
		if got := VisibleTail(c.p); got != c.want {
			t.Errorf("VisibleTail(%q) = %d, want %d", c.p, got, c.want)
		}
	}
}
