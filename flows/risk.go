package flows

import (
	"slices"
	"strings"
)

// RiskWords returns the flow file's risk words (understanding.risk_words: the media, a lawsuit,
// the regulator …) found in a customer's text, in the order of the list, each once; nil when there
// are none. The text is read as every message is (simplified, half-width, rewrites applied); a
// word of digits (12378) counts only as a whole number, not inside a longer one (a phone number).
func (d *Definition) RiskWords(text string) []string {
	if d.u == nil || len(d.u.risk) == 0 || strings.TrimSpace(text) == "" {
		return nil
	}
	k := key(d.normalize(text))
	var found, keys []string
	for _, w := range d.file.Understanding.RiskWords {
		kw := key(w)
		if kw == "" || slices.Contains(keys, kw) || !containsWord(k, kw) {
			continue
		}
		found, keys = append(found, w), append(keys, kw)
	}
	// Keep the longer of two words found where one holds the other (网上曝光 over 曝光).
	var out []string
	for i, w := range found {
		if !slices.ContainsFunc(keys, func(f string) bool { return f != keys[i] && strings.Contains(f, keys[i]) }) {
			out = append(out, w)
		}
	}
	return out
}

// RiskWords returns the risk words found in a customer's text (see Definition.RiskWords).
func (e *Engine) RiskWords(text string) []string { return e.def.RiskWords(text) }

// containsWord reports whether k holds w; a w of digits must not touch other digits.
func containsWord(k, w string) bool {
	if !isDigits(w) {
		return strings.Contains(k, w)
	}
	for i := 0; ; {
		j := strings.Index(k[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isDigit(k[j-1])) && (end == len(k) || !isDigit(k[end])) {
			return true
		}
		i = j + 1
	}
}

func isDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
