package flows

import (
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// intent returns the kind a message says the customer wants ("我有个建议", "我不是提建议，我是要
// 投诉"): the kind names it holds that no negation precedes; a complaint wins over the others.
func (d *Definition) intent(n string) (complaintbot.Kind, bool) {
	k := key(n)
	var wanted []complaintbot.Kind
	for _, kind := range kindOrder {
		for _, name := range d.u.kindNames[kind] {
			if d.mentions(k, name, false) {
				wanted = append(wanted, kind)
				break
			}
		}
	}
	switch {
	case len(wanted) == 0:
		return "", false
	case wanted[0] == complaintbot.KindComplaint || len(wanted) == 1:
		return wanted[0], true
	}
	return "", false
}

// mentions reports whether k holds a kind name that no negation precedes; with negated, whether
// it holds one that a negation precedes.
func (d *Definition) mentions(k, name string, negated bool) bool {
	for off := 0; ; {
		i := strings.Index(k[off:], name)
		if i < 0 {
			return false
		}
		if d.negated(k, off+i) == negated {
			return true
		}
		off += i + len(name)
	}
}

// switchTo returns the kind a message asks to change to mid-way: one that negates the current kind
// ("我不是提建议，我是要投诉"), or a short wish for another kind and nothing else ("其实我是想表扬",
// "改成建议"). A story that merely contains a kind's word ("建议你们加强培训") is not a switch.
func (d *Definition) switchTo(n string, current complaintbot.Kind) (complaintbot.Kind, bool) {
	k := key(n)
	if w, ok := d.kindWord(n); ok && w != current && runes(k) > 1 { // "我要投诉" (not a bare "2")
		return w, true
	}
	target, ok := d.intent(n)
	if !ok || target == current {
		return "", false
	}
	for _, name := range d.u.kindNames[current] {
		if d.mentions(k, name, true) {
			return target, true
		}
	}
	for _, p := range d.u.switchPrefixes {
		for _, name := range d.u.kindNames[target] {
			for _, mid := range d.u.switchFillers {
				if i := strings.Index(k, p+mid+name); i >= 0 {
					rest := d.u.correction.strip(k[:i] + " " + k[i+len(p+mid+name):])
					if d.content(rest) < d.file.Understanding.DescContent {
						return target, true
					}
				}
			}
		}
	}
	return "", false
}

// storyKind decides what an opening story is: the kind it asks for in words ("我要投诉", "我有个
// 建议"), else a complaint when it has a complaint word or an insult (complaints win over the
// polite "谢谢" at their end), else praise, else a complaint when it has a complaint category's
// words or a request ("能不能别再发了"), else a suggestion. clear is false when no kind's words occur.
func (d *Definition) storyKind(story string) (kind complaintbot.Kind, clear bool) {
	if kind, ok := d.intent(story); ok {
		return kind, true
	}
	k := key(story)
	if d.u.complaintStory.in(k) || d.u.insults.in(k) {
		return complaintbot.KindComplaint, true
	}
	calm := d.u.insults.strip(k) // "还能不能行" is anger, not a suggestion
	says := func(ws words) bool {
		for _, w := range ws {
			if i := strings.Index(calm, w); i >= 0 && !d.negated(calm, i) {
				return true
			}
		}
		return false
	}
	switch {
	case says(d.u.praiseStory):
		return complaintbot.KindPraise, true
	case len(d.categoryCandidates(complaintbot.KindComplaint, story)) > 0 || d.u.request.in(k):
		return complaintbot.KindComplaint, true // a complaint category's words ("保安凶我"), a request ("要求道歉")
	case says(d.u.suggestStory):
		return complaintbot.KindSuggestion, true
	}
	return "", false
}

// incident reports whether an unclear story names a branch or a time: something happened there,
// and on this account that is most likely a complaint.
func (t *turn) incident(story string) bool {
	if _, ok := t.d.findBranch(story); ok {
		return true
	}
	_, ok := t.d.findWhen(story, t.now)
	return ok
}

// prefill takes from the opening story every field it clearly contains, marks them answered and
// lists them in Draft.Prefilled, and tells the customer what was noted. A story too thin to be the
// description is kept as its first piece.
func (t *turn) prefill(story string) {
	st := t.st
	draft := st.Draft
	n := t.d.normalize(story)
	h := t.scan(n)
	if h.category < 0 && t.urgent >= 0 {
		// Money at risk points to its category when the story names none, or names it among others.
		if code := t.d.file.Urgent[t.urgent].Category; code != "" && draft.Kind == complaintbot.KindComplaint {
			for i, c := range t.d.file.Categories[string(draft.Kind)] {
				if c.Code == code && (len(h.candidates) == 0 || slices.Contains(h.candidates, i)) {
					h.category, h.candidates = i, nil
				}
			}
		}
	}
	if h.branch == nil && t.context != "" {
		// "城东支行周日开门吗" then "上周日去了没开": the branch of the question just before.
		if b, ok := t.d.findBranch(t.d.normalize(t.context)); ok {
			h.branch = &b
		}
	}
	filled, _ := t.absorb(h, story, "", false)
	for _, s := range t.d.kind(draft.Kind).Steps {
		if st.done(s.Field) {
			draft.Prefilled = append(draft.Prefilled, s.Field)
		}
	}
	if !st.done(complaintbot.FieldDescription) && t.d.content(n) > 0 && t.d.kind(draft.Kind).step(complaintbot.FieldDescription) != nil {
		st.Piece = story
	}
	if len(filled) > 0 {
		t.add(fill(t.msgs().Prefilled, "items", strings.Join(filled, "、")))
	}
}
