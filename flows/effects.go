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

// Result is the outcome of one turn.
type Result struct {
	// State is the new conversation state to store.
	State complaintbot.ConversationState
	// Replies is what to say, in order; no reply is ever an empty string. It is usually exactly
	// one message, and empty only on the unsubscribe turn and on the turn with EffectCreateCase
	// (where the caller appends Registered(case)).
	Replies []string
	// Effects is what the caller must do, in order.
	Effects []complaintbot.Effect
}
