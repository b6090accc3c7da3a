package flows

import (
	"iter"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
)

// clauses splits a message where the customer paused: at punctuation and spaces.
func clauses(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) })
}

// phrases splits a message like clauses, but keeps the words of an English phrase together ("need
// it back" is one wish, not three clauses).
func phrases(s string) []string {
	s = latinSpaceRe.ReplaceAllString(s, "$1\x00$2")
	s = latinSpaceRe.ReplaceAllString(s, "$1\x00$2") // overlapping pairs ("a b c")
	cs := clauses(s)
	for i, c := range cs {
		cs[i] = strings.ReplaceAll(c, "\x00", " ")
	}
	return cs
}

// latinSpaceRe is a space between two Latin letters or digits.
var latinSpaceRe = regexp.MustCompile(`([A-Za-z0-9'])\s+([A-Za-z0-9])`)

// phoneLikeRe is a run of digits as long as a phone number.
var phoneLikeRe = regexp.MustCompile(`\d{7,}`)

// intro reports whether a clause's key is the customer introducing themselves ("我是退休的老教师").
func (d *Definition) intro(k string) bool {
	for _, s := range d.u.introStarts {
		if strings.HasPrefix(k, s) && d.u.introWords.in(k[len(s):]) {
			return true
		}
	}
	return false
}

// pointsAtPicture reports whether a clause's key points at a picture ("这是你们多收我钱的凭证").
func (d *Definition) pointsAtPicture(k string) bool {
	return d.u.evidence.in(k) && d.u.evidencePoint.in(k)
}

// content counts the characters of a message that tell what happened: greetings, wanting to
// complain, a kind's name ("提个意见"), insults, judgments alone ("态度很差"), introductions,
// questions whether one may speak here, clauses pointing at a picture, branch names, times and
// phone numbers, and function characters do not count.
func (d *Definition) content(n string) int { return d.countContent(n, true) }

// told counts the content of an answer to the description question, where a judgment counts: "态度
// 不好" is kept as the first piece of the story.
func (d *Definition) told(n string) int { return d.countContent(n, false) }

func (d *Definition) countContent(n string, judged bool) int {
	u := d.u
	total := 0
	n = withoutPhoneRuns(n) // "我电话是一三九 一二三四 五六七八": read out in groups, still no story
	for _, c := range clauses(n) {
		k := key(c)
		if k == "" || d.pointsAtPicture(k) || u.meta.in(k) || d.intro(k) {
			continue
		}
		k = u.noContent.strip(k)
		if judged {
			k = u.judgments.strip(k)
		}
		k = d.stripSlots(d.stripKindNames(k))
		total += d.contentOf(strings.Fields(c), k)
	}
	return total
}

// stripKindNames removes the names of the kinds with the words said before them ("提个意见", "是要
// 投诉"): wanting something is not what happened.
func (d *Definition) stripKindNames(k string) string {
	for _, kind := range kindOrder {
		for _, name := range d.u.kindNames[kind] {
			if !strings.Contains(k, name) {
				continue
			}
			for _, f := range d.u.switchFillers[1:] {
				k = strings.ReplaceAll(k, f+name, " ")
			}
			k = strings.ReplaceAll(k, name, " ")
		}
	}
	return k
}

// contentOf counts the content characters of a reduced key: Chinese characters and digits other
// than function characters. Latin letters are read from the original words: an acronym (ATM, APP)
// counts its letters, an English word of three letters or more that is not a function word
// (understanding.function_words) counts as two characters, as a Chinese word would.
func (d *Definition) contentOf(orig []string, k string) int {
	n := 0
	for _, w := range orig {
		for _, run := range latinRunRe.FindAllString(w, -1) {
			switch l := strings.ToLower(run); {
			case len(run) >= 2 && strings.ToUpper(run) == run:
				n += len(run)
			case len(run) >= 3 && !d.u.functionWords[l]:
				n += 2
			}
		}
	}
	for _, r := range latinRunRe.ReplaceAllString(k, " ") {
		if r != ' ' && !strings.ContainsRune(d.u.function, r) {
			n++
		}
	}
	return n
}

// latinRunRe is a run of Latin letters.
var latinRunRe = regexp.MustCompile(`[A-Za-z]+`)

// stripSlots removes from a key what answers other questions: branch names, times, phone numbers,
// "don't know" and words for the time.
func (d *Definition) stripSlots(k string) string {
	for _, s := range d.sounds { // every branch key of two characters or more
		if bk := string(s.runes); strings.Contains(k, bk) {
			k = strings.ReplaceAll(k, bk, " ")
		}
	}
	for _, s := range d.u.branchSuffixes {
		k = strings.ReplaceAll(k, s, " ")
	}
	k = d.u.noBranchNames.strip(k) // "不是网点，是信用卡中心" answers the branch question
	k = cnNumerals(k)
	k = phoneLikeRe.ReplaceAllString(k, " ")
	k = agoRe.ReplaceAllString(k, " ")
	k = dateRe.ReplaceAllString(k, " ")
	k = approxRe.ReplaceAllString(k, " ")
	k = clockRe.ReplaceAllString(k, " ")
	k = periodRe.ReplaceAllString(k, " ")
	k = d.u.dontKnow.strip(k)
	k = d.u.timeWords.strip(k)
	return k
}

// hits is what one message says about the questions of the draft's kind.
type hits struct {
	category   int   // index among the kind's categories; -1 when none or several fit
	candidates []int // the categories that fit, when several do
	branch     *complaintbot.Branch
	forgotten  bool // the customer does not remember the branch ("不记得是哪个支行了")
	when       *when
	future     *when // a moment named that has not come yet ("今天上午十点" said at 3 a.m.)
	phone      string
	noPhone    bool // the customer will not leave a phone ("我没手机号，不留了")
	person     string
	request    string
	story      bool // the message tells (part of) what happened
}

// scan reads everything a message says that the draft's kind asks about.
func (t *turn) scan(n string) hits {
	d, kind := t.d, t.st.Draft.Kind
	h := hits{category: -1}
	k := key(n)
	for i := range d.kind(kind).Steps {
		s := &d.kind(kind).Steps[i]
		switch s.Type {
		case stepChoice:
			cn := n
			if t.st.Step == stepReadback {
				cn = d.u.correction.strip(key(n)) // "时间写错了，是周四": a correction, not 写错 (staff's mistake)
			}
			h.candidates = d.categoryCandidates(kind, cn)
			if len(h.candidates) == 1 {
				h.category, h.candidates = h.candidates[0], nil
			}
			if i := t.urgentCategory(); i >= 0 {
				// Money at risk is what the complaint is about, wherever it happened ("在ATM取钱，卡被调包").
				h.category, h.candidates = i, nil
			} else if h.category < 0 && len(h.candidates) == 0 {
				if i := t.likelyStoryCategory(n); i >= 0 {
					// A story in words no category lists: the category its customers' stories
					// most resemble, a guess shown at the read-back (and looked at again once
					// the whole story is in: recheckCategory).
					h.category = i
				} else if t.urgent >= 0 && kind == complaintbot.KindComplaint {
					// Money at risk of no category of its own and no other words ("我的卡丢了！！"):
					// 其他, a guess the rest of the story may put right, never a question the
					// customer, busy saving their money, is trapped at.
					h.category = len(d.file.Categories[string(kind)]) - 1
				}
			}
		case stepBranch:
			if d.u.noBranchUnrelated.in(k) {
				nb := d.noBranch() // "卡是在高新区支行办的 但这次跟网点没关系"
				h.branch = &nb
			} else if b, ok := d.findBranch(n); ok && t.urgentNoBranch() && !d.namesFully(k, b) {
				nb := d.noBranch() // "在人民路那边的公交车上丢的": a street, not the branch of that name
				h.branch = &nb
			} else if ok {
				h.branch = &b
			} else if b, ok := t.correctedBranch(n); ok {
				h.branch = &b
			} else if (d.u.noBranchStory.in(k) && !d.u.atBranch.in(k) || d.u.noBranchNames.in(k) || t.urgentNoBranch()) && len(d.branchesIn(k, false)) == 0 {
				nb := d.noBranch()
				h.branch = &nb
			} else {
				h.forgotten = d.branchForgotten(n)
			}
		case stepDateTime:
			if w, p := d.scanWhen(n, t.now, true); p == dateOK {
				h.when = &w
				if o, ok := t.correctedWhen(n, w); ok {
					h.when = &o
				}
			} else if c, ok := t.clockInPeriod(n); ok {
				h.when = &c
			} else if now := t.now.In(complaintbot.Shanghai); p == dateFuture && w.dated && w.t.In(complaintbot.Shanghai).YearDay() == now.YearDay() && w.t.Year() == now.Year() {
				// Later today ("今天上午十点" said at 3 a.m.; not a bare "当天晚上"): a time meant, not yet come. A day to come
				// ("让我明天再来") is what someone said would happen, not when it happened.
				h.future = &w
			}
		case stepPhone:
			if p, ok := parsePhone(n); ok {
				h.phone = p
			} else if s.Optional && d.u.phoneRefusals.in(k) {
				h.noPhone = true
			}
		case stepText:
			switch s.Field {
			case complaintbot.FieldRequest:
				h.request = d.requestIn(t.orig)
			case complaintbot.FieldPerson:
				h.person = d.personIn(n)
			}
		}
	}
	h.story = d.content(n) >= d.file.Understanding.StoryContent
	if h.story && h.person != "" && !d.u.praiseDeeds.in(k) {
		// "必须表扬一下城东新区支行的大堂经理小刘": who is praised, not yet what they did.
		h.story = d.content(d.withoutPerson(n, h.person)) >= d.file.Understanding.StoryContent
	}
	return h
}

// withoutPerson is a message without the person it names and the titles of staff ("大堂经理",
// "柜员"): what it says besides who.
func (d *Definition) withoutPerson(n, person string) string {
	n = strings.Replace(n, person, " ", 1)
	for _, title := range d.u.titles {
		n = strings.ReplaceAll(n, title, " ")
	}
	return n
}

// namesFully reports whether a key names a branch by its whole name or an alias, not only by its
// core ("人民路支行", "人民路网点", not "人民路").
func (d *Definition) namesFully(k string, b complaintbot.Branch) bool {
	for _, n := range append([]string{b.Name}, b.Aliases...) {
		nk := key(n)
		if strings.Contains(k, nk) {
			return true
		}
		// "新区那个网点": the core, and a word for a branch a little after it.
		c := core(nk)
		for i := range occurrences(k, c) {
			if c == "" {
				break
			}
			after := firstRunes(k[i+len(c):], 5)
			if d.u.branchWords.in(after) {
				return true
			}
		}
	}
	return false
}

// firstRunes is the first n runes of s.
func firstRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// lastBranchNamed is the branch whose name (or alias, or core) a key names last, when it names
// several.
func (d *Definition) lastBranchNamed(k string) (complaintbot.Branch, bool) {
	found := d.branchesIn(k, false)
	if len(found) < 2 {
		return complaintbot.Branch{}, false
	}
	best, bestAt := -1, -1
	for i, b := range found {
		for _, name := range branchKeys(b) {
			if at := strings.LastIndex(k, name); at > bestAt {
				best, bestAt = i, at
			}
		}
	}
	if best < 0 {
		return complaintbot.Branch{}, false
	}
	return found[best], true
}

// correctedWhen is the time a correction names besides the one held, w being the first time
// read ("不是上周五 是上上周五 11月13号", "时间不对 不是周一 是周二下午"): the first clause, not
// denied, that names another.
func (t *turn) correctedWhen(n string, w when) (when, bool) {
	if !t.st.Answered(fieldOccurredAt) || !t.d.corrects(key(n)) || !t.sameWhen(t.keepPartOfDay(w)) {
		return when{}, false
	}
	var said []string
	for _, c := range clauses(n) {
		if !strings.HasPrefix(key(c), "不是") {
			said = append(said, c)
		}
	}
	// "等一下 不是前天，是周三，25号下午": what is said besides the denied, read as one time.
	if o, p := t.d.scanWhen(strings.Join(said, " "), t.now, false); p == dateOK && !t.sameWhen(t.keepPartOfDay(o)) {
		return o, true
	}
	for _, c := range said {
		if o, p := t.d.scanWhen(c, t.now, false); p == dateOK && !t.sameWhen(t.keepPartOfDay(o)) {
			return o, true
		}
	}
	return when{}, false
}

// correctedBranch is the branch a correction names besides the one held ("网点说错了 是城西 人民路
// 是我平时去的那个"): the customer changes from the one to the other.
func (t *turn) correctedBranch(n string) (complaintbot.Branch, bool) {
	held := t.st.Draft.Branch
	if !t.d.corrects(key(n)) {
		return complaintbot.Branch{}, false
	}
	if held == nil {
		// "城西支行 不对不对 我说错了 是人民广场那个支行", nothing held yet: the one named last.
		return t.d.lastBranchNamed(key(n))
	}
	var other []complaintbot.Branch
	for _, b := range t.d.branchesIn(key(n), false) {
		if b.Code != held.Code {
			other = append(other, b)
		}
	}
	if len(other) != 1 {
		return complaintbot.Branch{}, false
	}
	return other[0], true
}

// likelyStoryCategory is the category the story so far with a message (n) most likely belongs
// to (likelyCategory) when the draft has none yet and neither names any category's words; -1
// otherwise. The whole story decides, not a piece of it ("退掉保险" after a story naming two
// categories is no story of its own).
func (t *turn) likelyStoryCategory(n string) int {
	draft := t.st.Draft
	if draft.Category != nil {
		return -1
	}
	story := t.d.normalize(draft.Fields[complaintbot.FieldDescription]+"，"+t.st.Piece) + "，" + n
	if len(t.d.categoryCandidates(draft.Kind, story)) > 0 {
		return -1
	}
	return t.d.likelyCategory(draft.Kind, story)
}

// negated reports whether the word at byte offset i of k follows a negation ("不是态度问题"); a
// rhetorical question ("这不是强制搭售吗") is not one.
func (d *Definition) negated(k string, i int) bool {
	before := []rune(k[:i])
	if len(before) > 4 {
		before = before[len(before)-4:]
	}
	if !d.u.negations.in(string(before)) {
		return false
	}
	after := []rune(k[i:])
	if len(after) > 10 {
		after = after[:10]
	}
	return !strings.ContainsAny(string(after), "吗嘛")
}

// categoryCandidates returns the categories of a kind whose keywords occur in a message (not
// after a negation), in the order of the list. A keyword also matches with intensifiers left out
// of both, and function characters left out of the message ("手续太麻烦" holds 手续麻烦, "不给我办理"
// holds 不给办; "这不是" does not hold 都不是).
func (d *Definition) categoryCandidates(kind complaintbot.Kind, n string) []int {
	k := key(n)
	lk := d.loose(k)
	var out []int
	for i, c := range d.file.Categories[string(kind)] {
		if (d.anyKeyword(c, k) || d.looseKeyword(c, lk)) && !c.unless.in(k) {
			out = append(out, i)
		}
	}
	out = d.withoutSubsumed(kind, k, out)
	if last := len(d.file.Categories[string(kind)]) - 1; len(out) > 1 && out[len(out)-1] == last && !d.mostCovered(kind, k, out, last) {
		out = out[:len(out)-1] // 其他 is for what fits nothing else, unless its words say most ("替他还…天天打电话")
	} else if len(out) > 1 && out[len(out)-1] == last && d.farMostCovered(kind, k, out, last) {
		out = out[len(out)-1:] // "催收…天天打电话给我爸妈还打到我单位": collection calls, not sales calls
	} else {
		for _, i := range out {
			if len(out) > 1 && d.coveredTimes(kind, k, out, i, dominance[kind]) {
				// "跨行转账手续费…免费…在手机银行上…扣手续费": a suggestion's topic, its words say;
				// "不买他们推荐的保险贷款就批不下来…根本没这规定": bundling, far more than a rule.
				out = []int{i}
				break
			}
		}
	}
	if major := slices.DeleteFunc(slices.Clone(out), func(i int) bool {
		c := d.file.Categories[string(kind)][i]
		return c.Minor && !c.majorWith.in(k)
	}); len(major) > 0 {
		out = major // "扣了我管理费，没人告诉我": the fee, not what was not told
	}
	return out
}

// bestCategory is the one of a message's category candidates (categoryCandidates) its words
// cover most: per category, the characters its keywords cover, each occurrence counted ("办不了",
// twice, over "系统坏了" once); a tie goes to the earlier in the list. -1 when there is none.
func (d *Definition) bestCategory(kind complaintbot.Kind, n string) int {
	at := d.categoryCandidates(kind, n)
	if len(at) == 0 {
		return -1
	}
	cats := d.file.Categories[string(kind)]
	k := key(n)
	best, bestScore := at[0], -1
	for _, i := range at {
		if score := d.coverage(cats[i], k); score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// coverage is how many characters of k a category's keywords cover (those after a negation left
// out).
func (d *Definition) coverage(c categoryDef, k string) int {
	covered := make([]bool, len(k))
	for _, sp := range d.keywordSpans(c, k) {
		for b := sp[0]; b < sp[1]; b++ {
			covered[b] = true
		}
	}
	score := 0
	for j, c := range covered {
		if c && utf8.RuneStart(k[j]) {
			score++
		}
	}
	return score
}

// mostCovered reports whether category i's keywords cover more of k than those of every other
// category in at.
func (d *Definition) mostCovered(kind complaintbot.Kind, k string, at []int, i int) bool {
	cats := d.file.Categories[string(kind)]
	mine := d.coverage(cats[i], k)
	for _, j := range at {
		if j != i && d.coverage(cats[j], k) >= mine {
			return false
		}
	}
	return true
}

// farMostCovered reports whether category i's keywords cover at least twice as much of k as
// those of every other category in at.
func (d *Definition) farMostCovered(kind complaintbot.Kind, k string, at []int, i int) bool {
	return d.coveredTimes(kind, k, at, i, 2)
}

// dominance is how many times more of a message a kind's category must cover than every other
// that fits for it alone to be taken: a complaint's category is asked among the few unless one
// far outweighs them; a suggestion's topic matters less.
var dominance = map[complaintbot.Kind]int{complaintbot.KindComplaint: 3, complaintbot.KindSuggestion: 2}

// coveredTimes reports whether category i's keywords cover at least times as much of k as those
// of every other category in at (never, with times 0).
func (d *Definition) coveredTimes(kind complaintbot.Kind, k string, at []int, i, times int) bool {
	if times <= 0 {
		return false
	}
	cats := d.file.Categories[string(kind)]
	mine := d.coverage(cats[i], k)
	for _, j := range at {
		if j != i && times*d.coverage(cats[j], k) > mine {
			return false
		}
	}
	return true
}

// keywordSpans returns where a category's keywords occur in k (byte offsets), those after a
// negation left out.
func (d *Definition) keywordSpans(c categoryDef, k string) [][2]int {
	var out [][2]int
	for start, end := range d.keywordsIn(c, k) {
		out = append(out, [2]int{start, end})
	}
	return out
}

// anyKeyword reports whether one of a category's keywords occurs in k, not after a negation.
func (d *Definition) anyKeyword(c categoryDef, k string) bool {
	for range d.keywordsIn(c, k) {
		return true
	}
	return false
}

// keywordsIn yields the start and end (byte offsets in k) of each occurrence of a category's
// keywords, those after a negation left out.
func (d *Definition) keywordsIn(c categoryDef, k string) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for x, w := range c.Keywords {
			if re := d.u.keywordGaps[w]; re != nil {
				for _, loc := range re.FindAllStringIndex(k, -1) {
					if !d.negated(k, loc[0]) && !yield(loc[0], loc[1]) {
						return
					}
				}
				continue
			}
			kw := c.keys[x]
			if kw == "" {
				continue
			}
			for j := range occurrences(k, kw) {
				if !d.negated(k, j) && !yield(j, j+len(kw)) {
					return
				}
			}
		}
	}
}

// looseKeyword reports whether one of a category's keywords occurs in lk, a message's key with
// function characters left out (loose), with intensifiers left out of the keyword too ("手续太麻
// 烦" holds 手续麻烦), not after a negation.
func (d *Definition) looseKeyword(c categoryDef, lk string) bool {
	for _, lw := range c.looseKeys {
		if j := strings.Index(lk, lw); lw != "" && j >= 0 && !d.negated(lk, j) {
			return true
		}
	}
	return false
}

// withoutSubsumed leaves out of several candidates those whose every keyword occurrence lies
// inside another candidate's ("不然贷款批不下来" is the bundling's condition, not a refusal of
// its own: 批不下来 within 不然…批不下来).
func (d *Definition) withoutSubsumed(kind complaintbot.Kind, k string, at []int) []int {
	if len(at) < 2 {
		return at
	}
	cats := d.file.Categories[string(kind)]
	spans := make([][][2]int, len(at))
	for x, i := range at {
		spans[x] = d.keywordSpans(cats[i], k)
	}
	covers := func(a, b [][2]int) bool { // every occurrence in a lies inside one in b
		for _, sp := range a {
			if !slices.ContainsFunc(b, func(o [2]int) bool { return o[0] <= sp[0] && sp[1] <= o[1] }) {
				return false
			}
		}
		return true
	}
	var out []int
	for x, i := range at {
		subsumed := false
		for y := range at {
			// Two categories matching the very same words both stay.
			if y != x && len(spans[x]) > 0 && covers(spans[x], spans[y]) && !covers(spans[y], spans[x]) {
				subsumed = true
				break
			}
		}
		if !subsumed {
			out = append(out, i)
		}
	}
	return out
}

// branchForgotten reports whether a message says the customer does not remember the branch: a
// clause with a word for not knowing and a word for a branch ("不记得是哪个支行了").
func (d *Definition) branchForgotten(n string) bool {
	for _, c := range clauses(n) {
		k := key(c)
		if d.u.dontKnow.in(k) && slices.ContainsFunc(d.u.branchSuffixes, func(s string) bool { return strings.Contains(k, s) }) {
			return true
		}
	}
	return false
}

// withoutKeywords is a message without the category keywords it holds (as written there).
func (d *Definition) withoutKeywords(kind complaintbot.Kind, n string) string {
	for _, c := range d.file.Categories[string(kind)] {
		for _, w := range c.Keywords {
			if kw := key(w); kw != "" && !strings.Contains(w, "…") {
				n = strings.ReplaceAll(n, kw, " ")
			}
		}
	}
	return n
}

// loose is a message's matching key without intensifiers (understanding.degree_words) and
// function characters, and with 没有 read as 没, for matching keywords however the customer puts
// them.
func (d *Definition) loose(k string) string {
	if d.u == nil {
		return k
	}
	k = strings.Map(func(r rune) rune {
		if strings.ContainsRune(d.u.function, r) {
			return -1
		}
		return r
	}, d.u.degree.remove(k))
	return strings.ReplaceAll(k, "没有", "没") // "没有人过来" holds 没人过来
}

// requestIn returns the part of a message (as the customer wrote it) that says what they want:
// from the first clause holding a request word ("希望道歉") to the end — from the word itself in a
// long clause — leaving out a phone number given with it.
func (d *Definition) requestIn(orig string) string {
	cs := withoutPhone(phrases(orig))
	for i, c := range cs {
		n := d.normalize(c)
		k := key(n)
		if !d.wishIn(k) || d.u.notRequest.in(k) {
			continue
		}
		if rc, rn := []rune(c), []rune(n); len(rc) > 12 && len(rc) == len(rn) {
			first := len(rn)
			for _, w := range d.u.request {
				if j := strings.Index(n, w); j >= 0 {
					first = min(first, runes(n[:j]))
				}
			}
			if first < len(rn) {
				c = string(rc[first:])
			}
		}
		if label := d.u.request.is(k) && (strings.Contains(orig, c+"：") || strings.Contains(orig, c+":")); label && i+1 < len(cs) {
			return strings.Join(cs[i+1:], "，") // "要求：解除这个理财…": the wish after its label
		}
		if next := key(d.normalize(cs[1%len(cs)])); i == 0 && len(cs) > 1 && !d.u.request.in(next) && !d.marksWish(next) && !d.wishLater(cs[1:]) &&
			d.content(d.normalize(strings.Join(cs[1:], "，"))) >= d.file.Understanding.StoryContent {
			return c // "我要求你们给个说法！城东支行的柜员把我的钱存到别人账户去了": the story follows the wish
		}
		return strings.Join(append([]string{c}, cs[i+1:]...), "，")
	}
	return ""
}

// wishLater reports whether one of the clauses holds a wish ("…老人家折腾不起。希望能上门办…"):
// then what follows the first wish is no story told after it.
func (d *Definition) wishLater(cs []string) bool {
	for _, c := range cs {
		if k := key(d.normalize(c)); d.wishIn(k) && !d.u.notRequest.in(k) {
			return true
		}
	}
	return false
}

// wishIn reports whether a clause's key holds a request word that is not denied right before it:
// "第一次不说清楚要带什么" tells what was not done, "说清楚" alone is a wish.
func (d *Definition) wishIn(k string) bool {
	k = d.u.notWish.strip(k) // "闪退了" is no 退了, "还打到我单位" no 还给我
	if d.wishForm(k) {
		return true
	}
	for _, w := range d.u.request {
		for j := range occurrences(k, w) {
			if !deniedBefore(k, j) {
				return true
			}
		}
	}
	return false
}

// occurrences yields the byte offsets in k where w occurs, left to right, without overlaps.
func occurrences(k, w string) iter.Seq[int] {
	return func(yield func(int) bool) {
		if w == "" {
			return
		}
		for from := 0; ; {
			j := strings.Index(k[from:], w)
			if j < 0 {
				return
			}
			if !yield(from + j) {
				return
			}
			from += j + len(w)
		}
	}
}

// deniedBefore reports whether the word at offset j of k follows 不, 没 or 没有 directly ("不说清楚",
// "没有退钱").
func deniedBefore(k string, j int) bool {
	return strings.HasSuffix(k[:j], "不") || strings.HasSuffix(k[:j], "没") || strings.HasSuffix(k[:j], "没有")
}

// wishForm reports whether a clause's key is a wish by its form: a wish marker followed within a
// few characters by a verb of remedy that is not told as done ("把钱退了" is no wish, "把钱退给我"
// is) and not denied ("没给我退").
func (d *Definition) wishForm(k string) bool {
	for _, v := range d.u.remedyVerbs {
		for _, e := range d.u.remedyEnds {
			if i := strings.Index(k, v+e); i >= 0 && !strings.HasPrefix(k[i+len(v+e):], "了") &&
				!strings.ContainsAny(lastRunes(k[:i], 3), "不没已") {
				return true // "全部退给我", not "已经退给我了", "没退给我"
			}
		}
	}
	for _, m := range d.u.wishMarkers {
		for j := range occurrences(k, m) {
			if deniedBefore(k, j) {
				continue
			}
			full := k[j+len(m):]
			a := firstRunes(full, 10)
			for _, v := range d.u.remedyVerbs {
				i := strings.Index(a, v)
				if i < 0 {
					continue
				}
				before, rest := a[:i], full[i+len(v):] // what follows the verb, past the window too ("…也给改了")
				if strings.ContainsAny(before, "不没了") || strings.HasPrefix(rest, "了") || strings.HasPrefix(rest, "过") {
					continue
				}
				return true
			}
		}
	}
	return false
}

// withoutPhone drops the clauses that give a phone number.
func withoutPhone(cs []string) []string {
	out := cs[:0:0]
	for _, c := range cs {
		if _, ok := parsePhone(c); !ok {
			out = append(out, c)
		}
	}
	return out
}

// personIn returns the person a message names: 王经理, 小李, 工号1234, 3号窗口的柜员.
func (d *Definition) personIn(n string) string {
	text := cnNumerals(textnorm.HalfWidth(n))
	p := d.u.personRe.FindString(text)
	for _, m := range d.u.personRe.FindAllString(text, -1) {
		for _, pre := range d.u.namingPrefixes {
			if strings.HasPrefix(m, pre) { // "她姓汪 …胸牌上写的汪静": the name as written, over 姓汪
				p = strings.TrimPrefix(m, pre)
			}
		}
	}
	if i := strings.Index(text, p); p != "" && i >= 0 {
		// "李经理 李晓峰": the full name given after the name with the title.
		after := []rune(strings.TrimLeft(text[i+len(p):], " ，,"))
		first := []rune(p)[0]
		if j := hanRun(after); j >= 2 && j <= 3 && after[0] == first && strings.ContainsRune(d.u.surnames, first) {
			return string(after[:j])
		}
	}
	p = strings.TrimRightFunc(p, func(r rune) bool { return !unicode.Is(unicode.Han, r) && !unicode.IsDigit(r) })
	for _, w := range d.u.branchWords {
		p = strings.TrimPrefix(p, w+"的") // "人民路支行的陈敏": the name
	}
	for _, title := range d.u.titles {
		// "大堂经理刘经理": the name with its title, not the job before it.
		if rest, ok := strings.CutPrefix(p, title); ok && rest != "" && d.u.personRe.FindString(rest) == rest {
			p = rest
			break
		}
	}
	return strings.TrimPrefix(strings.TrimPrefix(p, "个叫"), "位叫") // "一个叫李莉的": 李莉
}

// hanRun is the number of Chinese characters r starts with.
func hanRun(r []rune) int {
	n := 0
	for n < len(r) && unicode.Is(unicode.Han, r[n]) {
		n++
	}
	return n
}

// question reports whether a message asks something.
func (d *Definition) question(n string) bool {
	return strings.ContainsAny(n, "?？") || d.u.question.in(key(n))
}

// absorb fills the answers a message gives to the draft's questions other than skip (the one being
// asked, read by its own parser): those not answered yet, and with override (the customer said
// "写错了", or this is the read-back) those answered with another value. It returns the read-back
// items it filled and those it changed.
func (t *turn) absorb(h hits, orig string, skip string, override bool) (filled, changed []string) {
	st, d := t.st, t.d
	draft := st.Draft
	steps := d.kind(draft.Kind).Steps
	for i := range steps {
		s := &steps[i]
		if s.Field == skip {
			continue
		}
		done := st.Answered(s.Field)
		more := s.Field == complaintbot.FieldDescription && (!override || t.longStory(d.normalize(orig))) && t.moreStory(h, orig, skip)
		refine := s.Type == stepDateTime && h.when != nil && t.refinesWhen(*h.when) // "扣钱是这个月五号"
		if s.Type == stepBranch && done && h.branch != nil && h.branch.Code != complaintbot.NoBranchCode &&
			draft.Branch != nil && draft.Branch.Code == complaintbot.NoBranchCode && slices.Contains(draft.Prefilled, s.Field) &&
			d.namesFully(key(d.normalize(orig)), *h.branch) { // (not "在人民路那边坐公交": a street)
			refine = true // "卡丢了" (no branch, guessed), then "昨天去营业部挂失…": the branch named
		}
		if s.Type == stepBranch && done && draft.Branch == nil && h.branch != nil &&
			(h.branch.Code != complaintbot.NoBranchCode || d.u.noBranchNames.in(key(d.normalize(orig)))) {
			// Left unknown ("记不清了"), then a branch named or "跟网点没关系" said in so many
			// words: the answer, given later (a story's hint of no branch is not enough).
			refine = true
		}
		if s.Type == stepChoice && done && draft.Urgent == "" && t.urgentCategory() >= 0 && slices.Contains(draft.Prefilled, s.Field) {
			refine = true // "ATM上取了两千块" (machines, from the story), then "卡还在我手上": money at risk decides
		}
		moreWish := t.moreWish(s, h, skip)
		wishNow := t.wishReplaces(s, h, skip)
		named := -1 // the category the whole message names, over the bot's guess ("服务态度")
		if s.Type == stepChoice && done && st.Guessed {
			named = t.categoryNamed(d.normalize(orig))
		}
		if done && !override && !more && !refine && !moreWish && !wishNow && named < 0 {
			continue
		}
		set := false
		switch s.Type {
		case stepChoice:
			if named >= 0 {
				// "服务态度" at the next question, after the bot took the story's best fit: the
				// customer's own choice.
				c := d.file.Categories[string(draft.Kind)][named].Category
				draft.Category, set, st.Guessed = &c, true, false
				break
			}
			if done && draft.Category != nil {
				if i := d.categorySwitch(draft.Kind, d.normalize(orig), draft.Category.Code); i >= 0 {
					// "其实也不是收费的事，是…态度太差": the customer changes their mind.
					c := d.file.Categories[string(draft.Kind)][i].Category
					draft.Category, set, st.Guessed = &c, true, false
					break
				}
			}
			if h.category >= 0 {
				c := d.file.Categories[string(draft.Kind)][h.category].Category
				if draft.Category == nil || draft.Category.Code != c.Code || !done {
					draft.Category, set = &c, true
					st.Guessed = !override
				}
			}
		case stepBranch:
			if h.branch != nil && (draft.Branch == nil || draft.Branch.Code != h.branch.Code || !done) {
				b := copyBranch(*h.branch)
				draft.Branch, set = &b, true
			} else if h.branch == nil && h.forgotten && !done {
				draft.Branch, set = nil, true // an answer: the agent finds out (answerBranch)
			}
		case stepDateTime:
			if s.IfTold && h.when != nil && !h.when.dated {
				break // "我上次半夜…": a part of the day alone is no time told for a praise
			}
			if h.when != nil && (!done || !t.sameWhen(t.keepPartOfDay(*h.when))) {
				t.setWhen(t.keepPartOfDay(*h.when))
				set = true
			} else if h.when == nil && h.future != nil && !done {
				// Said, but not yet come: the customer is told why the time is asked.
				t.add(fill(t.msgs().DateFuture, "date", d.formatOccurred(&h.future.t, h.future.precision, h.future.period)))
			}
		case stepPhone:
			if h.phone != "" && (!done || t.draftFields()[s.Field] != h.phone) {
				t.draftFields()[s.Field], set = h.phone, true
			} else if h.noPhone && !done {
				// "我没手机号，不留了" at another question: the optional phone is answered, empty;
				// not more of the story.
				delete(t.draftFields(), s.Field)
				set = true
			}
		case stepText:
			v := ""
			switch s.Field {
			case complaintbot.FieldRequest:
				v = h.request
				if moreWish && !override {
					v = t.draftFields()[s.Field] + "；" + h.request
					if rest := strings.Trim(withoutClauses(orig, h.request), " ，,。？?！!"); !t.added && rest != "" &&
						d.told(d.normalize(rest)) >= d.file.Understanding.DescContent &&
						!strings.Contains(draft.Fields[complaintbot.FieldDescription], rest) {
						t.addToStory(rest) // "这不就是捆绑搭售吗 希望把保险退了…" at the phone question
						t.added = true
					}
				} else if wishNow && !override {
					// The request held said no wish ("房东那边等不了了"): it is more of the story,
					// and this is what the customer wants.
					if _, ok := draft.Fields[complaintbot.FieldDescription]; ok {
						draft.Fields[complaintbot.FieldDescription] += "，" + t.draftFields()[s.Field]
						t.recheckCategory() // "这不就是搭售吗": the story's words decide again
					}
				}
			case complaintbot.FieldPerson:
				v = h.person
			case complaintbot.FieldDescription:
				switch {
				case !done && t.tellsStory(h, orig, skip):
					v = t.withPiece(orig)
				case more:
					// More of the story at another question: it is added, never dropped; a wish
					// said at its end goes to the request.
					if h.request != "" && strings.TrimSpace(withoutClauses(orig, h.request)) != "" {
						t.addToStory(strings.Trim(withoutClauses(orig, h.request), " ，,"))
					} else {
						t.addToStory(orig)
					}
					t.added = true
					continue
				}
			}
			if v != "" && runes(v) >= s.Min && (!done || t.draftFields()[s.Field] != v) && (s.Field != complaintbot.FieldDescription || !done) {
				if runes(v) > s.Max {
					v = string([]rune(v)[:s.Max])
					t.add(fill(t.u().StoryCut, "max", itoa(s.Max)))
				}
				t.draftFields()[s.Field], set = v, true
				if s.Field == complaintbot.FieldDescription {
					st.Piece = ""
					defer t.recheckCategory()
				}
			}
		}
		if !set {
			continue
		}
		st.MarkAnswered(s.Field)
		if h.noPhone && s.Type == stepPhone {
			filled = append(filled, s.Label+" "+t.d.file.Readback.Unset) // "联系电话 未填写"
			continue
		}
		if done {
			changed = append(changed, t.item(s))
		} else {
			filled = append(filled, t.item(s))
		}
	}
	return filled, changed
}

// moreWish reports whether a message at another question says a wish besides the request the bot
// took from the story, never asked ("帮我冻结对方的账户" in the story, then "能不能快一点帮我把钱
// 要回来"): it is added to the request, not dropped.
func (t *turn) moreWish(s *stepDef, h hits, skip string) bool {
	d := t.st.Draft
	// "希望一次性告知所有材料" asked for a phone: a wish besides the request held, when the
	// message tells little else (a request that held no wish is replaced instead: wishReplaces).
	atPhone := skip == complaintbot.FieldPhone && h.phone == "" && !t.wishReplaces(s, h, skip)
	if s.Field != complaintbot.FieldRequest || h.request == "" || skip == "" || skip == s.Field ||
		!t.st.Answered(s.Field) || (!slices.Contains(d.Prefilled, s.Field) && !atPhone) {
		return false
	}
	old := d.Fields[s.Field]
	return !strings.Contains(old, h.request) && !strings.Contains(h.request, old)
}

// wishReplaces reports whether a wish said at another question replaces a request that holds no
// wish at all ("房东那边等不了了" at the request question, then "尽快给我批" at the phone question).
func (t *turn) wishReplaces(s *stepDef, h hits, skip string) bool {
	if s.Field != complaintbot.FieldRequest || h.request == "" || skip == s.Field || !t.st.Answered(s.Field) {
		return false
	}
	old := t.st.Draft.Fields[s.Field]
	return old != "" && t.d.requestIn(old) == "" && !t.d.marksWish(key(t.d.normalize(old)))
}

// withPiece joins a message to the story pieces told before it, unless it repeats them; a lead-in
// before the story is left out (withoutLeadIn).
func (t *turn) withPiece(orig string) string {
	orig = t.d.withoutLeadIn(t.d.storyWithoutPhone(orig))
	p := t.d.withoutLeadIn(t.st.Piece)
	if p == "" || strings.Contains(orig, p) {
		return orig
	}
	return p + "，" + orig
}

// storyWithoutPhone leaves out of a story the phone number it gives, with the words that lead to
// it ("城东支行柜员骂人 我电话13512121212" → "城东支行柜员骂人"): the number is kept as the phone. A
// number written otherwise than in ASCII digits, or a story that would be left empty, is kept.
func (d *Definition) storyWithoutPhone(s string) string {
	if _, ok := parsePhone(s); !ok {
		return s
	}
	out := s
	for _, m := range slices.Backward(phoneRunRe.FindAllStringIndex(s, -1)) {
		if _, ok := phoneDigits(s[m[0]:m[1]]); !ok {
			continue
		}
		before := strings.TrimRight(out[:m[0]], " ：:，,")
		for _, w := range d.u.phoneLeadIns {
			if strings.HasSuffix(before, w) {
				before = strings.TrimSuffix(before, w)
				break
			}
		}
		after := strings.TrimLeft(out[m[1]:], " ：:，,")
		for _, w := range d.u.phoneTails {
			if strings.HasPrefix(after, w) {
				after = strings.TrimLeft(strings.TrimPrefix(after, w), " ：:，,。")
				break
			}
		}
		if b := strings.TrimRight(before, " ：:，,。"); b != "" && after != "" && after != out[m[1]:] {
			after = " " + after
		}
		out = strings.TrimRight(before, " ：:，,。") + after
	}
	out = strings.Trim(out, " ：:，,。")
	if d.content(d.normalize(out)) == 0 {
		return s
	}
	return out
}

// withoutLeadIn drops the first clauses of a story that are only a lead-in ("是这样的，", "我跟你说
// 啊，"), with the pause after them; the story itself is never dropped.
func (d *Definition) withoutLeadIn(s string) string {
	for {
		i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
		if i <= 0 {
			return s
		}
		k := key(d.normalize(s[:i]))
		if k == "" || !onlyWith(k, d.u.leadIns, d.u.polite) {
			return s
		}
		rest := strings.TrimLeftFunc(s[i:], func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
		if key(d.normalize(rest)) == "" {
			return s
		}
		s = rest
	}
}

// sameWhen reports whether a moment is the one the draft holds.
func (t *turn) sameWhen(w when) bool {
	d := t.st.Draft
	if w.precision != d.OccurredPrecision || w.period != d.Fields[FieldOccurredPeriod] {
		return false
	}
	if d.OccurredAt == nil {
		return w.precision == complaintbot.OccurredUnknown
	}
	return d.OccurredAt.Equal(w.t)
}

// item is a field as the customer is told it was noted: "网点 城西支行", or only the label for a
// long text.
func (t *turn) item(s *stepDef) string {
	v := t.value(s)
	if s.Type == stepText && (s.Field == complaintbot.FieldDescription || runes(v) > 20) {
		return s.Label
	}
	return s.Label + " " + v
}

// notes tells the customer what a message filled or changed besides the answer asked for.
func (t *turn) notes(filled, changed []string) {
	if len(changed) > 0 {
		t.add(fill(t.u().Corrected, "items", strings.Join(changed, "、")))
	}
	if len(filled) > 0 {
		t.add(fill(t.u().Noted, "items", strings.Join(filled, "、")))
	}
}

// recheckCategory looks at the category again once the whole story is in, when it was only
// guessed from an earlier message: the story's own words decide (their best fit when they point
// to several categories), and a story naming no category's words gets its likely category.
func (t *turn) recheckCategory() {
	st, d := t.st, t.d
	draft := st.Draft
	if !st.Guessed || draft.Category == nil || d.kind(draft.Kind).step(fieldCategory) == nil {
		return
	}
	if i := t.urgentCategory(); i >= 0 || d.urgentCategoryCode(draft.Urgent) == draft.Category.Code {
		return // money at risk decides, whatever else the story names
	}
	at := d.categoryCandidates(draft.Kind, d.normalize(draft.Fields[complaintbot.FieldDescription]))
	cats := d.file.Categories[string(draft.Kind)]
	if slices.ContainsFunc(at, func(i int) bool { return cats[i].Code == draft.Category.Code }) {
		story := d.normalize(draft.Fields[complaintbot.FieldDescription])
		if b := d.bestCategory(draft.Kind, story); b >= 0 && cats[b].Code != draft.Category.Code && d.coveredTimes(draft.Kind, key(story), at, b, 3) {
			// "…态度也不太好，不过这个是次要的" in a story of a deposit sold as insurance: the
			// story's words say far most of the other.
			c := cats[b].Category
			draft.Category = &c
		}
		return // the story bears the guess out
	}
	switch {
	case len(at) == 0:
		// No category's words: the whole story's likely category (a guess from a piece of it, or
		// 其他 for money at risk told in few words, may be put right).
		if i := d.likelyCategory(draft.Kind, d.normalize(draft.Fields[complaintbot.FieldDescription])); i >= 0 {
			c := cats[i].Category
			draft.Category = &c
		}
	case len(at) == 1:
		c := cats[at[0]].Category
		draft.Category = &c
	case len(at) > 1:
		// Guessed from a piece of the story (a category's words, its likely category, or 其他
		// for money at risk told in few words) that the whole story does not bear out: the
		// story's best fit, shown at the read-back.
		c := cats[d.bestCategory(draft.Kind, d.normalize(draft.Fields[complaintbot.FieldDescription]))].Category
		draft.Category = &c
	}
}
