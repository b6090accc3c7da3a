package flows

import (
	"strings"

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
	return false, d.branchesIn(k, true)
}

// findBranch looks for exactly one branch named inside a story.
func (d *Definition) findBranch(story string) (complaintbot.Branch, bool) {
	found := d.branchesIn(key(story), false)
	if len(found) != 1 {
		return complaintbot.Branch{}, false
	}
	return found[0], true
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
	var out []complaintbot.Branch
	for i, b := range d.file.Branches {
		if keep[i] {
			out = append(out, copyBranch(b))
		}
	}
	return out
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
