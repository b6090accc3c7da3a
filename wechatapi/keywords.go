package wechatapi

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot/textnorm"
)

// KeywordLimit is the most characters WeChat shows of one keyword value of a template message
// (since 2023-05-04) or a subscribe message's thing field; longer values are cut by WeChat
// without a mark.
const KeywordLimit = 20

// Placeholders are the placeholders a keyword template may use, and what they stand for.
var Placeholders = map[string]string{
	"{text}":   "the notice",
	"{number}": "the case number",
	"{kind}":   "the case kind",
	"{status}": "the case status",
	"{date}":   "the expected reply date",
	"{branch}": "the branch name",
}

// wholeWidth is the most characters a placeholder that is never cut can take: a case number
// (TS20261202-10124) and a date as the flow file writes it (eleven characters).
var wholeWidth = map[string]int{"{number}": 16, "{date}": 11}

// dropped are the fields WeChat no longer shows in a template message since 2023-05-04.
var dropped = []string{"first", "remark"}

var placeholderRe = regexp.MustCompile(`\{[a-z]+\}`)

// CheckKeywordTemplates returns one plain sentence per field of a template_data setting (field
// name → value template) that breaks WeChat's rules, each naming key.field; nil when all obey.
// A value may not rely on the first or remark line (not shown), hold a line break, use an
// unknown placeholder, or be longer than KeywordLimit once the case number and the date, which
// are never cut, are in.
func CheckKeywordTemplates(key string, fields map[string]string) []string {
	var p []string
	for _, field := range slices.Sorted(maps.Keys(fields)) {
		tmpl := fields[field]
		if tmpl == "" {
			continue
		}
		name := key + "." + field
		if slices.Contains(dropped, field) {
			p = append(p, fmt.Sprintf("%s: WeChat no longer shows a template's first and remark lines (since 2023-05-04); "+
				"put what it says in a keyword field, or write %s: \"\" to leave it out", name, field))
			continue
		}
		if strings.ContainsAny(tmpl, "\r\n") {
			p = append(p, fmt.Sprintf("%s: a keyword value may not hold a line break", name))
		}
		width := 0
		for _, ph := range placeholderRe.FindAllString(tmpl, -1) {
			if _, ok := Placeholders[ph]; !ok {
				p = append(p, fmt.Sprintf("%s: unknown placeholder %s (known: %s)", name, ph,
					strings.Join(slices.Sorted(maps.Keys(Placeholders)), " ")))
			}
			width += wholeWidth[ph]
		}
		width += utf8.RuneCountInString(placeholderRe.ReplaceAllString(tmpl, ""))
		if width > KeywordLimit {
			p = append(p, fmt.Sprintf("%s: %q can take %d characters with the case number and date in it; "+
				"WeChat shows at most %d of a keyword value", name, tmpl, width, KeywordLimit))
		}
	}
	return p
}

// FillKeyword fills a keyword value template with values (placeholder → text) so that the value
// obeys WeChat's rules: no line break, no emoji or control characters, at most KeywordLimit
// characters. What does not fit is cut from the end of the other placeholders' text, marked
// "…"; the case number ({number}) and the date ({date}) are never cut. Placeholders without a
// value become empty.
func FillKeyword(tmpl string, values map[string]string) string {
	type part struct {
		text  string
		cut   bool // may be cut to fit
		runes int
	}
	var parts []part
	fixed, flexible := 0, 0
	add := func(text string, cut bool) {
		n := utf8.RuneCountInString(text)
		parts = append(parts, part{text, cut, n})
		if cut {
			flexible += n
		} else {
			fixed += n
		}
	}
	rest := tmpl
	for {
		loc := placeholderRe.FindStringIndex(rest)
		if loc == nil {
			add(keywordText(rest), false)
			break
		}
		add(keywordText(rest[:loc[0]]), false)
		ph := rest[loc[0]:loc[1]]
		_, whole := wholeWidth[ph]
		add(keywordText(values[ph]), !whole)
		rest = rest[loc[1]:]
	}
	budget := KeywordLimit - fixed
	if fixed+flexible <= KeywordLimit {
		budget = flexible
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.cut {
			b.WriteString(p.text)
			continue
		}
		switch {
		case p.runes <= budget:
			b.WriteString(p.text)
			budget -= p.runes
		case budget > 0:
			r := []rune(p.text)
			b.WriteString(strings.TrimSpace(string(r[:budget-1])) + "…")
			budget = 0
		}
	}
	return strings.TrimSpace(b.String())
}

// keywordText is s as a keyword value may show it: bidi and zero-width marks removed, line
// breaks and tabs as spaces, emoji and other pictographs and control characters left out,
// runs of spaces as one.
func keywordText(s string) string {
	s = textnorm.Visible(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == ' ' || r == '\u3000':
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.So, r), unicode.Is(unicode.Sk, r) && r > 0x2000,
			r >= 0x1F000 && r <= 0x1FAFF, r >= 0xFE00 && r <= 0xFE0F, r == 0x200D:
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return b.String()
}
