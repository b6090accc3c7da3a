package flows

import (
	"strings"

	"slices"

	"github.com/complaintbot/complaintbot"
)

// start opens a new intake of a kind, prefilled from the opening story if there is one.
func (t *turn) start(kind complaintbot.Kind, story string) {
	st := t.st
	clearDraft(st)
	st.Flow = complaintbot.FlowIntake
	st.Draft = &complaintbot.Draft{Kind: kind, StartedAt: t.now, Fields: map[string]string{}, Evidence: st.Pictures}
	st.Pictures = nil
	st.DraftAt = t.now
	t.add(t.d.kind(kind).Intro)
	if story != "" {
		t.prefill(story)
	}
	t.advance(true)
}

// advance asks the first unanswered question; when all are answered it checks for a duplicate
// and then shows the read-back. first adds the how-to line to the intake's first question.
func (t *turn) advance(first bool) {
	st := t.st
	if s := t.nextStep(); s != nil {
		st.Step = s.Field
		t.add(t.prompt(s))
		if first {
			t.add(t.msgs().HowTo)
		}
		return
	}
	if t.duplicate() || t.err != nil {
		return
	}
	st.Step = stepReadback
	t.add(t.readback())
}

// nextStep is the draft's first question not answered yet (never one asked only if told), nil
// when all are.
func (t *turn) nextStep() *stepDef {
	steps := t.d.kind(t.st.Draft.Kind).Steps
	for i := range steps {
		if !t.st.Answered(steps[i].Field) && !steps[i].IfTold {
			return &steps[i]
		}
	}
	return nil
}

// intake handles a message while a draft is being filled in.
func (t *turn) intake(text string, cmd command) {
	st := t.st
	if cmd == cmdNone && st.Step != stepKind && st.Step != stepDuplicate {
		if kind, ok := t.d.switchTo(text, st.Draft.Kind, len(st.Done) == 0); ok {
			t.changeKindMidway(kind, text)
			return
		}
		if kind, ok := t.kindTurnsOut(text); ok {
			t.changeKindMidway(kind, text)
			return
		}
	}
	switch cmd {
	case cmdCancel:
		park(st, t.now)
		t.add(t.cancelled())
		return
	case cmdHelp:
		t.help()
		return
	case cmdBack:
		t.back()
		return
	case cmdResume:
		t.add(t.msgs().Resumed)
		t.add(t.question())
		return
	case cmdRestart:
		t.add(t.msgs().Restarted)
		t.start(st.Draft.Kind, "")
		return
	}
	switch st.Step {
	case stepReadback:
		t.readbackAnswer(text, cmd)
	case stepDuplicate:
		t.duplicateAnswer(text)
	case stepKind:
		if kind, ok := t.kindAnswer(text); ok {
			t.switchKind(kind)
			return
		}
		t.fail(t.msgs().ChoiceInvalid)
	default:
		s := t.currentStep()
		if s == nil { // the definition changed under a stored state: ask what is missing
			resetIntake(st)
			t.advance(false)
			return
		}
		t.answer(s, text, cmd)
	}
}

// currentStep returns the step being asked, or nil when the engine asks something else.
func (t *turn) currentStep() *stepDef {
	if t.st.Draft == nil {
		return nil
	}
	return t.d.kind(t.st.Draft.Kind).step(t.st.Step)
}

// prompt renders a step's question. The category question of a story that fits several
// categories asks among those only.
func (t *turn) prompt(s *stepDef) string {
	if s.Type == stepChoice {
		d := t.st.Draft
		story := d.Fields[complaintbot.FieldDescription] + "，" + t.st.Piece
		if key(story) != "" {
			if at := t.d.categoryCandidates(d.Kind, t.d.normalize(story)); len(at) > 1 {
				return t.candidatesQuestion(at)
			}
		}
		if s.NoStory != "" && !t.st.Answered(complaintbot.FieldDescription) && d.Category == nil {
			if d.Branch != nil && d.Branch.Code != "" && d.Branch.Code != complaintbot.NoBranchCode && s.NoStoryAtBranch != "" {
				return fill(s.NoStoryAtBranch, "branch", d.Branch.Name) // "我要投诉城东支行": the branch is not asked again
			}
			return s.NoStory // "投诉" or "我去取钱" alone: what happened, not the whole list
		}
		return fill(s.Prompt, "choices", numbered(t.categoryNames()))
	}
	return s.Prompt
}

// kindTurnsOut returns the kind a complaint taken from a story without a complaint's words turns
// out to be: a praise named ("一定要表扬她", after "大堂经理小周一直帮我…"). (A wish put as 建议 stays
// a complaint's: "建议你们多安排人手帮老年人".)
func (t *turn) kindTurnsOut(n string) (complaintbot.Kind, bool) {
	d := t.st.Draft
	if d.Kind != complaintbot.KindComplaint || !t.st.Answered(complaintbot.FieldDescription) || t.urgent >= 0 || d.Urgent != "" {
		return "", false
	}
	// The message first (n is normalised already); the story is read only when the message asks
	// for another kind.
	k := key(n)
	want := complaintbot.Kind("")
	if kind, ok := t.d.intent(n); ok && kind == complaintbot.KindPraise && !t.d.u.complaintStory.in(k) {
		want = complaintbot.KindPraise
	} else if d.Category == nil && t.st.Step == fieldCategory && t.d.u.kindNames[complaintbot.KindSuggestion].startsOf(k) {
		// "建议修个无障碍坡道" at the question among the categories the story fits: no complaint's
		// category picked, what is wanted is put as a suggestion.
		want = complaintbot.KindSuggestion
	}
	if want == "" {
		return "", false
	}
	story := key(t.d.normalize(d.Fields[complaintbot.FieldDescription]))
	if t.d.u.complaintStory.in(story) || t.d.u.insults.in(story) || (want == complaintbot.KindPraise && !t.d.u.praiseDeeds.in(story)) {
		return "", false
	}
	return want, true
}

// changeKindMidway changes the draft's kind because the customer said so ("我不是提建议，我是要
// 投诉"), keeping what the new kind also asks, takes what else the message says — the story too,
// when the clauses that do not name a kind tell one ("其实也不算投诉，就是提个建议，叫号机声音太小了")
// — and asks what is missing.
func (t *turn) changeKindMidway(kind complaintbot.Kind, n string) {
	st := t.st
	t.changeKind(kind)
	st.Correcting = false
	t.add(fill(t.u().KindSwitched, "kind", t.d.kindName(kind)))
	correction := t.d.corrects(key(n))
	h := t.scan(n)
	h.story, h.request = false, "" // "我不是提建议，我是要投诉" is neither the story nor a request
	if rest := t.d.withoutKindClauses(t.orig); rest != "" && t.d.content(t.d.normalize(rest)) >= t.d.file.Understanding.DescContent {
		t.orig = rest
		h = t.scan(t.d.normalize(rest))
		h.story = true // "城东支行取号机老坏" after the switch is what happened, however short
		if desc := st.Draft.Fields[complaintbot.FieldDescription]; desc != "" && !strings.Contains(desc, rest) {
			// "其实说是建议，我就是想投诉。上周五我去…想把限额调高…": more of the story kept, and
			// what they meant to do then is no wish; the request is asked.
			st.Draft.Fields[complaintbot.FieldDescription] = desc + "，" + rest
			h.request = ""
		}
	}
	filled, changed := t.absorb(h, t.orig, "", correction)
	if st.Draft.Category == nil && t.d.kind(kind).step(fieldCategory) != nil {
		// The new kind's category from the story told ("…坡道…停车位" now a suggestion: 网点服务).
		desc := t.d.normalize(st.Draft.Fields[complaintbot.FieldDescription])
		if at := t.d.categoryCandidates(kind, desc); len(at) == 1 {
			c := t.d.file.Categories[string(kind)][at[0]].Category
			st.Draft.Category, st.Guessed = &c, true
			st.MarkAnswered(fieldCategory)
			filled = append(filled, t.item(t.d.kind(kind).step(fieldCategory)))
		}
	}
	if ps := t.d.kind(kind).step(complaintbot.FieldPerson); ps != nil && !st.Answered(complaintbot.FieldPerson) {
		// Now a praise: who is praised may be in the story told before ("大堂经理小周一直帮我…").
		if p := t.d.personIn(t.d.normalize(st.Draft.Fields[complaintbot.FieldDescription])); p != "" {
			t.draftFields()[complaintbot.FieldPerson] = p
			st.MarkAnswered(complaintbot.FieldPerson)
			filled = append(filled, t.item(ps))
		}
	}
	t.notes(filled, changed)
	t.advance(false)
}

// question is the current question, short: what fail and remind repeat.
func (t *turn) question() string {
	st := t.st
	switch st.Flow {
	case complaintbot.FlowResume:
		return t.resumeOffer()
	case complaintbot.FlowChooseKind:
		return t.msgs().ChooseKind
	}
	switch st.Step {
	case stepReadback:
		return t.d.file.Readback.Footer
	case stepDuplicate:
		return t.duplicateQuestion()
	case stepKind:
		return t.msgs().ChangeKind
	}
	if s := t.currentStep(); s != nil {
		if s.Type == stepBranch && len(st.Choices) > 0 {
			return t.branchQuestion()
		}
		return t.prompt(s)
	}
	return t.d.file.Welcome
}

// explain is the current question's help with its example.
func (t *turn) explain() string {
	if s := t.currentStep(); s != nil {
		return fill(t.msgs().Explain, "help", s.Help, "example", s.Example)
	}
	return t.question()
}

// help answers "帮助": what the question means, an example, and the question again.
func (t *turn) help() {
	if s := t.currentStep(); s != nil {
		t.add(t.explain())
		t.add(t.question())
		return
	}
	t.add(t.question())
}

// back goes to the previous question, or from a correction back to the read-back.
func (t *turn) back() {
	st, m := t.st, t.msgs()
	if st.Correcting || st.Step == stepKind {
		resetIntake(st)
		st.Step = stepReadback
		t.add(t.readback())
		return
	}
	if len(st.Choices) > 0 && st.Step != stepDuplicate {
		st.Choices, st.Failures = nil, 0
		t.add(t.question())
		return
	}
	if len(st.History) == 0 {
		t.add(m.BackFirst)
		t.add(t.question())
		return
	}
	prev := st.History[len(st.History)-1]
	st.History = st.History[:len(st.History)-1]
	st.Done = slices.DeleteFunc(st.Done, func(f string) bool { return f == prev })
	resetIntake(st)
	st.Step = prev
	t.add(m.BackDone)
	t.askAgain()
}

// askAgain asks the current step with the answer given before.
func (t *turn) askAgain() {
	s := t.currentStep()
	t.add(t.prompt(s))
	if v := t.value(s); v != "" {
		t.add(fill(t.msgs().PreviousAnswer, "value", v))
	}
}

// accept records that the current step is answered and moves on.
func (t *turn) accept(s *stepDef) {
	st := t.st
	st.MarkAnswered(s.Field)
	if !st.Correcting {
		st.History = append(slices.DeleteFunc(st.History, func(f string) bool { return f == s.Field }), s.Field)
	}
	resetIntake(st)
	t.advance(false)
}
