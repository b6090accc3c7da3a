package flows

import (
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
)

// turn is the work of one Handle call.
type turn struct {
	e       *Engine
	d       *Definition
	st      *State
	in      complaintbot.Input
	now     time.Time
	facts   Facts
	say     []string
	effects []Effect
	silent  bool // no reply on this turn is correct (case created, unsubscribed)
	err     error
	idled   bool // this message ended an idle intake: it is answered with the offer to continue
	expired bool // this message found its draft expired (and was told so)
	cases   []complaintbot.CaseSummary
	fetched bool
}

// add queues a part of the reply; the parts become one message, one per line.
func (t *turn) add(s string) {
	if s != "" {
		t.say = append(t.say, s)
	}
}

func (t *turn) msgs() *messagesDef { return &t.d.file.Messages }

// customerCases reads the customer's cases once per turn; ok is false after a failure, which
// Handle then returns.
func (t *turn) customerCases() ([]complaintbot.CaseSummary, bool) {
	if t.fetched {
		return t.cases, t.err == nil
	}
	t.fetched = true
	if t.facts == nil {
		return nil, true
	}
	cases, err := t.facts.Cases()
	if err != nil {
		t.err = fmt.Errorf("flows: reading the customer's cases: %w", err)
		return nil, false
	}
	t.cases = cases
	return cases, true
}

// run dispatches the input. prev is the time of the customer's previous message.
func (t *turn) run(prev time.Time) {
	st, in := t.st, t.in
	st.LastActive = t.now
	if in.Type == complaintbot.InputUnsubscribe {
		*st = State{Handoff: st.Handoff, LastActive: t.now}
		t.effects = append(t.effects, Effect{Type: EffectUnsubscribed})
		t.silent = true
		return
	}
	switch st.Handoff {
	case HandoffWaiting:
		t.add(t.msgs().StillQueued)
		return
	case HandoffAgent:
		t.add(t.msgs().WithAgent)
		return
	}
	t.repair()
	t.expire(prev)
	switch in.Type {
	case complaintbot.InputSubscribe:
		t.add(t.d.file.Welcome)
	case complaintbot.InputText:
		t.text(in.Text)
	case complaintbot.InputVoice:
		if clean(in.Text) == "" {
			t.add(t.msgs().VoiceUnclear)
			t.remind()
		} else {
			t.text(in.Text)
		}
	case complaintbot.InputMenu:
		t.menu(in.Text)
	case complaintbot.InputImage:
		t.image()
	case complaintbot.InputLocation:
		t.location()
	case complaintbot.InputLink:
		t.add(t.msgs().Link)
		t.remind()
	case complaintbot.InputVideo:
		t.add(t.msgs().Video)
		t.remind()
	default:
		t.add(t.msgs().Other)
		t.remind()
	}
	if st.Draft != nil && (st.Flow == FlowIntake || st.Flow == FlowResume) {
		st.DraftAt = t.now
	}
}

// repair resets a stored state the engine cannot continue (an intake without a draft, a kind the
// definition does not have) to idle, rather than failing the customer.
func (t *turn) repair() {
	st := t.st
	if st.Draft != nil && t.d.kind(st.Draft.Kind) == nil {
		st.clear()
	}
	if st.Draft == nil && (st.Flow == FlowIntake || st.Flow == FlowResume) {
		st.clear()
	}
	if st.Flow == FlowChooseKind && st.Story == "" {
		st.clear()
	}
}

// expire drops a draft left alone longer than DraftKeep, and turns an intake idle longer than
// IdleTimeout into the offer to continue or start again.
func (t *turn) expire(prev time.Time) {
	st, cfg := t.st, t.e.cfg
	if st.Draft != nil {
		since := st.DraftAt
		if since.IsZero() {
			since = prev
		}
		if !since.IsZero() && t.now.Sub(since) > cfg.DraftKeep {
			st.clear()
			t.add(t.msgs().DraftExpired)
			t.expired = true
			return
		}
	}
	if prev.IsZero() || t.now.Sub(prev) <= cfg.IdleTimeout {
		return
	}
	switch st.Flow {
	case FlowIntake:
		st.resetIntake()
		st.Flow = FlowResume
		t.idled = true
	case FlowChooseKind:
		st.clear()
	}
}

// text handles a typed (or recognised) message.
func (t *turn) text(raw string) {
	text := clean(raw)
	cmd := t.d.command(text)
	if t.survey(text, cmd) {
		return
	}
	if cmd == cmdAgent {
		t.queue()
		return
	}
	if number, ok := t.d.caseQuery(text); ok {
		t.caseDetail(number)
		t.remind()
		return
	}
	if cmd == cmdProgress {
		t.progress()
		t.remind()
		return
	}
	switch t.st.Flow {
	case FlowIntake:
		t.intake(text, cmd)
	case FlowResume:
		t.resume(text, cmd)
	case FlowChooseKind:
		t.choose(text, cmd)
	default:
		t.idle(text, cmd)
	}
}

// menu handles a click on the account's custom menu.
func (t *turn) menu(name string) {
	switch action := t.d.file.Menu[clean(name)]; action {
	case menuAgent:
		t.queue()
	case menuProgress:
		t.progress()
		t.remind()
	case "":
		t.add(t.d.file.Welcome)
	default:
		t.want(complaintbot.Kind(action))
	}
}

// queue puts the customer in line for a person.
func (t *turn) queue() {
	reason := ReasonCustomerAsked
	if t.st.Failures >= 3 {
		reason = ReasonRepeatedFailures
	}
	t.st.Handoff = HandoffWaiting
	t.st.Failures = 0
	t.effects = append(t.effects, Effect{Type: EffectQueueForAgent, Reason: reason})
	t.add(t.msgs().Queued)
}

// remind tells a customer who did something else where they were.
func (t *turn) remind() {
	st := t.st
	switch st.Flow {
	case FlowIntake:
		switch st.Step {
		case stepReadback:
			t.add(fill(t.msgs().ReminderReadback, "kind", st.Draft.Kind.Label()))
		case stepDuplicate, stepKind:
			t.add(t.question())
		default:
			t.add(fill(t.msgs().Reminder, "kind", st.Draft.Kind.Label(), "prompt", t.question()))
		}
	case FlowResume:
		t.add(t.resumeOffer())
	case FlowChooseKind:
		t.add(t.msgs().ChooseKind)
	}
}

// fail answers a wrong answer: the reason and the question; after the second failure an
// explanation with an example; from the third on, also the offer of a person.
func (t *turn) fail(reason string) {
	st := t.st
	st.Failures++
	t.add(reason)
	switch {
	case st.Failures == 1:
		t.add(t.question())
	case st.Failures == 2:
		t.add(t.explain())
	default:
		t.add(t.explain())
		t.add(t.msgs().OfferAgent)
	}
}
