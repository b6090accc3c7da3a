package flows

import (
	"slices"
	"strings"
	"testing"
)

func TestRiskWordsAreReadLikeEveryMessage(t *testing.T) {
	t.Parallel()
	d := DefaultDefinition()
	for text, want := range map[string][]string{
		"我要找媒體曝光！":          {"媒体", "曝光"}, // traditional characters
		"我不想找媒体，但请尽快处理":     {"媒体"},       // a negation does not cancel the warning
		"再不处理我就打１２３７８":      {"12378"},    // full-width digits
		"我的手机号是13812378123": nil,          // inside a longer number
		"12378":             {"12378"},
		"柜员态度很差，让我等了一个小时":   nil,
	} {
		if got := d.RiskWords(text); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", text, got, want)
		}
	}
}

// BenchmarkRiskWords is the cost of reading one story for the risk words (registration and
// every addition to an open case).
func BenchmarkRiskWords(b *testing.B) {
	d := DefaultDefinition()
	story := strings.Repeat("昨天下午在城东支行办理转账，柜员态度很差，让我等了一个小时也没人理，", 4) + "不解决我就找媒体曝光"
	for b.Loop() {
		d.RiskWords(story)
	}
}
