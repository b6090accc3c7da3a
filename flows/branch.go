package flows

import (
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"

	"github.com/complaintbot/complaintbot"
)

// branchSuffixes are dropped to get a branch's core name: 城东支行 → 城东.
var branchSuffixes = []string{"营业网点", "营业厅", "营业所", "支行", "分行", "网点", "的"}

// core strips the generic suffixes from a matching key; it returns "" when less than two
// characters would remain.
func core(k string) string {
	for changed := true; changed; {
		changed = false
		for _, s := range branchSuffixes {
			if strings.HasSuffix(k, s) {
				k, changed = strings.TrimSuffix(k, s), true
			}
		}
	}
	if runes(k) < 2 {
		return ""
	}
	return k
}

// branchKeys are the strings a branch is known by: name, aliases and their cores.
func branchKeys(b complaintbot.Branch) []string {
	var keys []string
	for _, n := range append([]string{b.Name}, b.Aliases...) {
		k := key(n)
		keys = append(keys, k)
		if c := core(k); c != "" && c != k {
			keys = append(keys, c)
		}
	}
	return keys
}

// isNoBranch reports whether an answer means "no particular branch".
func (d *Definition) isNoBranch(text string) bool {
	k := key(text)
	for _, w := range d.file.NoBranch.Words {
		if key(w) == k {
			return true
		}
	}
	if d.u != nil && d.u.noBranchUnrelated.in(k) && len(d.branchesIn(k, false)) == 0 {
		return true // "不是哪个网点的问题吧，应该是你们统一扣的"
	}
	return k == key(d.file.NoBranch.Name)
}

// matchBranch reads an answer naming a branch. none means the customer said no branch is
// concerned. Otherwise found holds every branch the answer may mean, in file order: one for an
// exact or unambiguous answer ("城东支行", "人民路网点", "高新"), several for an ambiguous one
// ("城东"), none when nothing fits. Names and aliases are compared both ways: the answer may
// contain the name, or the name the answer.
func (d *Definition) matchBranch(text string) (none bool, found []complaintbot.Branch) {
	if d.isNoBranch(text) {
		return true, nil
	}
	k := key(text)
	if k == "" {
		return false, nil
	}
	for _, b := range d.file.Branches {
		for _, n := range append([]string{b.Name}, b.Aliases...) {
			if key(n) == k {
				return false, []complaintbot.Branch{b}
			}
		}
	}
	// A short name that is exactly one branch's core ("城东" for 城东支行, "城东的网点") means that
	// branch, even when a longer name also contains it (城东新区支行).
	if kc := core(k); kc != "" {
		var exact []complaintbot.Branch
		for _, b := range d.file.Branches {
			for _, n := range append([]string{b.Name}, b.Aliases...) {
				if core(key(n)) == kc {
					exact = append(exact, b)
					break
				}
			}
		}
		if len(exact) == 1 {
			return false, exact
		}
	}
	if found := d.unnegated(k, d.branchesIn(k, true)); len(found) > 0 {
		return false, found
	}
	if found := d.branchesBySound(k, true); len(found) > 0 {
		return false, found
	}
	if found := d.branchesBySpelling(text); len(found) > 0 {
		return false, found
	}
	// "手机银行转的": no branch is concerned.
	return d.u != nil && d.u.noBranchStory.in(k), nil
}

// findBranch looks for exactly one branch named inside a story; a branch named after a negation
// ("是人民广场支行，不是人民路") does not count when another is named.
func (d *Definition) findBranch(story string) (complaintbot.Branch, bool) {
	found := d.unnegated(key(story), d.branchesIn(key(story), false))
	if len(found) == 0 {
		found = d.branchesBySound(key(story), false)
	}
	if len(found) == 0 {
		found = d.branchesBySpelling(story)
	}
	if len(found) != 1 {
		return complaintbot.Branch{}, false
	}
	return found[0], true
}

// unnegated drops, from several branches found in k, those named only after a negation ("不是人民路").
func (d *Definition) unnegated(k string, found []complaintbot.Branch) []complaintbot.Branch {
	if len(found) < 2 || d.u == nil {
		return found
	}
	var out []complaintbot.Branch
	for _, b := range found {
		plain := false
		for _, bk := range branchKeys(b) {
			for off := 0; !plain; {
				i := strings.Index(k[off:], bk)
				if i < 0 {
					break
				}
				plain = !d.negated(k, off+i)
				off += i + len(bk)
			}
		}
		if plain {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return found
	}
	return out
}

// branchesIn returns the branches whose keys occur in k — dropping a branch whose key is only
// part of a longer key that also occurs ("城东" inside "城东新区支行") — and, when both is set,
// those whose keys contain k's core.
func (d *Definition) branchesIn(k string, both bool) []complaintbot.Branch {
	type hit struct {
		branch int
		key    string // the key found inside k; "" for a hit the other way round
	}
	var hits []hit
	kc := core(k)
	for i, b := range d.file.Branches {
		for _, bk := range branchKeys(b) {
			if runes(bk) >= 2 && strings.Contains(k, bk) {
				hits = append(hits, hit{i, bk})
			}
			if both && kc != "" && strings.Contains(bk, kc) {
				hits = append(hits, hit{i, ""})
			}
		}
	}
	keep := map[int]bool{}
	for _, h := range hits {
		subsumed := false
		for _, o := range hits {
			if h.key != "" && o.branch != h.branch && len(o.key) > len(h.key) && strings.Contains(o.key, h.key) {
				subsumed = true
				break
			}
		}
		if !subsumed {
			keep[h.branch] = true
		}
	}
	return d.keptBranches(keep)
}

// branchByCode returns a branch of the list, or the no-branch entry.
func (d *Definition) branchByCode(code string) (complaintbot.Branch, bool) {
	if code == complaintbot.NoBranchCode {
		return d.noBranch(), true
	}
	for _, b := range d.file.Branches {
		if b.Code == code {
			return copyBranch(b), true
		}
	}
	return complaintbot.Branch{}, false
}

// branchSound is one name of a branch (its name, an alias or their core) with the readings of
// each of its characters, for names typed by sound (城冬 for 城东, 成西 for 城西).
type branchSound struct {
	branch   int
	runes    []rune
	sounds   [][]string // toneless pinyin readings of each character, every reading of a heteronym
	fuzzy    [][]string // the same, folded by fuzzySyllable
	suffixed bool       // the name already ends with a branch suffix (城东支行)
	spelled  []string   // the name written in pinyin without tones or spaces ("chengdong"), each reading
}

// pinyinArgs reads every reading of a character without tones.
var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Heteronym = true
	a.Fallback = func(rune, pinyin.Args) []string { return nil }
	return a
}()

// readings returns the toneless pinyin readings of one character, nil for a non-Han one.
func readings(r rune) []string {
	if !unicode.Is(unicode.Han, r) {
		return nil
	}
	return pinyin.SinglePinyin(r, pinyinArgs)
}

// indexSounds reads the branch names by sound once, when the definition is loaded.
func (d *Definition) indexSounds() {
	d.sounds = nil
	for i, b := range d.file.Branches {
		for _, k := range branchKeys(b) {
			r := []rune(k)
			if len(r) < 2 {
				continue
			}
			s := branchSound{branch: i, runes: r}
			han := true
			for _, c := range r {
				rd := readings(c)
				if rd == nil {
					han = false
					break
				}
				s.sounds = append(s.sounds, rd)
				s.fuzzy = append(s.fuzzy, fuzzyAll(rd))
			}
			if !han {
				continue
			}
			s.spelled = spellings(s.sounds)
			for _, suf := range append(slices.Clip(branchSuffixes), "营业部") { // "营叶部的柜员": a name that is itself a suffix
				if len([]rune(suf)) >= 2 && strings.HasSuffix(k, suf) {
					s.suffixed = true
				}
			}
			d.sounds = append(d.sounds, s)
		}
	}
}

// spellings writes a name's readings one after the other, every combination of a heteronym's
// readings (at most 16).
func spellings(sounds [][]string) []string {
	out := []string{""}
	for _, rd := range sounds {
		var next []string
		for _, p := range out {
			for _, r := range rd {
				if len(next) < 16 {
					next = append(next, p+r)
				}
			}
		}
		out = next
	}
	return out
}

// latinWordRe is a word in Latin letters.
var latinWordRe = regexp.MustCompile(`[A-Za-z]+`)

// branchesBySpelling returns the branches a text names in pinyin ("chengdong", "Cheng Xi
// zhihang", "renminlu"): one to four Latin words in a row that spell a name, an alias or their
// core, perhaps followed by "zhihang".
func (d *Definition) branchesBySpelling(text string) []complaintbot.Branch {
	ws := latinWordRe.FindAllString(strings.ToLower(text), -1)
	if len(ws) == 0 {
		return nil
	}
	keep := map[int]bool{}
	for i := range ws {
		joined := ""
		for j := i; j < len(ws) && j < i+4; j++ {
			joined += ws[j]
			w := strings.TrimSuffix(joined, "zhihang")
			if len(w) < 4 {
				continue
			}
			for _, s := range d.sounds {
				if slices.Contains(s.spelled, w) {
					keep[s.branch] = true
				}
			}
		}
	}
	return d.keptBranches(keep)
}

// fuzzySyllable folds the sounds input methods and accents confuse (zh/z, ch/c, sh/s, n/l,
// -ing/-in, -eng/-en, -ang/-an), so that 人明 matches 人民.
func fuzzySyllable(s string) string {
	for _, p := range [][2]string{{"zh", "z"}, {"ch", "c"}, {"sh", "s"}} {
		if strings.HasPrefix(s, p[0]) {
			s = p[1] + s[len(p[0]):]
			break
		}
	}
	if strings.HasPrefix(s, "l") {
		s = "n" + s[1:]
	}
	for _, p := range [][2]string{{"ing", "in"}, {"eng", "en"}, {"ang", "an"}} {
		if strings.HasSuffix(s, p[0]) {
			s = s[:len(s)-len(p[0])] + p[1]
			break
		}
	}
	return s
}

// fuzzyAll folds every reading of a character.
func fuzzyAll(rd []string) []string {
	out := make([]string, len(rd))
	for i, r := range rd {
		out[i] = fuzzySyllable(r)
	}
	return out
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// soundOf compares one typed character (with its readings) with one of a name: 0 the same character, 1 the same
// sound (a homophone), 2 a near sound (fuzzy pinyin, or one letter apart in a syllable of three
// letters or more), 3 different.
func soundOf(typed rune, got, gotFuzzy []string, want rune, wantSounds, wantFuzzy []string) int {
	if typed == want {
		return 0
	}
	near := false
	for i, g := range got {
		for j, w := range wantSounds {
			switch {
			case g == w:
				return 1
			case gotFuzzy[i] == wantFuzzy[j] || (len(w) >= 3 && len(g) >= 3 && editDistance(g, w) == 1):
				near = true
			}
		}
	}
	if near {
		return 2
	}
	return 3
}

// branchesBySound returns the branches whose names k holds typed by sound: every character the
// same or a homophone, at most one a near sound, at least one the very character. In a story
// (answer false) the name must be followed by a branch suffix (支行, 网点 …) unless it has one; in
// an answer to the branch question it may also end the answer.
func (d *Definition) branchesBySound(k string, answer bool) []complaintbot.Branch {
	r := []rune(k)
	heard := make([][]string, len(r)) // each typed character's readings, looked up once
	heardFuzzy := make([][]string, len(r))
	for i, c := range r {
		heard[i] = readings(c)
		heardFuzzy[i] = fuzzyAll(heard[i])
	}
	type hit struct{ branch, start, end int }
	var hits []hit
	for _, s := range d.sounds {
		n := len(s.runes)
		for i := 0; i+n <= len(r); i++ {
			same, near, ok := 0, 0, true
			for j := 0; j < n && ok; j++ {
				switch soundOf(r[i+j], heard[i+j], heardFuzzy[i+j], s.runes[j], s.sounds[j], s.fuzzy[j]) {
				case 0:
					same++
				case 2:
					near++
				case 3:
					ok = false
				}
			}
			if !ok || same == 0 || same == n || near > 1 {
				continue
			}
			rest := string(r[i+n:])
			followed := s.suffixed || (answer && rest == "")
			for _, suf := range d.u.branchSuffixes {
				followed = followed || strings.HasPrefix(rest, suf)
			}
			if followed {
				hits = append(hits, hit{s.branch, i, i + n})
			}
		}
	}
	keep := map[int]bool{}
	for _, h := range hits {
		inside := false
		for _, o := range hits {
			if o.branch != h.branch && o.start <= h.start && o.end >= h.end && o.end-o.start > h.end-h.start {
				inside = true
			}
		}
		if !inside {
			keep[h.branch] = true
		}
	}
	return d.keptBranches(keep)
}

// keptBranches returns copies of the branches whose indexes are in keep, in the flow file's order.
func (d *Definition) keptBranches(keep map[int]bool) []complaintbot.Branch {
	var out []complaintbot.Branch
	for i, b := range d.file.Branches {
		if keep[i] {
			out = append(out, copyBranch(b))
		}
	}
	return out
}
