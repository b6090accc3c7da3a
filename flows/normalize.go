package flows

import (
	"strings"
	"unicode"
)

// halfWidth turns full-width ASCII (Ｔ，１２３) into ASCII and the ideographic space into a space.
func halfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - 0xFEE0
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

// clean is what the engine keeps of a message: the customer's own characters (full-width
// punctuation stays as typed), trimmed, with runs of white space (the ideographic space too)
// collapsed to one space. Matching goes through key, parsing through halfWidth.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// key is a message reduced for matching words: half-width, lower case, with no white space,
// punctuation or symbols. "  确认。" and "确 认！" both give "确认".
func key(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(halfWidth(s)) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// runes counts characters the way a customer does: 你好 is two.
func runes(s string) int { return len([]rune(s)) }

// fill replaces {name} placeholders in a text; pairs are name, value, name, value, ...
func fill(tmpl string, pairs ...string) string {
	if len(pairs) == 0 {
		return tmpl
	}
	args := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		args = append(args, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(args...).Replace(tmpl)
}
