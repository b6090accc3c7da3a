package flows

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// numberRe is a choice by number: "2", "２", "第2个", "选2", "2号", "第一个" and "一" (read as digits
// first), "我选第二个吧".
var numberRe = regexp.MustCompile(`^(?:我选|我要|就选|选|就|要)?(?:第)?(\d{1,2})(?:个|项|号|类|条|种)?(?:吧|的|就行|就可以|了)?$`)

// lastRe is a choice of the last option: "最后一个", "最后那个".
var lastRe = regexp.MustCompile(`^(?:我选|选|就|要)?最后(?:一个|那个|一项|一条|1个|1项|1)?(?:吧|的)?$`)

// choiceNumber returns the 1-based number a message picks, if it is one; 0 with ok means "the
// last one".
func choiceNumber(text string) (int, bool) {
	k := key(text)
	if lastRe.MatchString(k) {
		return 0, true
	}
	m := numberRe.FindStringSubmatch(cnNumerals(k))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// choiceIndex returns the 0-based option a message picks by number among count options.
func choiceIndex(text string, count int) (int, bool) {
	n, ok := choiceNumber(text)
	switch {
	case !ok:
		return 0, false
	case n == 0:
		return count - 1, count > 0
	case n > count:
		return 0, false
	}
	return n - 1, true
}

// matchChoice returns the index of the option a message picks: by number (1-based), by the
// whole name, or by a part of a name that fits only one option ("态度" → "服务态度", "服务设施" →
// "服务设施/设备"). ok is false when nothing or more than one option fits.
func matchChoice(text string, names []string) (int, bool) {
	alts := make([][]string, len(names))
	for i, n := range names {
		alts[i] = []string{n}
	}
	return matchChoiceOf(text, alts)
}

// matchChoiceOf is matchChoice for options known by several names each.
func matchChoiceOf(text string, names [][]string) (int, bool) {
	if _, number := choiceNumber(text); number {
		return choiceIndex(text, len(names))
	}
	k := key(text)
	if k == "" {
		return 0, false
	}
	if i := exactChoice(k, names); i >= 0 {
		return i, true
	}
	found := -1
	for i, ns := range names {
		for _, n := range ns {
			nk := key(n)
			if runes(k) >= 2 && (strings.Contains(nk, k) || strings.Contains(k, nk)) {
				if found >= 0 && found != i {
					return 0, false
				}
				found = i
			}
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

// numberedAt renders some of the options with their numbers in the full list.
func numberedAt(names []string, at []int) string {
	lines := make([]string, len(at))
	for i, j := range at {
		lines[i] = strconv.Itoa(j+1) + " " + names[j]
	}
	return strings.Join(lines, "\n")
}

// candidatesQuestion asks among the categories a story fits, and 其他 (the last one).
func (t *turn) candidatesQuestion(at []int) string {
	names := t.categoryNames()
	if last := len(names) - 1; at[len(at)-1] != last {
		at = append(at[:len(at):len(at)], last)
	}
	return fill(t.u().ChoiceCandidates, "list", numberedAt(names, at))
}

// closestChoices is the reason a category answer failed, with the few closest categories (by the
// characters the answer shares with their names and keywords) rather than the whole list.
func (t *turn) closestChoices(text string) string {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	k := []rune(key(text))
	type score struct{ i, n int }
	var scores []score
	for i, c := range cats[:len(cats)-1] {
		best := 0
		for _, w := range append([]string{c.shown(), c.Name}, c.Keywords...) {
			if n := shared(k, []rune(key(w))); n > best {
				best = n
			}
		}
		if best > 0 {
			scores = append(scores, score{i, best})
		}
	}
	if len(scores) == 0 {
		return t.u().ChoiceNone
	}
	sort.SliceStable(scores, func(a, b int) bool { return scores[a].n > scores[b].n })
	var at []int
	for _, s := range scores[:min(3, len(scores))] {
		at = append(at, s.i)
	}
	sort.Ints(at)
	at = append(at, len(cats)-1)
	return fill(t.u().ChoiceClosest, "list", numberedAt(t.categoryNames(), at))
}

// shared counts the characters of w that occur in k.
func shared(k, w []rune) int {
	n := 0
	for _, r := range w {
		for _, c := range k {
			if r == c {
				n++
				break
			}
		}
	}
	return n
}

// exactChoice returns the option one of whose names is k (a message's key) exactly, or -1.
func exactChoice(k string, names [][]string) int {
	for i, ns := range names {
		for _, n := range ns {
			if key(n) == k {
				return i
			}
		}
	}
	return -1
}
