package taxonomy

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot/textnorm"
)

// Propose is the bot's proposal for a new case, from the customer's category (a flow file category
// code, may be empty) and what the customer wrote (raw text: it is normalised here as the flow
// engine reads messages — traditional as simplified, full-width as half-width, lower case, without
// spaces, punctuation or symbols). The agent confirms or changes it.
//
// Channel and Business come from the words only, and stay empty when the words point to no single
// leaf (the agent codes them). Reason comes from the category when the data file maps it to a reason
// other than 其他; otherwise from the words; otherwise it is the axis's 其他 (C99).
func (t *Taxonomy) Propose(category, text string) Coding {
	k := normalize(text)
	c := Coding{
		Channel:  t.matchers[Channel].best(k),
		Business: t.matchers[Business].best(k),
	}
	if code, ok := t.categories[category]; ok && code != t.Other(Reason) {
		c.Reason = code
	} else if code := t.matchers[Reason].best(k); code != "" {
		c.Reason = code
	} else {
		c.Reason = t.Other(Reason)
	}
	return c
}

// matcher finds an axis's words in a text.
type matcher struct {
	words  []matchWord // longest first
	leaves []*node
}

type matchWord struct {
	text  string
	ascii bool    // Latin letters: matched as a whole word
	nodes []*node // every node that lists the word
}

func newMatcher(a *axis) *matcher {
	m := &matcher{leaves: a.leaves}
	index := map[string]int{}
	var walk func([]*node)
	walk = func(nodes []*node) {
		for _, n := range nodes {
			for _, w := range n.Words {
				i, ok := index[w]
				if !ok {
					i = len(m.words)
					index[w] = i
					m.words = append(m.words, matchWord{text: w, ascii: isASCIIWord(w)})
				}
				m.words[i].nodes = append(m.words[i].nodes, n)
			}
			walk(n.children)
		}
	}
	walk(a.roots)
	slices.SortStableFunc(m.words, func(x, y matchWord) int {
		return cmp.Compare(utf8.RuneCountInString(y.text), utf8.RuneCountInString(x.text))
	})
	return m
}

// occurrence is one word found in the text, at bytes [start, end).
type occurrence struct {
	start, end int
	word       *matchWord
}

// best is the one leaf the words found in k point to most (each distinct word found counts once for
// every leaf on or below the node that lists it), or empty when no word is found or several leaves
// tie.
func (m *matcher) best(k string) string {
	if k == "" {
		return ""
	}
	var occ []occurrence
	for i := range m.words {
		w := &m.words[i]
		for from := 0; from < len(k); {
			j := strings.Index(k[from:], w.text)
			if j < 0 {
				break
			}
			start := from + j
			end := start + len(w.text)
			if !w.ascii || (!asciiAlnumAt(k, start-1) && !asciiAlnumAt(k, end)) {
				occ = append(occ, occurrence{start: start, end: end, word: w})
			}
			from = end
		}
	}
	if len(occ) == 0 {
		return ""
	}
	var counted []*matchWord
	seen := map[*matchWord]bool{}
	for _, o := range occ {
		if !seen[o.word] && !covered(o, occ) {
			seen[o.word] = true
			counted = append(counted, o.word)
		}
	}
	best, bestScore, tie := "", 0, false
	for _, leaf := range m.leaves {
		score := 0
		for _, w := range counted {
			if w.points(leaf) {
				score++
			}
		}
		switch {
		case score == 0 || score < bestScore:
		case score > bestScore:
			best, bestScore, tie = leaf.Code, score, false
		default:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// points reports whether the word is listed on leaf or on one of its ancestors.
func (w *matchWord) points(leaf *node) bool {
	for _, n := range w.nodes {
		if leaf.isUnder(n) {
			return true
		}
	}
	return false
}

// covered reports whether o is part of a longer word found around it that either points elsewhere
// (柜员 inside 柜员机: the text is about a machine, not a 柜员) or says the same (盗刷 inside 被盗刷:
// one piece of evidence, counted once). A longer word that points below o's nodes (办信用卡 around
// 信用卡) leaves o counting.
func covered(o occurrence, all []occurrence) bool {
	for _, p := range all {
		if p.end-p.start <= o.end-o.start || p.start > o.start || p.end < o.end {
			continue
		}
		if !below(p.word.nodes, o.word.nodes) || subset(o.word.nodes, p.word.nodes) {
			return true
		}
	}
	return false
}

// below reports whether one of longer's nodes is one of shorter's nodes or below one.
func below(longer, shorter []*node) bool {
	for _, l := range longer {
		for _, s := range shorter {
			if l.isUnder(s) {
				return true
			}
		}
	}
	return false
}

// subset reports whether every node of a is in b.
func subset(a, b []*node) bool {
	for _, n := range a {
		if !slices.Contains(b, n) {
			return false
		}
	}
	return true
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiAlnumAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	return isASCIIAlnum(rune(s[i]))
}

// normalize is text as words are matched in it, as the flow engine reads messages: half-width,
// simplified, lower case, without white space, punctuation or symbols ("ＡＴＭ 吞卡！" → "atm吞卡"),
// except one space kept between two Latin words ("apple pay").
func normalize(s string) string {
	s = textnorm.Simplified(textnorm.HalfWidth(s))
	var b strings.Builder
	var last rune
	gap := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Cf, r) {
			gap = true
			continue
		}
		if gap && isASCIIAlnum(last) && isASCIIAlnum(r) {
			b.WriteByte(' ')
		}
		gap = false
		last = r
		b.WriteRune(r)
	}
	return b.String()
}

func isASCIIAlnum(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }
