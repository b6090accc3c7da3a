package flows

import (
	"errors"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// Engine runs conversations by one Definition and Config. It holds no per-customer data and is
// safe for concurrent use.
type Engine struct {
	def *Definition
	cfg Config
}

// New returns an engine for the definition; zero fields of cfg take their defaults, negative
// ones are an error.
func New(def *Definition, cfg Config) (*Engine, error) {
	if def == nil {
		return nil, errors.New("flows: New: nil definition")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Engine{def: def, cfg: cfg}, nil
}

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Definition returns the definition the engine runs.
func (e *Engine) Definition() *Definition { return e.def }

// Welcome returns the welcome and menu text: what the account can do and how to start.
func (e *Engine) Welcome() string { return e.def.file.Welcome }

// Handle applies one customer input at time now (any zone; dates are read and shown in
// complaintbot.Shanghai) and returns the new state, the replies and the effects. It never changes
// st, and the same st, input, now and facts always give the same Result, so a retried turn can
// be recomputed safely.
//
// Replies hold exactly one non-empty message on every turn except two, where they are empty:
//   - the turn that returns EffectCreateCase (the customer said "确认"): the engine does not know
//     the case number, so the caller registers the case and sends Registered(case) itself;
//   - the unsubscribe turn (EffectUnsubscribed): there is no one to answer. The returned state
//     is fresh (the draft is dropped) except for Handoff, which stays for the caller to settle.
//
// Several things may be said on one turn (a note that a draft expired, a progress list and a
// reminder of the current question); they are joined by newlines into that one message, so the
// caller can always send it as the passive reply.
//
// On "人工" (or the AGENT menu key) the engine returns EffectQueueForAgent and sets the state's
// Handoff to complaintbot.ConversationWaiting (out of hours, when facts implement ServiceHours, it
// offers to register the complaint now). While waiting, the customer is told how to leave the
// queue; 取消, 不要人工了, 继续, a wish to complain or a story leave it (EffectLeaveQueue, Handoff
// back to "") and the bot goes on; a progress question is answered. Otherwise the caller sets
// Handoff to complaintbot.ConversationWithAgent (agent took over) or back to "" (handed back; the
// conversation continues where it was).
//
// Messages are read as customers write them (see Definition.normalize): traditional characters,
// full-width text, emoji and English words are understood, branch names typed by their sound are
// found, and every message may answer several questions at once; money at risk (the flow file's
// urgent section) gets the hotline text before anything else and flags the draft (Draft.Urgent).
//
// When the conversation is idle and facts also implement SurveyFacts, a message that reads as a
// rating ("5", "五", "5分", "满意", "非常不满意": the survey section of the definition) answers the
// customer's open survey: EffectSurveyAnswered, thanks and an invitation to comment; the next
// message within survey.comment_window is the comment (EffectSurveyComment) unless it is a command.
//
// Handle returns an error only when facts fail; the caller should then keep its old state.
func (e *Engine) Handle(st complaintbot.ConversationState, in complaintbot.Input, now time.Time, facts Facts) (Result, error) {
	now = now.In(complaintbot.Shanghai)
	s := cloneState(st)
	t := &turn{e: e, d: e.def, st: &s, in: in, now: now, facts: facts, urgent: -1}
	t.run(st.LastActive)
	if t.err != nil {
		return Result{}, t.err
	}
	return t.result(), nil
}

// result assembles the turn's outcome.
func (t *turn) result() Result {
	r := Result{State: *t.st, Effects: t.effects}
	if len(t.first) > 0 {
		t.say = append(t.first, t.say...) // money at risk: what to do at once comes first
	}
	if len(t.say) == 0 && !t.silent {
		t.say = append(t.say, t.d.file.Welcome) // cannot happen; never answer with nothing
	}
	if len(t.say) > 0 {
		r.Replies = []string{strings.Join(t.say, "\n")}
	}
	return r
}
