package flows

import (
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
)

var (
	converterOnce sync.Once
	converter     *opencc.OpenCC
	converterErr  error
)

// loadConverter prepares the traditional-to-simplified converter (OpenCC's t2s tables, embedded in
// the library) once per process.
func loadConverter() error {
	converterOnce.Do(func() {
		converter, converterErr = opencc.New("t2s")
		if converterErr != nil {
			converterErr = fmt.Errorf("traditional Chinese converter: %w", converterErr)
		}
	})
	return converterErr
}

// simplified reads traditional characters as simplified ones (投訴 → 投诉, 兩點 → 两点).
func simplified(s string) string {
	han := false
	for _, r := range s {
		if r >= 0x2E80 {
			han = true
			break
		}
	}
	if !han || loadConverter() != nil {
		return s
	}
	out, err := converter.Convert(s)
	if err != nil {
		return s
	}
	return out
}

// normalize is a message as the engine reads it: half-width, simplified, with the flow file's
// rewrites applied ("yesterday" → 昨天) and emoji and other symbols turned into spaces, white space
// collapsed. What the customer wrote is kept with clean; this is only for understanding.
func (d *Definition) normalize(s string) string {
	s = simplified(halfWidth(s))
	if u := d.u; u != nil {
		if u.asciiRewrite != nil {
			s = u.asciiRewrite.ReplaceAllStringFunc(s, func(m string) string {
				return " " + u.asciiTo[strings.Join(strings.Fields(strings.ToLower(m)), " ")] + " "
			})
		}
		s = u.otherRewrite.Replace(s)
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u200d' || r == '\ufe0f' || r == '\ufe0e':
			return -1
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || unicode.Is(unicode.Cs, r) || unicode.Is(unicode.Co, r):
			return ' '
		}
		return r
	}, s)
	return clean(s)
}

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
