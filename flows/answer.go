package flows

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
)

// outcome is what a step made of the answer to its own question.
type outcome int

const (
	answered outcome = iota // stored; the step is done
	handled                 // not done, but the engine said what happens next (which branch? go on…)
	failed                  // not understood: reason says why
)

// stepResult is the outcome of reading an answer to the step being asked.
type stepResult struct {
	outcome outcome
	say     string // for handled: what to say
	reason  string // for failed: why
}

func done() stepResult                { return stepResult{outcome: answered} }
func ask(say string) stepResult       { return stepResult{outcome: handled, say: say} }
func refuse(reason string) stepResult { return stepResult{outcome: failed, reason: reason} }

func itoa(n int) string { return strconv.Itoa(n) }

// u is the understanding section's texts.
func (t *turn) u() *understandingTexts { return &t.d.file.Understanding.Messages }

// answer reads an answer to a step: the step's own answer, and every other question the message
// answers as well (filled when not answered yet; changed after "写错了"); only what is still
// missing is asked next, and nothing said is asked again.
func (t *turn) answer(s *stepDef, n string, cmd command) {
	st := t.st
	if s.Type == stepBranch && len(st.Choices) > 0 {
		t.pickBranch(s, n)
		return
	}
	if t.repeated(n) {
		t.add(t.u().AlreadyNoted)
		t.add(t.question())
		return
	}
	if s.Type != stepPhone && (cmd == cmdNone || cmd == cmdSkip) && t.declinesPhoneAhead(key(n)) {
		// "不留了" at the request question, "电话就不用了" at the person question, the phone not
		// asked yet: the phone is answered (none), and the question stands.
		filled, changed := t.absorb(hits{category: -1, noPhone: true}, t.orig, s.Field, false)
		t.notes(filled, changed)
		t.add(t.question())
		return
	}
	if t.skip(s, n, cmd) {
		return
	}
	if kind, ok := t.d.intent(n); ok && kind == st.Draft.Kind && cmd == cmdNone && t.d.content(n) == 0 && !t.saysMore(n) {
		// "我要投诉" again: it is being taken; the question stands, in one line at the category.
		if s.Type == stepChoice {
			t.add(fill(t.u().ChoiceWish, "kind", t.d.kindName(kind)))
		} else {
			t.add(t.question())
		}
		return
	}
	if cmd == cmdConfirm || (cmd == cmdNone && (onlyWith(key(n), t.d.u.closing, t.d.u.polite, t.d.u.confirm) || onlyWith(key(n), t.d.u.confirm, t.d.u.polite, t.d.u.closing))) {
		if st.Correcting && st.Answered(s.Field) {
			// "对" at a question reopened from the read-back: the answer held stands.
			t.accept(s)
			return
		}
		if s.Type == stepChoice && t.guessCategory() {
			// "好的", "对" at the question among the categories the story fits: the customer goes
			// on; the story's best fit is taken, and the read-back shows it to be put right.
			t.accept(s)
			return
		}
		if s.Optional && !st.Correcting && (s.Type == stepPhone || s.Type == stepText) {
			// "对" / "确认" at an optional question (the phone, the person): the customer means
			// to finish, and leaves it empty (asked again and again they would be trapped).
			t.unset(s)
			t.accept(s)
			return
		}
		if s.Field == complaintbot.FieldRequest && t.u().RequestUnstated != "" && st.Answered(complaintbot.FieldDescription) {
			// "对" / "确认" at the request question: no wish to tell; asked again and again the
			// customer would be trapped. The read-back shows it, the agent asks.
			t.draftFields()[s.Field] = t.u().RequestUnstated
			t.accept(s)
			return
		}
		if (t.onlyMissing(s) && (s.Type == stepDateTime || s.Type == stepBranch)) || (s.Type == stepChoice && !t.storyPointsAtCategories() && st.Answered(complaintbot.FieldDescription)) {
			// Everything else is told and the customer means to finish: an unknown time, or no
			// particular branch (a fraud by phone, a branch the bot did not know). At the
			// whole category list, a story told and "对" / "好的" go on with 其他 (the last
			// category), whatever is still to ask — asked the list again and again the customer
			// would be trapped; the read-back shows it and the customer can still change it.
			switch s.Type {
			case stepChoice:
				cats := t.d.file.Categories[string(st.Draft.Kind)]
				c := cats[len(cats)-1].Category
				st.Draft.Category = &c
			case stepBranch:
				b := t.d.noBranch()
				st.Draft.Branch = &b
			default:
				t.setWhen(when{precision: complaintbot.OccurredUnknown})
			}
			t.accept(s)
			return
		}
		t.add(t.question()) // "好的", "谢谢": nothing to store, the question stands
		return
	}
	if t.d.question(n) && t.d.u.askBot.in(key(n)) && !t.complaintWords(n) && !t.wishAsked(s, n) && (strings.ContainsAny(n, "?？") || !t.longStory(n)) {
		// (A long story that says "教他怎么查余额" asks nothing.)
		t.add(fill(t.u().OffTopic, "hotline", t.d.file.Hotline)) // "能帮我查一下余额吗？"
		t.add(t.question())
		return
	}
	h := t.scan(n)
	if s.Field == complaintbot.FieldPerson && h.story && !t.praiseStory(n) && !t.tellsEvents(n) {
		h.story = false // "是个戴眼镜的小伙子" says who, not what they did
	}
	override := t.d.corrects(key(n))
	var r stepResult
	switch s.Type {
	case stepChoice:
		r = t.answerChoice(n, h)
	case stepBranch:
		r = t.answerBranch(s, n)
	case stepDateTime:
		r = t.answerWhen(n)
	case stepPhone:
		if p, ok := parsePhone(n); ok {
			t.draftFields()[s.Field] = p
			r = done()
		} else if s.Optional && t.d.u.phoneRefusals.in(key(n)) {
			t.unset(s) // "电话就别打了，我不想接": declined in a sentence
			r = done()
		} else {
			r = refuse(t.msgs().PhoneInvalid)
		}
	default:
		r = t.answerText(s, n, h)
	}
	storyBefore := st.Answered(complaintbot.FieldDescription)
	filled, changed := t.absorb(h, t.orig, s.Field, override)
	if r.outcome != answered && s.Type == stepChoice && storyBefore && len(filled)+len(changed) > 0 && t.guessCategory() {
		// The customer answers other questions instead of the one among the categories the story
		// fits ("上个月", "让她道歉，电话138…"): asked again and again they would be trapped; the
		// story's best fit is taken, and the read-back shows it to be put right.
		t.notes(filled, changed)
		t.accept(s)
		return
	}
	if r.outcome == failed && len(filled)+len(changed) == 0 && !override && (t.answersOnlyPrefilled(h) || onlyTime(h)) {
		// "周四上午", "城东新区支行" at another question: the customer puts right what the bot
		// took from their story; "11月初开始的" after "踢皮球一个月了": the time, said better.
		filled, changed = t.absorb(h, t.orig, s.Field, true)
	}
	switch r.outcome {
	case answered:
		if s.Type == stepChoice {
			// "柜员态度不好" at "what happened?": the category, and the story's start; so is
			// "手机银行登不上", which also says no branch.
			t.keepChoicePiece(n)
		}
		t.notes(filled, changed)
		t.accept(s)
	case handled:
		t.notes(filled, changed)
		t.add(r.say)
	default:
		switch {
		case len(filled)+len(changed) > 0 || t.added:
			if (s.Type == stepDateTime || s.Type == stepBranch) && st.Piece != "" && !st.Answered(complaintbot.FieldDescription) &&
				!t.d.question(n) && t.pieceHan(n) >= 3 {
				st.Piece = t.withPiece(t.orig) // "卡丢了", then "app挂失不了": the category put right, and more of the story
			}
			t.notes(filled, changed)
			if s.Type == stepChoice && st.Answered(complaintbot.FieldDescription) && !t.storyPointsAtCategories() {
				if st.Failures >= 1 {
					// The whole list asked again, and again the customer answers the other
					// questions: 其他 (the last category), shown at the read-back to be put
					// right, rather than the list a third time.
					cats := t.d.file.Categories[string(st.Draft.Kind)]
					c := cats[len(cats)-1].Category
					st.Draft.Category = &c
					t.accept(s)
					return
				}
				st.Failures++ // asked again: the second time goes on
			} else if s.Type == stepChoice && t.storyPointsAtCategories() {
				if st.Failures >= 1 && t.guessCategory() {
					// Asked among the few categories twice, and twice the customer told more
					// instead: the story's best fit, shown at the read-back.
					t.accept(s)
					return
				}
				st.Failures++
			} else if (s.Type == stepDateTime || s.Type == stepBranch) && !st.Correcting {
				if st.Failures >= 1 {
					// Passed over twice for other answers: asked again and again the customer
					// would end at this question; unknown, the agent finds it out, and a time
					// or a branch said later still fills it.
					t.leaveUnknown(s)
					return
				}
				st.Failures++
			}
			t.add(t.questionAgain(s))
		case !t.d.question(n) && s.Type == stepDateTime && !st.Correcting && st.Failures >= 1 && t.storyPiece(s, n):
			t.leaveUnknown(s) // more of the story again instead of the time (see above)
		case !t.d.question(n) && t.storyPiece(s, n):
			if s.Type == stepDateTime && !st.Correcting {
				st.Failures++
			}
			t.add(t.question()) // a piece of the story ("但是卡里扣了"), kept; the question stands
		case t.d.question(n) && !h.story && !t.wishAsked(s, n):
			t.add(fill(t.u().OffTopic, "hotline", t.d.file.Hotline))
			t.add(t.question())
		case t.restatesHeld(h, n):
			// "手机上的，不是在网点" at another question, when the draft holds just that: agreed,
			// nothing to change; the question stands.
			t.add(t.u().ReadbackSame)
			t.add(t.question())
		case (s.Type == stepDateTime || s.Type == stepBranch) && st.Failures >= 1 && !st.Correcting:
			// A second answer that is no time ("一直都是", "好多次了") or no branch: asked a third
			// time the customer would be trapped; it is unknown, the agent finds it out, and the
			// read-back shows it to be put right.
			t.leaveUnknown(s)
		default:
			t.fail(r.reason)
		}
	}
}

// restatesHeld reports whether a message only says again a branch or a time the draft holds
// ("不是在网点", "不涉及网点" when it holds 不涉及网点), with nothing else of the story or a wish:
// at a question or at the read-back, the customer agrees, nothing changes.
func (t *turn) restatesHeld(h hits, n string) bool {
	d := t.st.Draft
	if h.branch == nil && t.d.isNoBranch(n) {
		nb := t.d.noBranch()
		h.branch = &nb
	}
	if h.story || h.request != "" || h.phone != "" || h.person != "" || (h.branch == nil && h.when == nil) {
		return false
	}
	if h.branch != nil && (d.Branch == nil || d.Branch.Code != h.branch.Code) {
		return false
	}
	if h.when != nil && !t.sameWhen(*h.when) {
		return false
	}
	return true
}

// wishAsked reports whether a message at the request question is a wish put as a question
// ("能不能帮我追回来"): the answer, not a question off the topic.
func (t *turn) wishAsked(s *stepDef, n string) bool {
	return s.Field == complaintbot.FieldRequest && t.d.requestIn(t.orig) != ""
}

// pieceHan counts the characters of a message that may tell a story: Han characters other than the
// function characters, with the slots' words (branches, times …) left out.
func (t *turn) pieceHan(n string) int {
	han := 0
	for _, r := range t.d.stripSlots(key(n)) {
		if unicode.Is(unicode.Han, r) && !strings.ContainsRune(t.d.u.function, r) {
			han++
		}
	}
	return han
}

// storyPiece keeps a short message that answers nothing asked but says something of what happened
// ("但是卡里扣了"): it is added to the story, or kept as its first piece. It reports whether it did.
func (t *turn) storyPiece(s *stepDef, n string) bool {
	st, kind := t.st, t.d.kind(t.st.Draft.Kind)
	desc := kind.step(complaintbot.FieldDescription)
	storyMissing := s.Type == stepChoice && desc != nil && !st.Answered(complaintbot.FieldDescription)
	notPhone := s.Type == stepPhone && !longDigitRunRe.MatchString(textnorm.HalfWidth(n)) // "5万起就挺好"
	if desc == nil || s.Field == complaintbot.FieldDescription || (s.Type != stepDateTime && s.Type != stepBranch && !storyMissing && !notPhone) {
		// A failed phone, or a failed choice once the story is told, is an attempt at that
		// answer; before the story, a choice that fits nothing may be its first piece
		// ("办理社保卡激活").
		return false
	}
	han := t.pieceHan(n)
	least := 4
	switch {
	case notPhone && st.Answered(complaintbot.FieldDescription) && !anyDigitRe.MatchString(textnorm.HalfWidth(n)):
		least = 2 // "很负责", "一次解决" at the phone question, after the story: more of it, no attempt at a number
	case st.Piece != "" && !st.Answered(complaintbot.FieldDescription) && s.Type != stepBranch:
		least = 3 // "手机银行登不上", then "一直闪退": the story goes on in short pieces
	}
	if han < least {
		return false
	}
	if st.Answered(complaintbot.FieldDescription) {
		t.addToStory(t.orig)
		return true
	}
	st.Piece = t.withPiece(t.orig)
	t.add(t.u().PieceMore)
	return true
}

// anyDigitRe is a digit: perhaps part of a phone number.
var anyDigitRe = regexp.MustCompile(`[0-9]`)

// longDigitRunRe is five digits or more: an attempt at a phone number.
var longDigitRunRe = regexp.MustCompile(`\d{5,}`)

// onlyTime reports whether a message answers nothing but the time.
func onlyTime(h hits) bool {
	return h.when != nil && !h.story && h.branch == nil && h.request == "" && h.phone == "" && h.person == "" &&
		h.category < 0 && len(h.candidates) == 0 && !h.noPhone
}

// keepChoicePiece keeps an answer to the category question, asked before the story, as the
// story's first piece when it says more than a category's name ("柜员态度不好", not "服务态度"):
// the description question then goes on from it.
func (t *turn) keepChoicePiece(n string) {
	st := t.st
	if st.Answered(complaintbot.FieldDescription) || t.d.kind(st.Draft.Kind).step(complaintbot.FieldDescription) == nil {
		return
	}
	if _, number := choiceNumber(t.orig); number {
		return
	}
	k := key(n)
	for _, c := range t.d.file.Categories[string(st.Draft.Kind)] {
		if k == key(c.Name) || (c.Label != "" && k == key(c.Label)) {
			return
		}
	}
	if t.pieceHan(n) >= 3 { // "排队太慢了", "手机银行登不上" (the slot's words left out)
		st.Piece = t.withPiece(t.orig)
	}
}

// onlyMissing reports whether s is the only question of the draft's kind still unanswered.
func (t *turn) onlyMissing(s *stepDef) bool {
	for _, o := range t.d.kind(t.st.Draft.Kind).Steps {
		if o.Field != s.Field && !t.st.Answered(o.Field) && !o.IfTold {
			return false
		}
	}
	return true
}

// repeated reports whether a message repeats the story already kept (pasted again).
func (t *turn) repeated(n string) bool {
	if !t.st.Answered(complaintbot.FieldDescription) || runes(t.orig) < 10 {
		return false
	}
	have := key(t.d.normalize(t.st.Draft.Fields[complaintbot.FieldDescription]))
	k := key(n)
	return k != "" && strings.Contains(have, k)
}

// skip handles a skipped question: "跳过" and the like for any optional one, and for an optional
// phone or person also "I don't know" or refusing in other words ("电话就不留了"). It reports
// whether it handled the message.
func (t *turn) skip(s *stepDef, n string, cmd command) bool {
	k := key(n)
	skipping := cmd == cmdSkip && !(s.Type == stepBranch && t.d.isNoBranch(n))
	if s.Optional && !skipping && (s.Type == stepPhone || s.Type == stepText) {
		_, phone := parsePhone(n)
		// (At the phone, "上周去的 哪天记不清了" does not know the day: no answer to the phone.)
		unknown := s.Type == stepText && t.d.u.dontKnow.in(k) && t.d.content(t.d.u.dontKnow.strip(k)) < t.d.file.Understanding.DescContent
		// "不知道他叫什么", "电话就不留了" — not a story that holds such a word ("她没有一上来就推产品").
		refused := s.Type == stepPhone && t.d.skipWords().in(k) && t.d.content(t.d.skipWords().strip(k)) < t.d.file.Understanding.DescContent
		skipping = !phone && (unknown || refused)
	}
	if !skipping {
		return false
	}
	if !s.Optional && (s.Type == stepDateTime || s.Type == stepBranch) && t.st.Failures >= 1 && !t.st.Correcting {
		// Skipped after a failed answer: unknown, rather than the question a third time (see
		// answer's second failure at the time and branch questions).
		t.leaveUnknown(s)
		return true
	}
	if !s.Optional {
		t.fail(t.msgs().Required)
		return true
	}
	t.unset(s)
	t.accept(s)
	return true
}

// declinesPhoneAhead reports whether a message (key k) only declines the phone ("不留了") while the
// draft's kind still has its optional phone question to ask.
func (t *turn) declinesPhoneAhead(k string) bool {
	u := t.d.u
	if !u.phoneRefusals.in(k) || t.d.content(u.phoneRefusals.strip(k)) >= t.d.file.Understanding.DescContent {
		return false
	}
	ps := t.d.kind(t.st.Draft.Kind).step(complaintbot.FieldPhone)
	return ps != nil && ps.Optional && !t.st.Answered(complaintbot.FieldPhone)
}

// addToStory adds more of the story to the description held, says so, and looks again at a
// category guessed from less of it.
func (t *turn) addToStory(text string) {
	t.draftFields()[complaintbot.FieldDescription] += "，" + text
	t.add(t.u().StoryAdded)
	t.recheckCategory()
}

// withoutClauses is text without the clauses of part (joined by "，", as requestIn gives them).
func withoutClauses(text, part string) string {
	for _, c := range strings.Split(part, "，") {
		text = strings.Replace(text, c, "", 1)
	}
	return text
}

// leaveUnknown keeps the time or the branch asked as unknown, says so, and goes on.
func (t *turn) leaveUnknown(s *stepDef) {
	if s.Type == stepBranch {
		t.st.Draft.Branch = nil // "记不清了": the agent finds out (answerBranch)
		t.add(t.u().BranchLeftUnknown)
	} else {
		t.setWhen(when{precision: complaintbot.OccurredUnknown})
		t.add(t.u().WhenLeftUnknown)
	}
	t.accept(s)
}

// skipWords are the words of commands.skip, for finding a refusal inside a sentence.
func (d *Definition) skipWords() words {
	var out words
	for _, w := range newWords(d.file.Commands.Skip) {
		if runes(w) >= 2 { // "无" and "no" are words of their own, not parts of sentences
			out = append(out, w)
		}
	}
	return out
}

// answerText reads a free-text answer. The description may come in pieces: a short first piece is
// kept and joined to what follows; a message that says nothing of what happened is asked about.
// At the request question, a message that goes on with the story is added to it.
func (t *turn) answerText(s *stepDef, n string, h hits) stepResult {
	m, st := t.msgs(), t.st
	text := t.orig
	if _, phone := parsePhone(text); phone && len(withoutPhone(clauses(text))) == 0 && s.Type == stepText {
		return refuse(m.Required) // only a phone number: it is taken for the phone, and the question stands
	}
	switch s.Field {
	case complaintbot.FieldDescription:
		return t.answerDescription(s, n)
	case complaintbot.FieldRequest:
		held := h.branch != nil && st.Draft.Branch != nil && st.Draft.Branch.Code == h.branch.Code // "没去网点 app上办的", as held
		if h.branch != nil && (t.d.content(n) == 0 || h.request == "" && !t.d.u.requestMarkers.in(key(n)) &&
			(t.d.content(n) < t.d.file.Understanding.StoryContent || held)) {
			// "城东支行", "是人民广场支行开的卡", "手机银行的事，不涉及网点" here name a branch, not a
			// wish: absorb takes it, and the question stands.
			if held && h.story && st.Answered(complaintbot.FieldDescription) {
				t.addToStory(text) // "不是在网点，跟网点没关系，是被盗刷的": the branch held, and more of the story
				return ask(t.question())
			}
			return refuse(m.NotUnderstood)
		}
		if h.when != nil && h.request == "" && !t.d.u.requestMarkers.in(key(n)) && t.d.u.dontKnow.in(key(n)) &&
			h.when.precision != complaintbot.OccurredUnknown && !t.sameWhen(*h.when) {
			// "是去年买的 具体几月他也记不清了": the time, one question on, as the customer knows it.
			ts := t.d.kind(st.Draft.Kind).step(fieldOccurredAt)
			if ts != nil {
				t.setWhen(*h.when)
				t.notes(nil, []string{t.item(ts)})
				return ask(t.question())
			}
		}
		lagging := h.when != nil && h.request == "" && !t.d.u.requestMarkers.in(key(n)) && t.refinesWhen(*h.when) // "11月上旬开始的 现在还在打" after 记不清
		if lagging || h.when != nil && h.request == "" && t.d.content(n) < t.d.file.Understanding.StoryContent && (t.refinesWhen(*h.when) || t.answersOnlyPrefilled(h) || t.sameWhen(*h.when) || onlyTime(h) || t.sameDayOtherPart(*h.when)) {
			// "扣钱是这个月五号" makes the time precise, "八月份" puts right the time taken from the
			// story, "11月初开始的" the time counted back ("踢皮球一个月了"): a time, not a wish
			// (absorb takes it).
			return refuse(m.NotUnderstood)
		}
		k := key(n)
		if onlyWith(k, t.d.u.requestNone, t.d.u.polite) && t.u().RequestUnstated != "" && st.Answered(complaintbot.FieldDescription) {
			t.draftFields()[s.Field] = t.u().RequestUnstated // "随便 你们看着办吧": no wish of their own
			return done()
		}
		if t.d.u.pieceDone.is(k) && st.Answered(complaintbot.FieldDescription) {
			return ask(t.question()) // "就这些": the story is told; what they want is still to say
		}
		if story, rest, ok := t.discovered(text, n, k); ok {
			// "今年想取出来…才知道是买了保险…": what they found out is more of the story, though
			// it names what they meant to do; a wish said after it is the answer.
			t.addToStory(story)
			if rest == "" {
				return ask(t.question())
			}
			text = rest
		} else if h.request == "" && st.Answered(complaintbot.FieldDescription) && (!t.d.question(n) || t.longStory(n)) && t.storyGoesOn(n, k) {
			// The story goes on ("后来…", "她嫌我问题多…"): it is added, and the question stands.
			t.addToStory(text)
			return ask(t.question())
		}
		if r := t.d.requestIn(text); r != "" && r != text && st.Answered(complaintbot.FieldDescription) {
			// "这个条款不合理 要求取消 免收违约金": what comes before the wish, asking nothing, tells
			// the story.
			lead := strings.Trim(withoutClauses(text, r), " ，,。")
			if lk := key(t.d.normalize(lead)); strings.HasSuffix(key(t.d.normalize(text)), key(t.d.normalize(r))) && t.d.requestIn(lead) == "" &&
				!t.d.u.requestMarkers.in(lk) && t.d.told(t.d.normalize(lead)) >= t.d.file.Understanding.DescContent &&
				!strings.Contains(st.Draft.Fields[complaintbot.FieldDescription], lead) {
				t.addToStory(lead)
				text = r
			}
		}
		if _, ok := parsePhone(text); ok { // "希望简化手续，电话135…": the phone is taken on its own
			if rest := strings.Join(withoutPhone(clauses(text)), "，"); rest != "" {
				text = rest
			}
		}
	case complaintbot.FieldPerson:
		switch {
		case h.person == "" && h.when != nil && !h.story && s.Optional:
			// "啥时候？上个月月底那会吧": a time, one question on; the person is not known (absorb
			// keeps the time).
			t.absorb(h, t.orig, s.Field, false)
			t.unset(s)
			return done()
		case h.person != "" && runes(text) > 15:
			text = h.person
		case h.story:
			return refuse(m.NotUnderstood) // the story, told at this question: absorb keeps it
		default: // "不知道叫什么，是个戴眼镜的小伙子": how the customer knows them
			var keep []string
			for _, c := range clauses(text) {
				if !t.d.u.dontKnow.in(key(t.d.normalize(c))) {
					keep = append(keep, c)
				}
			}
			if len(keep) > 0 && len(keep) < len(clauses(text)) && !t.d.u.personWords.in(key(t.d.normalize(strings.Join(keep, "")))) && !t.d.u.titles.in(key(strings.Join(keep, ""))) {
				// "不知道叫什么 没注意看工牌 好几个人都挺好的": not known, and the rest says no one.
				t.unset(s)
				return done()
			}
			if len(keep) > 0 {
				text = strings.Join(keep, "，")
			}
		}
	}
	switch n := runes(text); {
	case n == 0:
		return refuse(m.Required)
	case n < s.Min && !(s.Field == complaintbot.FieldRequest && t.d.u.requestShort.is(key(t.d.normalize(text)))):
		return refuse(fill(m.TextTooShort, "min", itoa(s.Min)))
	case n > s.Max:
		return refuse(fill(m.TextTooLong, "max", itoa(s.Max)))
	}
	t.draftFields()[s.Field] = text
	return done()
}

// tellsEvents reports whether a message at the person question tells what happened rather than
// who ("上周我送外卖把钱包丢了…"): a long message in the past that names nobody and is no "不知道".
func (t *turn) tellsEvents(n string) bool {
	k := key(n)
	return t.d.content(n) >= t.d.file.Understanding.DescContent && t.d.personIn(n) == "" && !t.d.u.dontKnow.in(k) && strings.Contains(k, "了")
}

// complaintWords reports whether a message holds the words of a complaint's story.
func (t *turn) complaintWords(n string) bool {
	return t.d.u.complaintStory.in(key(n)) ||
		len(t.d.categoryCandidates(complaintbot.KindComplaint, n)) > 0
}

// praiseStory reports whether a message tells what someone did well (the praise kind's story
// words, understanding.praise_deeds), rather than who they are.
func (t *turn) praiseStory(n string) bool {
	k := key(n)
	return t.d.u.praiseDeeds.in(k) || t.d.u.praiseStory.in(k)
}

// discovered splits a message at the request question that tells what the customer found out
// ("…才知道是买了保险…", understanding.discovery_words) into the story, up to the clause that
// says so, and the wish said after it ("" none); a rhetorical question in it ("哪里交得起") is
// part of the story. ok false for a message that tells no discovery
// or no story.
func (t *turn) discovered(text, n, k string) (story, rest string, ok bool) {
	if !t.st.Answered(complaintbot.FieldDescription) || !t.d.u.discovery.in(k) || t.d.content(n) < t.d.file.Understanding.StoryContent {
		return "", "", false
	}
	cs := clauses(text)
	last := -1
	for i, c := range cs {
		if t.d.u.discovery.in(key(t.d.normalize(c))) {
			last = i
		}
	}
	if last < 0 {
		return "", "", false
	}
	story = strings.Join(cs[:last+1], "，")
	if after := strings.Join(cs[last+1:], "，"); after != "" && t.d.requestIn(after) != "" {
		return story, after, true
	}
	return text, "", true
}

// storyGoesOn reports whether an answer to the request question tells more of the story rather
// than what the customer wants: a narrative word, or one long enough that wishes nothing
// (understanding.request_markers: "中间好几个窗口都空着没人") or has a person or a past tense in it
// (understanding.narrative_subjects). Short answers ("开除她", "多开窗口") and long wishes ("帮我把
// 钱追回来，冻结对方账户") are requests.
func (t *turn) storyGoesOn(n, k string) bool {
	c := t.d.content(n)
	if t.d.u.narrative.in(k) && c >= t.d.file.Understanding.StoryContent {
		return true
	}
	if c < 8 {
		return false
	}
	if t.d.u.requestMarkers.in(k) && t.d.u.future.in(k) {
		return false // "就叫他以后对俺们老年人耐心点": a wish for what comes, though it names him
	}
	return !t.d.marksWish(k) || t.d.u.narrativeSubj.in(k)
}

// marksWish reports whether k holds a word of a wish (understanding.request_markers) not denied
// right before it: "卡也没退" tells what did not happen, it wishes nothing.
func (d *Definition) marksWish(k string) bool {
	k = d.u.notMarker.strip(k) // "别的银行", "替客户着想": no wish
	for _, w := range d.u.requestMarkers {
		for j := range occurrences(k, w) {
			if !deniedBefore(k, j) {
				return true
			}
		}
	}
	return false
}

// answerDescription reads what happened, perhaps one piece at a time.
func (t *turn) answerDescription(s *stepDef, n string) stepResult {
	m, st, u := t.msgs(), t.st, &t.d.file.Understanding
	if st.Piece != "" && t.d.u.pieceDone.is(key(n)) {
		if runes(st.Piece) >= 2 {
			t.draftFields()[s.Field], st.Piece = st.Piece, ""
			t.recheckCategory()
			return done()
		}
	}
	asksRequest := t.d.kind(st.Draft.Kind).step(complaintbot.FieldRequest) != nil && !st.Answered(complaintbot.FieldRequest)
	if st.Piece != "" && t.d.content(st.Piece) > 0 && asksRequest {
		if r := t.d.requestIn(t.orig); r != "" && t.d.content(t.d.normalize(strings.Replace(t.orig, r, "", 1))) < u.DescContent {
			// "ATM吞卡…" then "尽快还卡": the story was the first piece, this is what they want.
			t.draftFields()[s.Field], st.Piece = st.Piece, ""
			t.recheckCategory()
			return done()
		}
	}
	if st.Piece == "" && asksRequest {
		if r := t.d.requestIn(t.orig); r != "" && t.d.content(t.d.normalize(strings.Replace(t.orig, r, "", 1))) == 0 {
			// "道歉" at this question says what they want (absorb takes it as the request), not
			// what happened: the question stands.
			return refuse(u.Messages.DescriptionNeeded)
		}
	}
	text := t.withPiece(t.orig)
	content := t.d.told(t.d.normalize(text))
	switch size := runes(text); {
	case size > s.Max:
		return refuse(fill(m.TextTooLong, "max", itoa(s.Max)))
	case content == 0 && size < s.Min:
		return refuse(fill(m.TextTooShort, "min", itoa(s.Min)))
	case content == 0:
		return refuse(u.Messages.DescriptionNeeded)
	case size < s.Min || content < u.DescContent:
		st.Piece = text
		return ask(u.Messages.PieceMore)
	}
	t.draftFields()[s.Field], st.Piece = text, ""
	t.recheckCategory()
	return done()
}

// answerChoice reads a category: by number (第一个, 一, 最后一个), by name or the customer's words
// for it, or by keywords; several fitting keywords ask among those only.
func (t *turn) answerChoice(n string, h hits) stepResult {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	names := t.choiceNames()
	i, ok := matchChoiceOf(n, names)
	if ok && h.story && h.category >= 0 && i != h.category && exactChoice(key(n), names) < 0 {
		i = h.category // "…其他窗口的人坐里面聊天": a story's words, not a choice named in passing
	}
	for j := range cats {
		if !ok && newWords(cats[j].Answers).is(key(n)) {
			i, ok = j, true // "别的", "都不是"
		}
	}
	guessed := false
	if !ok && h.category >= 0 {
		// "问她还翻白眼": the category; absorb adds it to the story (moreStory). A story's words
		// (or, in no category's words, its likely category) give a guess, not a choice, that the
		// whole story may put right (recheckCategory).
		i, ok = h.category, true
		// Read from the story, not chosen: the whole story may put a complaint's right (a
		// suggestion's topic, from what it proposes first, stays).
		guessed = t.st.Draft.Kind == complaintbot.KindComplaint || len(t.d.categoryCandidates(t.st.Draft.Kind, n)) == 0
	}
	if !ok && len(h.candidates) > 1 {
		return ask(t.candidatesQuestion(h.candidates))
	}
	if !ok && t.d.u.dontKnow.is(key(n)) {
		i, ok = len(cats)-1, true // "不知道": the last category, 其他
	}
	if !ok {
		return refuse(t.closestChoices(n))
	}
	c := cats[i].Category
	t.st.Draft.Category, t.st.Guessed = &c, guessed
	return done()
}

// guessCategory sets the category to the story's best fit when the story points at several
// (storyPointsAtCategories); it reports whether it did.
func (t *turn) guessCategory() bool {
	d := t.st.Draft
	if d.Category != nil || !t.storyPointsAtCategories() {
		return false
	}
	i := t.d.bestCategory(d.Kind, t.d.normalize(d.Fields[complaintbot.FieldDescription]+"，"+t.st.Piece))
	if i < 0 {
		return false
	}
	c := t.d.file.Categories[string(d.Kind)][i].Category
	d.Category, t.st.Guessed = &c, true // a guess: the customer naming a category later overrides it
	return true
}

// storyPointsAtCategories reports whether the story's words point at several categories (the
// customer was asked among those): confirming then picks none of them.
func (t *turn) storyPointsAtCategories() bool {
	d := t.st.Draft
	return len(t.d.categoryCandidates(d.Kind, t.d.normalize(d.Fields[complaintbot.FieldDescription]+"，"+t.st.Piece))) > 1
}

// answersOnlyPrefilled reports whether a message answers nothing but questions whose answers the
// bot took from the story (not asked), and at least one.
func (t *turn) answersOnlyPrefilled(h hits) bool {
	if h.story || h.request != "" || h.person != "" {
		return false
	}
	var fields []string
	if h.branch != nil {
		fields = append(fields, fieldBranch)
	}
	if h.when != nil {
		fields = append(fields, fieldOccurredAt)
	}
	if h.phone != "" {
		fields = append(fields, complaintbot.FieldPhone)
	}
	for _, f := range fields {
		if !slices.Contains(t.st.Draft.Prefilled, f) {
			return false
		}
	}
	return len(fields) > 0
}

// tellsStory reports whether a message at another question (skip) tells something of what
// happened: enough content for a story, or at the category question an answer in the story's words
// that says more than the category ("排了三个小时的队": more of it than 排了; after a story, "问她还
// 翻白眼"). Not a name or a judgment alone ("服务态度", "态度很差", "the teller was rude，不耐烦").
func (t *turn) tellsStory(h hits, orig, skip string) bool {
	if h.story {
		return true
	}
	n := t.d.normalize(orig)
	if skip != fieldCategory || h.category < 0 || t.d.question(n) {
		return false
	}
	if t.st.Answered(complaintbot.FieldDescription) {
		return t.d.told(n) >= t.d.file.Understanding.DescContent
	}
	rest := t.d.content(t.d.withoutKeywords(t.st.Draft.Kind, n))
	if piece := t.d.content(t.d.normalize(t.st.Piece)); piece >= t.d.file.Understanding.DescContent && rest > 0 &&
		slices.Contains(t.d.categoryCandidates(t.st.Draft.Kind, n), h.category) {
		// "柜员数钱", then "少给我一百块": the next piece of a story told in pieces, in the
		// category's words; with the piece kept before, it is what happened.
		rest += piece
	}
	return rest >= t.d.file.Understanding.DescContent
}

// moreStory reports whether a message at another question (skip) tells more of the story already
// kept, which is then added to it, never dropped (tellsStory); not a wish (the request takes it),
// not a phone or a correction ("电话写错了，是138…" puts an answer right), and not what the story
// already says.
func (t *turn) moreStory(h hits, orig, skip string) bool {
	st := t.st
	if !st.Answered(complaintbot.FieldDescription) || t.added || h.noPhone || skip == "" || skip == complaintbot.FieldRequest {
		return false // the request question decides for itself; "我没手机号，不留了" declines the phone
	}
	if h.request != "" && t.d.content(t.d.normalize(withoutClauses(orig, h.request))) < t.d.file.Understanding.StoryContent {
		return false // a wish (the request takes it), not more of the story
	}
	if !t.tellsStory(h, orig, skip) {
		return false
	}
	n := t.d.normalize(orig)
	if _, phone := parsePhone(n); phone || (t.d.corrects(key(n)) && !t.longStory(n)) || t.categoryNamed(n) >= 0 {
		return false // a phone, a correction, a category's name ("服务态度"): an answer, not the story
	}
	if (h.branch != nil || h.when != nil) && t.d.u.dontKnow.in(key(n)) && t.d.told(n) < t.d.file.Understanding.StoryContent {
		// "我哪知道叫啥，就人民路上那个": about the answer, not more of the story (a long
		// message that says 不知道怎么了 still tells it).
		return false
	}
	return !strings.Contains(key(t.d.normalize(st.Draft.Fields[complaintbot.FieldDescription])), key(n))
}

// longStory reports whether a message tells so much that it is the story whatever else it does
// ("我存折要换成卡 第一次去说要带身份证…": 换成 corrects nothing there).
func (t *turn) longStory(n string) bool {
	return t.d.content(n) >= 3*t.d.file.Understanding.StoryContent
}

// questionAgain asks the question s again after a message that answered others: the category
// question shortly, its list being just above.
func (t *turn) questionAgain(s *stepDef) string {
	q := t.question()
	if s.Type == stepChoice && q == fill(s.Prompt, "choices", numbered(t.categoryNames())) {
		return t.u().ChoiceAgain
	}
	return q
}

// answerWhen reads the time; "不知道" is an answer.
func (t *turn) answerWhen(n string) stepResult {
	m := t.msgs()
	w, problem := t.d.parseWhen(n, t.now)
	if k := key(n); problem == dateOK && t.d.corrects(k) {
		// "是上上周…不对，是上周，哪天记不清了": the time said after the customer puts themself right.
		if i := lastCorrection(n, t.d.u.correction); i > 0 {
			if w2, p2 := t.d.parseWhen(n[i:], t.now); p2 == dateOK {
				w = w2
			}
		}
	}
	switch problem {
	case dateMissing:
		return refuse(m.DateInvalid)
	case dateFuture:
		return refuse(fill(m.DateFuture, "date", t.d.formatOccurred(&w.t, w.precision, w.period)))
	case dateBadDay:
		return refuse(m.DateBadDay)
	case dateTooOld:
		return refuse(m.DateTooOld)
	}
	t.setWhen(w)
	if w.precision == complaintbot.OccurredUnknown {
		t.keepAround(n) // "俺哪晓得，扣了好几个月了": the rest is more of the story
	}
	return done()
}

// lastCorrection is the byte offset in n right after the last correction word it holds, 0 for none.
func lastCorrection(n string, ws words) int {
	at := 0
	for _, w := range ws {
		if i := strings.LastIndex(n, w); i >= 0 && i+len(w) > at {
			at = i + len(w)
		}
	}
	return at
}

// keepAround adds to the story the clauses of an "I don't know" answer that tell something
// ("扣了好几个月了"), so that they are not dropped.
func (t *turn) keepAround(n string) {
	st := t.st
	if !st.Answered(complaintbot.FieldDescription) || t.d.kind(st.Draft.Kind).step(complaintbot.FieldDescription) == nil {
		return
	}
	var rest []string
	for _, c := range clauses(t.orig) {
		nc := t.d.normalize(c)
		if !t.d.u.dontKnow.in(key(nc)) && !t.d.question(nc) && t.d.content(nc) >= t.d.file.Understanding.DescContent {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 || len(rest) == len(clauses(t.orig)) {
		return
	}
	add := strings.Join(rest, "，")
	if strings.Contains(key(t.d.normalize(t.draftFields()[complaintbot.FieldDescription])), key(t.d.normalize(add))) {
		return
	}
	t.addToStory(add)
	t.added = true
}

// setWhen stores a moment in the draft.
func (t *turn) setWhen(w when) {
	d := t.st.Draft
	d.OccurredPrecision = w.precision
	if w.precision == complaintbot.OccurredUnknown {
		d.OccurredAt = nil
	} else {
		at := w.t
		d.OccurredAt = &at
	}
	if w.period != "" {
		t.draftFields()[FieldOccurredPeriod] = w.period
	} else {
		delete(d.Fields, FieldOccurredPeriod)
	}
}

// answerBranch reads a branch.
func (t *turn) answerBranch(s *stepDef, n string) stepResult {
	st := t.st
	none, found := t.d.matchBranch(n)
	switch {
	case none:
		b := t.d.noBranch()
		st.Draft.Branch = &b
		return done()
	case len(found) == 1:
		b := copyBranch(found[0])
		st.Draft.Branch = &b
		return done()
	case len(found) > 1 && t.d.u.dontKnow.in(key(n)):
		st.Draft.Branch = nil // "城东支行还是城东新区支行我记不清了": not known; the agent finds out
		return done()
	case len(found) > 1:
		st.Choices = st.Choices[:0]
		for _, b := range found {
			st.Choices = append(st.Choices, b.Code)
		}
		return ask(t.branchQuestion())
	}
	if t.d.u.dontKnow.in(key(n)) {
		// "不记得是哪个了，在市中心那边": an answer; what else it says is kept with the story,
		// and the agent finds out.
		st.Draft.Branch = nil
		return done()
	}
	names := make([]string, 0, len(t.d.file.Branches))
	for _, b := range t.d.file.Branches {
		names = append(names, b.Name)
	}
	return refuse(fill(t.msgs().BranchNone, "input", t.orig, "names", strings.Join(names, "、")))
}

// pickBranch reads the answer to "which of these branches?".
func (t *turn) pickBranch(s *stepDef, n string) {
	st := t.st
	if i, ok := choiceIndex(n, len(st.Choices)); ok {
		if b, ok := t.d.branchByCode(st.Choices[i]); ok {
			st.Draft.Branch = &b
			t.accept(s)
			return
		}
	} else if _, number := choiceNumber(n); !number {
		// A branch named, or something else said (the wish, the phone): the list is dropped and the
		// message answered as any other, so the customer is never held at the list.
		st.Choices = nil
		t.answer(s, n, cmdNone)
		return
	}
	t.fail(t.msgs().ChoiceInvalid)
}

// branchQuestion lists the candidate branches by number.
func (t *turn) branchQuestion() string {
	names := make([]string, 0, len(t.st.Choices))
	for _, code := range t.st.Choices {
		if b, ok := t.d.branchByCode(code); ok {
			names = append(names, b.Name)
		}
	}
	return fill(t.msgs().BranchWhich, "list", numbered(names))
}

// unset forgets a skipped optional answer.
func (t *turn) unset(s *stepDef) {
	d := t.st.Draft
	switch s.Field {
	case fieldCategory:
		d.Category = nil
	case fieldBranch:
		d.Branch = nil
	case fieldOccurredAt:
		d.OccurredAt, d.OccurredPrecision = nil, ""
		delete(d.Fields, FieldOccurredPeriod)
	default:
		delete(d.Fields, s.Field)
	}
}

// draftFields returns the draft's free-text fields, creating the map if needed.
func (t *turn) draftFields() map[string]string {
	if t.st.Draft.Fields == nil {
		t.st.Draft.Fields = map[string]string{}
	}
	return t.st.Draft.Fields
}

// categoryNames lists what the customer reads for the draft kind's categories.
func (t *turn) categoryNames() []string {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	names := make([]string, len(cats))
	for i := range cats {
		names[i] = cats[i].shown()
	}
	return names
}

// choiceNames lists, for each category, every name it answers to: its label and its name.
func (t *turn) choiceNames() [][]string {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	out := make([][]string, len(cats))
	for i, c := range cats {
		out[i] = []string{c.shown()}
		if c.Label != "" {
			out[i] = append(out[i], c.Name)
		}
	}
	return out
}

// categoryLabel is what the customer reads for a stored category.
func (d *Definition) categoryLabel(kind complaintbot.Kind, c *complaintbot.Category) string {
	for _, cd := range d.file.Categories[string(kind)] {
		if cd.Code == c.Code {
			return cd.shown()
		}
	}
	return c.Name
}

// value renders a step's answer for the customer, "" when unanswered.
func (t *turn) value(s *stepDef) string {
	d := t.st.Draft
	switch s.Field {
	case fieldCategory:
		if d.Category != nil {
			return t.d.categoryLabel(d.Kind, d.Category)
		}
	case fieldBranch:
		if d.Branch != nil {
			return d.Branch.Name
		}
		if t.st.Answered(fieldBranch) && !s.IfTold {
			return t.u().BranchUnknown // "不记得是哪个网点了"
		}
	case fieldOccurredAt:
		return t.d.formatOccurred(d.OccurredAt, d.OccurredPrecision, d.Fields[FieldOccurredPeriod])
	default:
		return d.Fields[s.Field]
	}
	return ""
}
