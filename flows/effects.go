package flows

import (
	"time"

	"github.com/complaintbot/complaintbot"
)

// Facts gives the engine read-only facts about the customer of this turn; the caller binds it to
// one customer. A nil Facts means the customer has no cases.
type Facts interface {
	// Cases returns the customer's own cases, newest first (at most the 50 most recent).
	Cases() ([]complaintbot.CaseSummary, error)
}

// EffectType says what the caller must do.
type EffectType string

// The effects a turn can ask for.
const (
	// EffectCreateCase: Draft is set; register it as a new case and append Registered(case) to
	// the replies (the engine says nothing else on that turn).
	EffectCreateCase EffectType = "create_case"
	// EffectAttachToCase: CaseNumber and Draft are set; add this story and evidence to the
	// customer's existing case. The engine has already told the customer.
	EffectAttachToCase EffectType = "attach_to_case"
	// EffectQueueForAgent: Reason is ReasonCustomerAsked or ReasonRepeatedFailures; put the
	// customer in the queue for a person. State.Handoff is already HandoffWaiting.
	EffectQueueForAgent EffectType = "queue_for_agent"
	// EffectUnsubscribed: the customer unfollowed the account; there is no reply.
	EffectUnsubscribed EffectType = "unsubscribed"
	// EffectSurveyAnswered: SurveyID, Rating and Low are set (CaseNumber too for a case's survey);
	// record the rating, and when Low raise a follow-up. The engine has already thanked the customer.
	EffectSurveyAnswered EffectType = "survey_answered"
	// EffectSurveyComment: SurveyID and Comment are set; add the comment to the rated survey.
	EffectSurveyComment EffectType = "survey_comment"
	// EffectLeaveQueue: the waiting customer left the queue for a person (取消, 不要人工了, 继续, or
	// went on with the bot: 我要投诉); close their waiting queue entry — HandoffID when the caller
	// had set State.HandoffID. State.Handoff is already "".
	EffectLeaveQueue EffectType = "leave_queue"
)

// ServiceHours is an optional extension of Facts: a Facts that also implements it tells the engine
// whether agents are at work, so that a customer who asks for a person out of hours is offered to
// register the complaint with the bot now instead of only waiting.
type ServiceHours interface {
	// AgentsOnDuty reports whether agents are at work at the time of the turn.
	AgentsOnDuty() bool
}

// AgentsReturn is what Facts may also implement to say when agents are next at work: the bot
// then tells a customer who joins the queue out of hours when to expect a person.
type AgentsReturn interface {
	// AgentsBack returns when agents are next at work after the time of the turn (zero: unknown).
	AgentsBack() time.Time
}

// The reasons of EffectQueueForAgent.
const (
	ReasonCustomerAsked    = "customer_asked"
	ReasonRepeatedFailures = "repeated_failures"
)

// Effect is one thing the caller must do after a turn. Its Draft is the caller's to keep: it is
// not shared with the returned State.
type Effect struct {
	Type       EffectType          `bson:"type"`
	Draft      *complaintbot.Draft `bson:"draft,omitempty"`
	CaseNumber string              `bson:"case_number,omitempty"`
	Reason     string              `bson:"reason,omitempty"`
	SurveyID   string              `bson:"survey_id,omitempty"`
	Rating     int                 `bson:"rating,omitempty"`
	Low        bool                `bson:"low,omitempty"`
	Comment    string              `bson:"comment,omitempty"`
	HandoffID  string              `bson:"handoff_id,omitempty"`
}

// Result is the outcome of one turn.
type Result struct {
	// State is the new conversation state to store.
	State State
	// Replies is what to say, in order; no reply is ever an empty string. It is usually exactly
	// one message, and empty only on the unsubscribe turn and on the turn with EffectCreateCase
	// (where the caller appends Registered(case)).
	Replies []string
	// Effects is what the caller must do, in order.
	Effects []Effect
}
