package textnorm

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Invisible controls that change how the text around them looks without being seen themselves:
// bidirectional overrides and embeddings make "订单号\u202E1234567" read 订单号7654321, zero-width
// characters hide inside names and numbers.
var (
	// bidiControls are shown as a visible mark, so that a reader knows the text held one.
	bidiControls = []rune{'\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E',
		'\u2066', '\u2067', '\u2068', '\u2069'}
	// zeroWidth are dropped.
	zeroWidth = []rune{'\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF'}

	visibleReplacer = func() *strings.Replacer {
		var pairs []string
		for _, r := range bidiControls {
			pairs = append(pairs, string(r), fmt.Sprintf("[U+%04X]", r))
		}
		for _, r := range zeroWidth {
			pairs = append(pairs, string(r), "")
		}
		return strings.NewReplacer(pairs...)
	}()
)

// Visible returns s as it may be shown to a person or exported: every bidirectional control
// written as a visible mark ("[U+202E]"), every zero-width character removed, everything else as
// it is. Stored customer text keeps these characters; what shows or exports it passes it here.
func Visible(s string) string {
	if !hasInvisible(s) {
		return s
	}
	return visibleReplacer.Replace(s)
}

func hasInvisible(s string) bool {
	for _, r := range s {
		if isInvisible(r) {
			return true
		}
	}
	return false
}

func isInvisible(r rune) bool {
	switch {
	case r == '\u061C', r >= '\u200B' && r <= '\u200F', r >= '\u202A' && r <= '\u202E',
		r == '\u2060', r >= '\u2066' && r <= '\u2069', r == '\uFEFF':
		return true
	}
	return false
}

// VisibleTail is how many bytes at the end of a chunk of UTF-8 may begin an invisible control
// that the next chunk completes: a streaming writer holds them back before calling Visible.
func VisibleTail(p []byte) int {
	for n := 1; n <= 3 && n <= len(p); n++ {
		i := len(p) - n
		if utf8.RuneStart(p[i]) {
			if utf8.FullRune(p[i:]) {
				return 0
			}
			return n
		}
	}
	return 0
}
