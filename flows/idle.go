package flows

import (
	"strconv"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// idle handles a message when no intake is running (a draft may be parked).
func (t *turn) idle(text string, cmd command) {
	st, m := t.st, t.msgs()
	switch cmd {
	case cmdResume:
		if st.Draft != nil {
			t.continueDraft()
			return
		}
		if !t.expired {
			t.add(m.NothingToResume)
		}
		t.add(t.d.file.Welcome)
		return
	case cmdRestart:
		if st.Draft != nil {
			t.add(m.Restarted)
			t.start(st.Draft.Kind, "")
			return
		}
		t.add(t.d.file.Welcome)
		return
	case cmdCancel:
		if st.Draft != nil {
			clearDraft(st)
			t.add(m.Discarded)
			return
		}
		t.add(m.CancelledNothing)
		return
	case cmdSkip:
		t.add(m.CancelledNothing) // "跳过" after a survey's comment time ran out: nothing is asked
		return
	case cmdHelp, cmdGreeting:
		t.add(t.d.file.Welcome)
		return
	}
	k := key(text)
	if onlyWith(k, t.d.u.closing, t.d.u.polite) {
		t.add(t.d.file.Understanding.ClosingReply)
		return
	}
	if kind, ok := t.d.kindWord(text); ok {
		t.want(kind)
		return
	}
	content := t.d.content(text)
	if content < t.d.file.Understanding.StoryContent && t.metaOrIntro(text) {
		t.add(t.u().MetaReply) // "我是退休的老教师…不知道能不能在这里说事情"
		return
	}
	if t.urgent >= 0 {
		t.storyOf(complaintbot.KindComplaint, t.orig)
		return
	}
	if kind, ok := t.d.intent(text); ok && (content > 0 || t.saysMore(text)) {
		t.storyOf(kind, t.orig) // "我要投诉人民路支行": the branch is noted
		return
	}
	if kind, ok := t.d.intent(text); ok {
		t.want(kind)
		return
	}
	if kind, clear := t.d.storyKind(text, t.now); clear && t.saysMore(text) {
		if t.infoQuestion(text) {
			// "你们信用卡年费多少钱？": a category's word (年费), but a question, not a complaint.
			t.add(fill(t.u().OffTopic, "hotline", t.d.file.Hotline))
			t.add(t.u().FAQAfter)
			t.st.Context = t.orig
			return
		}
		t.storyOf(kind, t.orig) // "城东支行垃圾": short, but it names the branch
		return
	}
	if t.d.u.insults.in(k) && content < t.d.file.Understanding.StoryContent {
		t.storyOf(complaintbot.KindComplaint, t.orig) // "你们银行还能不能行了？？？": an unhappy customer
		return
	}
	if t.d.question(text) && content < t.d.file.Understanding.StoryContent {
		t.add(fill(t.u().OffTopic, "hotline", t.d.file.Hotline))
		t.add(t.u().FAQAfter)
		return
	}
	if runes(text) >= t.d.file.StoryMinChars || content >= t.d.file.Understanding.StoryContent {
		t.story(t.orig)
		return
	}
	if (content >= 3 || t.saysMore(text)) && t.st.Draft == nil {
		// "我去取钱", "前天去高新区支行": the first piece of a story
		t.st.Flow, t.st.Story = complaintbot.FlowChooseKind, t.orig
		t.add(t.u().PieceMore)
		return
	}
	t.add(m.NotUnderstood)
	t.add(t.d.file.Welcome)
}

// infoQuestion reports whether a message only asks for information ("你们信用卡年费多少钱？"): a
// short question with an information word, and no words of a complaint's story, of anger, or of a
// request, and no day.
func (t *turn) infoQuestion(text string) bool {
	k := key(text)
	u := t.d.u
	return t.d.question(text) && len(clauses(text)) <= 2 && u.infoQuestions.in(k) && !u.complaintStory.in(k) &&
		!u.insults.in(k) && !u.request.in(k) && !u.stopWishes.in(k) && !t.d.dated(text, t.now)
}

// saysMore reports whether a message that asks for a kind also names a branch, a time, a phone or
// a complaint category's words.
func (t *turn) saysMore(text string) bool {
	if len(t.d.categoryCandidates(complaintbot.KindComplaint, text)) > 0 {
		return true
	}
	if _, ok := t.d.findBranch(text); ok {
		return true
	}
	if _, ok := t.d.findWhen(text, t.now); ok {
		return true
	}
	_, ok := parsePhone(text)
	return ok
}

// metaOrIntro reports whether a message only introduces the customer or asks whether they may
// speak here.
func (t *turn) metaOrIntro(text string) bool {
	if len(t.d.categoryCandidates(complaintbot.KindComplaint, text)) > 0 {
		return false // "你好 我是学生 我的卡被冻结了": the introduction comes with what happened
	}
	for _, c := range clauses(text) {
		if k := key(c); t.d.u.meta.in(k) || t.d.intro(k) {
			return true
		}
	}
	return false
}

// storyOf starts a story whose kind is known (an urgent matter is a complaint; "我有个建议…").
func (t *turn) storyOf(kind complaintbot.Kind, story string) {
	st := t.st
	if st.Draft != nil && kind == st.Draft.Kind && !t.otherBranch(t.d.normalize(story)) {
		t.goOn(t.d.normalize(story)) // the same complaint, told again after a pause or 取消
		return
	}
	if st.Draft != nil {
		st.Flow, st.Step, st.Story = complaintbot.FlowResume, string(kind), story
		t.add(t.resumeOffer())
		return
	}
	t.start(kind, story)
}

// want starts the kind the customer asked for, unless that would lose an unfinished draft, in
// which case it first offers to continue it.
func (t *turn) want(kind complaintbot.Kind) {
	st := t.st
	switch st.Flow {
	case complaintbot.FlowChooseKind:
		t.start(kind, st.Story)
	case complaintbot.FlowIntake:
		if st.Draft.Kind == kind {
			t.remind()
			return
		}
		resetIntake(st)
		st.Flow, st.Step = complaintbot.FlowResume, string(kind)
		t.add(t.resumeOffer())
	case complaintbot.FlowResume:
		st.Step = string(kind)
		t.add(t.resumeOffer())
	default:
		if st.Draft != nil {
			st.Flow, st.Step = complaintbot.FlowResume, string(kind)
			t.add(t.resumeOffer())
			return
		}
		t.start(kind, "")
	}
}

// story handles an opening message that tells what happened.
func (t *turn) story(text string) {
	st := t.st
	n := t.d.normalize(text)
	kind, clear := t.d.storyKind(n, t.now)
	if !clear && t.incident(n) {
		kind, clear = complaintbot.KindComplaint, true
	}
	if st.Draft != nil {
		if (!clear || kind == st.Draft.Kind) && !t.otherBranch(n) {
			t.goOn(text) // "我还是要投诉，城西支行的保安推了我一把": the same complaint, told again
			return
		}
		st.Flow, st.Step, st.Story = complaintbot.FlowResume, string(kind), text
		t.add(t.resumeOffer())
		return
	}
	if !clear {
		st.Flow, st.Story = complaintbot.FlowChooseKind, text
		t.add(t.msgs().ChooseKind)
		return
	}
	t.start(kind, text)
}

// choose handles the answer to "is this a complaint, a suggestion or praise?".
func (t *turn) choose(text string, cmd command) {
	switch cmd {
	case cmdCancel:
		clearDraft(t.st)
		t.add(t.msgs().CancelledNothing)
		return
	case cmdHelp:
		t.add(t.msgs().ChooseKind)
		return
	}
	if kind, ok := t.kindAnswer(text); ok {
		story := t.st.Story
		if t.d.content(text) >= 2 {
			// "我要投诉城西支行乱收费，存折补办收了我10块": the kind, and the story with it.
			story = strings.TrimPrefix(story+"，"+t.orig, "，")
		}
		t.start(kind, story)
		return
	}
	if _, number := choiceNumber(text); !number && (t.d.content(text) >= 2 || t.saysMore(text) || t.urgent >= 0) {
		// The story goes on: it is joined, and once it says what it is, the intake starts.
		story := t.st.Story + "，" + t.orig
		kind, clear := t.d.storyKind(t.d.normalize(story), t.now)
		if !clear && t.incident(t.d.normalize(story)) {
			kind, clear = complaintbot.KindComplaint, true
		}
		switch {
		case t.urgent >= 0:
			t.start(complaintbot.KindComplaint, story)
		case clear:
			t.start(kind, story)
		case runes(story) >= t.d.file.StoryMinChars:
			t.st.Story = story
			t.add(t.msgs().ChooseKind)
		default:
			t.st.Story = story
			t.add(t.u().PieceMore)
		}
		return
	}
	t.fail(t.msgs().ChoiceInvalid)
}

// kindAnswer reads a choice among 1 投诉 2 建议 3 表扬: a number (第一个, 一), a kind's word, or a
// wish in words ("我不是提建议，我是要投诉").
func (t *turn) kindAnswer(text string) (complaintbot.Kind, bool) {
	if kind, ok := t.d.kindWord(text); ok {
		return kind, true
	}
	if i, ok := choiceIndex(text, len(kindOrder)); ok {
		return kindOrder[i], true
	}
	if kind, ok := t.d.intent(text); ok {
		return kind, true
	}
	labels := make([]string, len(kindOrder))
	for i, k := range kindOrder {
		labels[i] = t.d.kindName(k)
	}
	if i, ok := matchChoice(text, labels); ok {
		return kindOrder[i], true
	}
	return "", false
}

// resume handles the answer to the offer to continue an unfinished draft.
func (t *turn) resume(text string, cmd command) {
	st, m := t.st, t.msgs()
	switch cmd {
	case cmdResume:
		t.continueDraft()
		return
	case cmdRestart:
		kind := complaintbot.Kind(st.Step)
		if kind == "" {
			kind = st.Draft.Kind
		}
		t.add(m.Restarted)
		t.start(kind, st.Story)
		return
	case cmdCancel:
		st.Story = ""
		park(st, t.now)
		t.add(t.cancelled())
		return
	case cmdHelp:
		t.add(t.resumeOffer())
		return
	}
	if kind, ok := t.d.kindWord(text); ok {
		st.Step = string(kind)
		t.add(t.resumeOffer())
		return
	}
	if t.idled {
		// Back after a long pause: asked first, the message kept for the draft (继续 takes it).
		st.Story = t.orig
		t.add(t.resumeOffer())
		return
	}
	if (st.Step == "" || complaintbot.Kind(st.Step) == st.Draft.Kind) && t.answersSomething(text) {
		// Neither 继续 nor 重新开始, but an answer ("今天上午", "要求道歉"): the customer goes on
		// with the draft, and what they said before it too; nobody is held at the offer.
		if st.Story != "" {
			t.orig = st.Story + "，" + t.orig
			text = t.d.normalize(t.orig)
		}
		st.Story = ""
		t.goOn(text)
		return
	}
	t.fail(m.NotUnderstood)
}

// goOn goes back into the parked draft with a message that answers its questions.
func (t *turn) goOn(text string) {
	st := t.st
	resetIntake(st)
	st.Flow, st.Story, st.Step = complaintbot.FlowIntake, "", stepReadback
	if s := t.nextStep(); s != nil {
		st.Step = s.Field // where the draft stopped
	}
	t.add(t.msgs().Resumed)
	t.intake(text, cmdNone)
}

// answersSomething reports whether a message gives an answer a draft can take: a time, a phone,
// a branch, a wish, or a piece of the story.
func (t *turn) answersSomething(n string) bool {
	if _, ok := parsePhone(n); ok {
		return true
	}
	if _, ok := t.d.findBranch(n); ok {
		return true
	}
	if _, ok := t.d.findWhen(n, t.now); ok {
		return true
	}
	return t.d.requestIn(t.orig) != "" || t.d.content(n) >= t.d.file.Understanding.DescContent
}

// otherBranch reports whether a story names a branch other than the parked draft's.
func (t *turn) otherBranch(n string) bool {
	b, ok := t.d.findBranch(n)
	d := t.st.Draft
	return ok && d.Branch != nil && d.Branch.Code != b.Code
}

// continueDraft goes back into the parked draft where it stopped.
func (t *turn) continueDraft() {
	st := t.st
	if story := st.Story; story != "" && st.Draft != nil && t.answersSomething(t.d.normalize(story)) {
		// 继续 after a message kept at the offer: the draft takes it.
		t.orig = story
		t.goOn(t.d.normalize(story))
		return
	}
	resetIntake(st)
	st.Flow, st.Story = complaintbot.FlowIntake, ""
	t.add(t.msgs().Resumed)
	t.advance(false)
}

// resumeOffer is the offer to continue the draft or start again.
func (t *turn) resumeOffer() string {
	st := t.st
	target := st.Draft.Kind
	if st.Step != "" {
		target = complaintbot.Kind(st.Step)
	}
	return fill(t.msgs().ResumeOffer, "kind", t.d.kindName(st.Draft.Kind), "count", strconv.Itoa(len(st.Done)),
		"target", t.d.kindName(target))
}

// cancelled is the answer to "取消" with a draft kept.
func (t *turn) cancelled() string {
	return fill(t.msgs().Cancelled, "keep", formatDuration(t.e.cfg.DraftKeep))
}
