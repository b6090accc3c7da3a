package flows

import (
	"github.com/complaintbot/complaintbot"
)

// categorySwitch reads a customer changing their mind about the category in a later message
// ("其实也不是收费的事，是那个柜员态度太差", "主要不是排队的事，是…系统坏了"): the message names
// the draft's category after a negation, and then another category's word. It returns the index
// of that other category (the first named after the negation), or -1.
func (d *Definition) categorySwitch(kind complaintbot.Kind, n, current string) int {
	k := key(n)
	cats := d.file.Categories[string(kind)]
	rejected := -1 // where the current category is negated first
	for _, c := range cats {
		if c.Code != current {
			continue
		}
		for _, w := range d.plainKeywords(c) {
			if at := d.mention(k, w, 0, true); at >= 0 && (rejected < 0 || at < rejected) {
				rejected = at
			}
		}
	}
	if rejected < 0 {
		return -1
	}
	best, bestAt := -1, len(k)
	for i, c := range cats[:len(cats)-1] { // 其他 is not a change of mind
		if c.Code == current {
			continue
		}
		for _, w := range d.plainKeywords(c) {
			if at := d.mention(k, w, rejected, false); at >= 0 && at < bestAt {
				best, bestAt = i, at
			}
		}
	}
	return best
}

// plainKeywords are the category's keywords as found in a message's key, without those matched
// with gaps (keywordGaps).
func (d *Definition) plainKeywords(c categoryDef) []string {
	var out []string
	for _, kw := range c.keys {
		if kw != "" {
			out = append(out, kw)
		}
	}
	return out
}

// categoryNamed returns the category a whole message names ("服务态度", "收费不合理"), by its
// name or the customer's words for it exactly, or -1: the customer naming the category at
// another question, after the bot guessed it.
func (t *turn) categoryNamed(n string) int {
	k := key(n)
	if k == "" {
		return -1
	}
	return exactChoice(k, t.choiceNames())
}
