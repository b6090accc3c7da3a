package flows

import (
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// turn is the work of one Handle call.
type turn struct {
	e       *Engine
	d       *Definition
	st      *complaintbot.ConversationState
	in      complaintbot.Input
	now     time.Time
	facts   Facts
	say     []string
	effects []complaintbot.Effect
	silent  bool // no reply on this turn is correct (case created, unsubscribed)
	err     error
	idled   bool // this message ended an idle intake: it is answered with the offer to continue
	expired bool // this message found its draft expired (and was told so)
	cases   []complaintbot.CaseSummary
	fetched bool
	orig    string   // the text message as the customer wrote it (clean), kept in the draft
	urgent  int      // the urgent section's entry this message is about, -1 for none
	first   []string // said before anything else (what to do at once about money at risk)
	added   bool     // this message was added to the story
	context string   // the off-topic question just before this message (ConversationState.Context)
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
		*st = complaintbot.ConversationState{Handoff: st.Handoff, LastActive: t.now}
		t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectUnsubscribed})
		t.silent = true
		return
	}
	switch st.Handoff {
	case complaintbot.ConversationWaiting:
		if text := clean(in.Text); text != "" && (in.Type == complaintbot.InputText || in.Type == complaintbot.InputVoice) {
			t.waiting(text)
			return
		}
		t.add(t.stillQueued())
		return
	case complaintbot.ConversationWithAgent:
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
	if st.Draft != nil && (st.Flow == complaintbot.FlowIntake || st.Flow == complaintbot.FlowResume) {
		st.DraftAt = t.now
	}
}

// repair resets a stored state the engine cannot continue (an intake without a draft, a kind the
// definition does not have) to idle, rather than failing the customer.
func (t *turn) repair() {
	st := t.st
	if st.Draft != nil && t.d.kind(st.Draft.Kind) == nil {
		clearDraft(st)
	}
	if st.Draft == nil && (st.Flow == complaintbot.FlowIntake || st.Flow == complaintbot.FlowResume) {
		clearDraft(st)
	}
	if st.Flow == complaintbot.FlowChooseKind && st.Story == "" {
		clearDraft(st)
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
			clearDraft(st)
			t.add(t.msgs().DraftExpired)
			t.expired = true
			return
		}
	}
	if prev.IsZero() || t.now.Sub(prev) <= cfg.IdleTimeout {
		return
	}
	switch st.Flow {
	case complaintbot.FlowIntake:
		resetIntake(st)
		st.Flow = complaintbot.FlowResume
		t.idled = true
	case complaintbot.FlowChooseKind:
		clearDraft(st)
	}
}

// text handles a typed (or recognised) message. It is read normalised (simplified characters,
// half-width, rewrites; see Definition.normalize); what the customer wrote is what is kept.
func (t *turn) text(raw string) {
	t.orig = clean(raw)
	text := t.d.normalize(t.orig)
	cmd := t.d.command(text)
	if t.caseRequest(text, cmd) { // a withdrawal or a review (withdraw.go), or the answer to one
		return
	}
	if t.survey(text, cmd) {
		return
	}
	if cmd == cmdAgent {
		t.queue()
		return
	}
	t.urgentFirst(text)
	context := t.st.Context
	t.st.Context = ""
	if number, ok := t.d.caseQuery(text); ok {
		t.caseDetail(number)
		t.remind()
		return
	}
	if cmd == cmdProgress || t.progressQuestion(text, cmd) {
		t.progress()
		t.remind()
		return
	}
	if t.faq(text, cmd) {
		return
	}
	t.context = context
	t.dispatch(text, cmd)
	t.markUrgent()
}

// dispatch hands a message to the flow the conversation is in.
func (t *turn) dispatch(text string, cmd command) {
	switch t.st.Flow {
	case complaintbot.FlowIntake:
		t.intake(text, cmd)
	case complaintbot.FlowResume:
		t.resume(text, cmd)
	case complaintbot.FlowChooseKind:
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

// queue puts the customer in line for a person. Out of hours it offers to register the complaint
// with the bot now instead of only waiting.
func (t *turn) queue() {
	reason := complaintbot.ReasonCustomerAsked
	if t.st.Failures >= 3 {
		reason = complaintbot.ReasonRepeatedFailures
	}
	t.st.Handoff, t.st.HandoffID = complaintbot.ConversationWaiting, "" // the caller sets HandoffID to its queue entry
	t.st.Failures = 0
	t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectQueueForAgent, Reason: reason})
	if t.offDuty() {
		text := t.u().QueuedAfterHours
		if r, ok := t.facts.(AgentsReturn); ok {
			if back := r.AgentsBack(); !back.IsZero() {
				text += t.d.AfterHoursNote(t.now, back)
			}
		}
		t.add(text)
		return
	}
	t.add(t.msgs().Queued)
}

// offDuty reports whether the caller says no agent is at work now.
func (t *turn) offDuty() bool {
	sh, ok := t.facts.(ServiceHours)
	return ok && t.facts != nil && !sh.AgentsOnDuty()
}

// stillQueued is the answer to a waiting customer, with the way out of the queue.
func (t *turn) stillQueued() string {
	if t.offDuty() {
		return t.u().StillQueuedAfterHours
	}
	return t.msgs().StillQueued
}

// waiting handles a message from a customer waiting for a person. The queue never traps: 取消 /
// 不要人工了 leave it, 继续 leaves it and goes on with the draft, a wish to complain (or a story)
// leaves it and goes on with the bot; a question about progress is answered; anything else is told
// how to leave.
func (t *turn) waiting(raw string) {
	st := t.st
	t.orig = clean(raw)
	text := t.d.normalize(t.orig)
	cmd := t.d.command(text)
	t.urgentFirst(text)
	k := key(text)
	leave := func() {
		t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectLeaveQueue, HandoffID: st.HandoffID})
		st.Handoff, st.HandoffID, st.Failures = complaintbot.ConversationWithBot, "", 0
		t.add(t.u().LeftQueue)
	}
	_, kindAsked := t.d.kindWord(text)
	_, intent := t.d.intent(text)
	short := runes(k) <= 10
	switch {
	case cmd == cmdResume || (short && newWords(t.d.file.Commands.Resume).in(k)):
		leave() // "继续", "算了，继续"
		t.dispatch(text, cmdResume)
	case cmd == cmdCancel || ((t.d.u.leaveQueue.in(k) || (short && newWords(t.d.file.Commands.Cancel).in(k))) && !kindAsked && !intent):
		leave()
		if rest := t.withoutLeaving(t.orig); rest != "" && (t.urgent >= 0 || t.d.content(t.d.normalize(rest)) >= t.d.file.Understanding.StoryContent) {
			// "不要人工了，我直接说：营业部的取号机坏了…", "算了，我直接说吧，ATM吞了我的卡": the
			// story goes to the bot.
			t.orig = rest
			t.dispatch(t.d.normalize(rest), cmdNone)
			t.markUrgent()
			return
		}
		if st.Flow == complaintbot.FlowIntake || st.Flow == complaintbot.FlowResume {
			t.remind()
		} else {
			t.add(t.d.file.Welcome)
		}
	case cmd == cmdProgress || t.progressQuestion(text, cmd):
		t.progress()
		t.add(t.stillQueued())
	case cmd == cmdNone && (kindAsked || intent || t.urgent >= 0 || (st.Flow != complaintbot.FlowIdle && t.d.content(text) >= t.d.file.Understanding.StoryContent)):
		leave()
		if rest := t.withoutLeaving(t.orig); rest != "" && rest != t.orig && !kindAsked {
			t.orig, text = rest, t.d.normalize(rest) // "不要人工了，我要投诉城西支行…": not the story
		}
		t.dispatch(text, cmd)
		t.markUrgent()
	default:
		t.add(t.stillQueued())
	}
}

// withoutLeaving is a message (as written) without its clauses about leaving the queue or wanting
// a person.
func (t *turn) withoutLeaving(orig string) string {
	leaving := newWords(t.d.file.Commands.Cancel, t.d.file.Commands.Agent)
	var keep []string
	for _, c := range clauses(orig) {
		if k := key(t.d.normalize(c)); !t.d.u.leaveQueue.in(k) && !leaving.in(k) {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, "，")
}

// urgentFirst finds money at risk in a message (theft, fraud, a swallowed or lost card, a wrong
// transfer) and, unless the draft was already flagged, says what to do at once before anything
// else.
func (t *turn) urgentFirst(text string) {
	if kind, ok := t.d.intent(text); ok && kind != complaintbot.KindComplaint {
		return // praise for help with money at risk is not itself an emergency
	}
	if d := t.st.Draft; d != nil && d.Kind != complaintbot.KindComplaint && t.st.Flow == complaintbot.FlowIntake {
		return
	}
	k := key(text)
	if t.d.u.notUrgent.in(k) && !t.d.u.moneySent.in(k) {
		return // "说是涉嫌电信诈骗": the bank suspects, the customer's money is not at risk
	}
	found := -1
	for i, words := range t.d.u.urgent {
		for _, w := range words {
			if j := strings.Index(k, w); j >= 0 && !t.d.negated(k, j) {
				found = i
				break
			}
		}
		if found >= 0 {
			break
		}
	}
	for _, g := range t.d.u.urgentGaps {
		if found < 0 {
			if loc := g.re.FindStringIndex(k); loc != nil && !t.d.negated(k, loc[0]) {
				found = g.entry
			}
		}
	}
	if found < 0 {
		return
	}
	t.urgent = found
	if d := t.st.Draft; d == nil || d.Urgent == "" || t.st.Flow == complaintbot.FlowIdle {
		t.first = append(t.first, fill(t.d.file.Urgent[found].Text, "hotline", t.d.file.Hotline))
	}
}

// markUrgent flags the draft this message went into as urgent.
func (t *turn) markUrgent() {
	if t.urgent < 0 {
		return
	}
	if d := t.st.Draft; d != nil && d.Urgent == "" && (t.st.Flow == complaintbot.FlowIntake || t.st.Flow == complaintbot.FlowChooseKind) {
		d.Urgent = t.d.file.Urgent[t.urgent].Code
	}
}

// progressQuestion reports whether a message asks, in words, how the customer's matter is going
// ("我的投诉处理得怎么样了"), rather than telling a new story.
//
// While a complaint is being filled in, only a message asked as a question counts: "希望说明处理结果"
// answers what the customer wants, "有处理结果了吗？" asks how an earlier one is going.
func (t *turn) progressQuestion(text string, cmd command) bool {
	k := key(text)
	if t.st.Flow == complaintbot.FlowIntake && !t.d.question(text) {
		return false
	}
	return cmd == cmdNone && t.d.u.progress.in(k) && !t.d.u.insults.in(k) && runes(k) <= 40
}

// faq answers a question off the topic from the flow file's faq section, then repeats the current
// question (or says what the account is for). It reports whether it answered.
func (t *turn) faq(text string, cmd command) bool {
	if cmd != cmdNone || t.urgent >= 0 || !t.d.question(text) {
		return false
	}
	for i, words := range t.d.u.faq {
		for _, c := range clauses(text) {
			if !words.in(key(c)) {
				continue
			}
			rest := strings.Replace(text, c, " ", 1)
			if t.d.content(rest) >= t.d.file.Understanding.StoryContent {
				return false // a question inside a story: the story matters
			}
			t.add(fill(t.d.file.FAQ[i].Answer, "hotline", t.d.file.Hotline))
			if _, wants := t.d.intent(rest); wants && t.st.Flow == complaintbot.FlowIdle {
				// "请问几点下班？另外我想投诉一下": answered, and the complaint begins.
				t.orig = clean(rest)
				t.dispatch(t.orig, t.d.command(t.orig))
				t.markUrgent()
				return true
			}
			if t.st.Flow == complaintbot.FlowIdle {
				t.add(t.u().FAQAfter)
				t.st.Context = t.orig
			} else {
				t.remind()
			}
			return true
		}
	}
	return false
}

// remind tells a customer who did something else where they were.
func (t *turn) remind() {
	st := t.st
	switch st.Flow {
	case complaintbot.FlowIntake:
		switch st.Step {
		case stepReadback:
			t.add(fill(t.msgs().ReminderReadback, "kind", t.d.kindName(st.Draft.Kind)))
		case stepDuplicate, stepKind:
			t.add(t.question())
		default:
			t.add(fill(t.msgs().Reminder, "kind", t.d.kindName(st.Draft.Kind), "prompt", t.question()))
		}
	case complaintbot.FlowResume:
		t.add(t.resumeOffer())
	case complaintbot.FlowChooseKind:
		t.add(t.msgs().ChooseKind)
	}
}

// fail answers a wrong answer: the reason and the question; after the second failure an
// explanation with an example; from the third on, also the offer of a person. A failed category
// choice is not followed by the whole list: its reason names the closest options.
func (t *turn) fail(reason string) {
	st := t.st
	st.Failures++
	t.add(reason)
	listed := false
	if s := t.currentStep(); s != nil && s.Type == stepChoice && reason != t.msgs().Required {
		listed = true
	}
	switch {
	case st.Failures == 1:
		if !listed {
			t.add(t.question())
		}
	case st.Failures == 2:
		t.add(t.explain())
	default:
		t.add(t.explain())
		t.add(t.msgs().OfferAgent)
	}
}
