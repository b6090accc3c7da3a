package flows

import (
	"regexp"
	"strconv"
	"strings"
)

// numberRe is a choice by number: "2", "２", "第2个", "选2", "2号".
var numberRe = regexp.MustCompile(`^(?:第|选)?(\d{1,2})(?:个|项|号|类)?$`)

// choiceNumber returns the 1-based number a message picks, if it is one.
func choiceNumber(text string) (int, bool) {
	m := numberRe.FindStringSubmatch(key(text))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// matchChoice returns the index of the option a message picks: by number (1-based), by the
// whole name, or by a part of a name that fits only one option ("态度" → "服务态度", "服务设施" →
// "服务设施/设备"). ok is false when nothing or more than one option fits.
func matchChoice(text string, names []string) (int, bool) {
	if n, ok := choiceNumber(text); ok {
		if n >= 1 && n <= len(names) {
			return n - 1, true
		}
		return 0, false
	}
	k := key(text)
	if k == "" {
		return 0, false
	}
	for i, n := range names {
		if key(n) == k {
			return i, true
		}
	}
	found := -1
	for i, n := range names {
		nk := key(n)
		if runes(k) >= 2 && (strings.Contains(nk, k) || strings.Contains(k, nk)) {
			if found >= 0 {
				return 0, false
			}
			found = i
		}
	}
	return found, found >= 0
}

// numbered renders options as "1 a\n2 b".
func numbered(names []string) string {
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = strconv.Itoa(i+1) + " " + n
	}
	return strings.Join(lines, "\n")
}
