package flows

import (
	"strconv"

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
			st.clear()
			t.add(m.Discarded)
			return
		}
		t.add(m.CancelledNothing)
		return
	case cmdHelp, cmdGreeting:
		t.add(t.d.file.Welcome)
		return
	}
	if kind, ok := t.d.kindWord(text); ok {
		t.want(kind)
		return
	}
	if runes(text) >= t.d.file.StoryMinChars {
		t.story(text)
		return
	}
	t.add(m.NotUnderstood)
	t.add(t.d.file.Welcome)
}

// want starts the kind the customer asked for, unless that would lose an unfinished draft, in
// which case it first offers to continue it.
func (t *turn) want(kind complaintbot.Kind) {
	st := t.st
	switch st.Flow {
	case FlowChooseKind:
		t.start(kind, st.Story)
	case FlowIntake:
		if st.Draft.Kind == kind {
			t.remind()
			return
		}
		st.resetIntake()
		st.Flow, st.Step = FlowResume, string(kind)
		t.add(t.resumeOffer())
	case FlowResume:
		st.Step = string(kind)
		t.add(t.resumeOffer())
	default:
		if st.Draft != nil {
			st.Flow, st.Step = FlowResume, string(kind)
			t.add(t.resumeOffer())
			return
		}
		t.start(kind, "")
	}
}

// story handles an opening message that tells what happened.
func (t *turn) story(text string) {
	st := t.st
	kind, clear := t.d.storyKind(text)
	if st.Draft != nil {
		st.Flow, st.Step, st.Story = FlowResume, string(kind), text
		t.add(t.resumeOffer())
		return
	}
	if !clear {
		st.Flow, st.Story = FlowChooseKind, text
		t.add(t.msgs().ChooseKind)
		return
	}
	t.start(kind, text)
}

// choose handles the answer to "is this a complaint, a suggestion or praise?".
func (t *turn) choose(text string, cmd command) {
	switch cmd {
	case cmdCancel:
		t.st.clear()
		t.add(t.msgs().CancelledNothing)
		return
	case cmdHelp:
		t.add(t.msgs().ChooseKind)
		return
	}
	if kind, ok := t.kindAnswer(text); ok {
		t.start(kind, t.st.Story)
		return
	}
	t.fail(t.msgs().ChoiceInvalid)
}

// kindAnswer reads a choice among 1 投诉 2 建议 3 表扬.
func (t *turn) kindAnswer(text string) (complaintbot.Kind, bool) {
	if kind, ok := t.d.kindWord(text); ok {
		return kind, true
	}
	labels := make([]string, len(kindOrder))
	for i, k := range kindOrder {
		labels[i] = k.Label()
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
		st.park(t.now)
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
		t.add(t.resumeOffer())
		return
	}
	t.fail(m.NotUnderstood)
}

// continueDraft goes back into the parked draft where it stopped.
func (t *turn) continueDraft() {
	st := t.st
	st.resetIntake()
	st.Flow, st.Story = FlowIntake, ""
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
	return fill(t.msgs().ResumeOffer, "kind", st.Draft.Kind.Label(), "count", strconv.Itoa(len(st.Done)),
		"target", target.Label())
}

// cancelled is the answer to "取消" with a draft kept.
func (t *turn) cancelled() string {
	return fill(t.msgs().Cancelled, "keep", formatDuration(t.e.cfg.DraftKeep))
}
