package flows

import (
	"strings"
	"time"

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
	case len(wanted) == 1 && wanted[0] == complaintbot.KindSuggestion && d.praiseBefore(k):
		return complaintbot.KindPraise, true // "李经理特别好，…建议其他网点也学学": praise, with a wish
	case wanted[0] == complaintbot.KindComplaint || len(wanted) == 1:
		return wanted[0], true
	}
	return "", false
}

// otherKindTold returns the kind a message (key k) tells in its words when it denies the current
// kind by name: exactly one other kind's story words, none of the current's besides its name.
func (d *Definition) otherKindTold(k string, current complaintbot.Kind) (complaintbot.Kind, bool) {
	denied := false
	for _, name := range d.u.kindNames[current] {
		denied = denied || d.mentions(k, name, true)
	}
	if !denied {
		return "", false
	}
	var told []complaintbot.Kind
	if current != complaintbot.KindSuggestion && d.u.suggestStory.in(k) {
		told = append(told, complaintbot.KindSuggestion)
	}
	if current != complaintbot.KindPraise && d.u.praiseStory.in(k) {
		told = append(told, complaintbot.KindPraise)
	}
	if len(told) != 1 {
		return "", false
	}
	return told[0], true
}

// praiseBefore reports whether a message praises someone (the praise kind's story words, no
// complaint's) before it first names a suggestion.
func (d *Definition) praiseBefore(k string) bool {
	first := len(k)
	for _, name := range d.u.kindNames[complaintbot.KindSuggestion] {
		if i := strings.Index(k, name); i >= 0 {
			first = min(first, i)
		}
	}
	before := k[:first]
	return d.u.praiseStory.in(before) && !d.u.complaintStory.in(before) && !d.u.insults.in(before)
}

// mentions reports whether k holds a kind name that no negation precedes; with negated, whether
// it holds one that a negation precedes.
func (d *Definition) mentions(k, name string, negated bool) bool {
	return d.mention(k, name, 0, negated) >= 0
}

// mention returns where k holds word at or after from, the first time no negation precedes it
// (with negated: the first time one does); -1 when it does not.
func (d *Definition) mention(k, word string, from int, negated bool) int {
	if word == "" {
		return -1
	}
	for off := from; off <= len(k); {
		i := strings.Index(k[off:], word)
		if i < 0 {
			return -1
		}
		if d.negated(k, off+i) == negated {
			return off + i
		}
		off += i + len(word)
	}
	return -1
}

// withoutKindClauses is a message (as written) without its clauses that name a kind ("其实也不算投诉",
// "就是提个建议"): what it says besides wanting another kind.
func (d *Definition) withoutKindClauses(orig string) string {
	var keep []string
	for _, c := range clauses(orig) {
		k := key(d.normalize(c))
		named := false
		for _, kind := range kindOrder {
			named = named || d.u.kindNames[kind].in(k)
		}
		// "就是建议手机银行加个大字版" names a kind and says what it is about: kept.
		if !named || d.content(d.normalize(c)) >= d.file.Understanding.DescContent {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, "，")
}

// switchTo returns the kind a message asks to change to mid-way: one that negates the current kind
// ("我不是提建议，我是要投诉"), or a short wish for another kind and nothing else ("其实我是想表扬",
// "改成建议"); with fresh (nothing answered yet) or after a correction ("不对不对"), also such a wish
// followed by the story ("我是想表扬，城东支行的王经理…"). A story that merely contains a kind's word
// ("建议你们加强培训") is not a switch.
func (d *Definition) switchTo(n string, current complaintbot.Kind, fresh bool) (complaintbot.Kind, bool) {
	k := key(n)
	if w, ok := d.kindWord(n); ok && w != current && runes(k) > 1 { // "我要投诉" (not a bare "2")
		return w, true
	}
	target, ok := d.intent(n)
	if !ok || target == current {
		if w, ok := d.otherKindTold(k, current); ok {
			return w, true // "也不是投诉 就是觉得可以改改…": the kind denied, another's words
		}
		return "", false
	}
	for _, name := range d.u.kindNames[current] {
		if d.mentions(k, name, true) {
			return target, true
		}
	}
	// "其实说是建议，我就是想投诉。上周五…": the kind held named, then the one wanted — a switch,
	// however much story follows.
	namesHeld := false
	for _, name := range d.u.kindNames[current] {
		namesHeld = namesHeld || d.mentions(k, name, false)
	}
	for _, p := range d.u.switchPrefixes {
		for _, name := range d.u.kindNames[target] {
			for _, mid := range append([]string{""}, d.u.switchFillers...) {
				if i := strings.Index(k, p+mid+name); i >= 0 {
					rest := d.u.correction.strip(k[:i] + " " + k[i+len(p+mid+name):])
					if d.content(rest) < d.file.Understanding.DescContent || fresh || d.u.correction.in(k[:i]) || (namesHeld && mid == "") {
						return target, true
					}
				}
			}
		}
	}
	// "提个建议吧 能不能有几个网点周六周日全天开…": a message that opens with another kind's
	// name, alone in its clause, says what the rest is.
	if cs := clauses(n); len(cs) > 1 {
		first := strings.TrimRightFunc(cs[0], func(r rune) bool { return strings.ContainsRune(d.u.function, r) })
		if w, ok := d.kindWord(first); ok && w == target && runes(key(first)) > 1 {
			return target, true
		}
	}
	return "", false
}

// storyKind decides what an opening story is: the kind it asks for in words ("我要投诉", "我有个
// 建议"), else a complaint when it has a complaint word or an insult (complaints win over the
// polite "谢谢" at their end), else praise, else a suggestion when it has a suggestion's words and
// no request word, no wish to stop (understanding.stop_wishes: "能不能别发了") and no day of an
// incident (now is the time of the message), else a complaint when it has a complaint category's
// words or a request ("能不能别再发了"), else a suggestion, else a complaint when it tells something
// gone wrong (understanding.problem_words) and is no question. clear is false otherwise.
func (d *Definition) storyKind(story string, now time.Time) (kind complaintbot.Kind, clear bool) {
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
	case says(d.u.suggestStory) && !d.u.request.in(k) && !d.u.stopWishes.in(k) && !d.dated(story, now):
		return complaintbot.KindSuggestion, true // "排号机能不能搞个语音播报": a machine named, nothing wrong with it
	case len(d.categoryCandidates(complaintbot.KindComplaint, story)) > 0 || d.u.request.in(k) || d.u.stopWishes.in(k) || d.dated(story, now):
		// A complaint category's words ("保安凶我"), a request ("要求道歉"), a wish that something
		// stop ("能不能别让你们的人再给我打电话了"), or something that happened on a day
		// ("昨天下午去补卡，说要等七个工作日，能不能快一点").
		return complaintbot.KindComplaint, true
	case says(d.u.suggestStory):
		return complaintbot.KindSuggestion, true
	case !d.question(story) && !d.u.meta.in(k) && d.u.problem.in(k) && d.content(story) >= d.file.Understanding.StoryContent:
		// Something gone wrong, in no kind's words ("信用卡账单上多了一笔我不认识的消费"): to a
		// complaints window, a complaint; the read-back shows the kind to be put right. An
		// errand ("我想办一张信用卡") is asked its kind.
		return complaintbot.KindComplaint, true
	}
	return "", false
}

// urgentCategory is the index of the complaint category the message's money-at-risk matter points
// to (urgent[].category), -1 for none.
func (t *turn) urgentCategory() int {
	if t.urgent < 0 || t.st.Draft == nil || t.st.Draft.Kind != complaintbot.KindComplaint {
		return -1
	}
	if code := t.d.file.Urgent[t.urgent].Category; code != "" {
		for i, c := range t.d.file.Categories[string(complaintbot.KindComplaint)] {
			if c.Code == code {
				return i
			}
		}
	}
	return -1
}

// urgentNoBranch reports whether this message's money at risk concerns no branch unless one is
// named (urgent entries with no_branch: a card lost in the street).
func (t *turn) urgentNoBranch() bool {
	return t.urgent >= 0 && t.d.file.Urgent[t.urgent].NoBranch
}

// urgentCategoryCode is the category code an urgent entry points to, "" for none.
func (d *Definition) urgentCategoryCode(code string) string {
	for _, g := range d.file.Urgent {
		if g.Code == code && code != "" {
			return g.Category
		}
	}
	return ""
}

// dated reports whether a story names the day (or the period) something happened.
func (d *Definition) dated(story string, now time.Time) bool {
	w, ok := d.findWhen(story, now)
	return ok && w.precision != complaintbot.OccurredUnknown
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
	orig := t.orig
	t.orig = story // the story may be pieces of several messages ("我要求退钱" then the rest)
	h := t.scan(n)
	t.orig = orig
	if h.branch == nil && t.context != "" {
		// "城东支行周日开门吗" then "上周日去了没开": the branch of the question just before.
		if b, ok := t.d.findBranch(t.d.normalize(t.context)); ok {
			h.branch = &b
		}
	}
	filled, _ := t.absorb(h, story, "", false)
	for _, s := range t.d.kind(draft.Kind).Steps {
		if st.Answered(s.Field) {
			draft.Prefilled = append(draft.Prefilled, s.Field)
		}
	}
	if !st.Answered(complaintbot.FieldDescription) && t.d.content(n) > 0 && t.d.kind(draft.Kind).step(complaintbot.FieldDescription) != nil {
		st.Piece = story
	}
	if len(filled) > 0 {
		t.add(fill(t.msgs().Prefilled, "items", strings.Join(filled, "、")))
	}
}
