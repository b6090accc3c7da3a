package complaintbot

import (
	"slices"
	"time"
)

// ConversationState is one customer's conversation state: what the conversation engine (flows)
// is doing with the customer. The caller stores it (plain fields with bson tags, fit for the
// MongoDB driver's default codec) and passes it back with the next message; the engine never
// changes the ConversationState it is given. The zero ConversationState is a fresh customer.
type ConversationState struct {
	// Flow is what the conversation is doing: FlowIdle, FlowIntake, FlowResume or FlowChooseKind.
	Flow string `bson:"flow,omitempty"`
	// Step is the question being asked: a field name of the kind's steps ("branch", "phone"...),
	// or "readback", "duplicate", "kind". In FlowResume it is the kind to start on "重新开始"
	// ("" for the draft's own kind).
	Step string `bson:"step,omitempty"`
	// Draft is what has been collected; it outlives a cancel for the engine's DraftKeep.
	Draft *Draft `bson:"draft,omitempty"`
	// Failures counts failed answers to the current question; 3 or more means a person was
	// offered, and "人工" then queues with reason ReasonRepeatedFailures.
	Failures int `bson:"failures,omitempty"`
	// Handoff is ConversationWithBot ("") while the bot talks, ConversationWaiting once the
	// customer is queued for a person (set by the engine), ConversationWithAgent while an agent
	// holds the conversation (set by the caller, who also clears it when the agent hands back).
	Handoff string `bson:"handoff,omitempty"`
	// HandoffID is the id of the customer's queue entry while Handoff is ConversationWaiting, set
	// by the caller that queued them (the engine does not know it), so that EffectLeaveQueue can
	// close that entry by id. The engine clears it when the customer leaves the queue.
	HandoffID string `bson:"handoff_id,omitempty"`
	// LastActive is the time of the customer's last message.
	LastActive time.Time `bson:"last_active,omitempty"`
	// Session numbers the customer's sessions (design.md §9): a message or an agent's action that
	// finds the conversation Idle begins the next one. The caller sets it; the engine carries it.
	Session int `bson:"session,omitempty"`
	// DraftAt is when the draft was last worked on; the draft is dropped DraftKeep after it.
	DraftAt time.Time `bson:"draft_at,omitempty"`
	// Done lists the fields of the draft that are answered (or skipped), in no particular order.
	Done []string `bson:"done,omitempty"`
	// History lists the fields the customer answered, in order, for "返回".
	History []string `bson:"history,omitempty"`
	// Choices holds the candidates of a pending pick: branch codes when a branch answer was
	// ambiguous, the case number on the duplicate question.
	Choices []string `bson:"choices,omitempty"`
	// Correcting is true while a field picked from the read-back is re-asked.
	Correcting bool `bson:"correcting,omitempty"`
	// Story is an opening message kept until the customer says which kind it is.
	Story string `bson:"story,omitempty"`
	// Context is the customer's last message when it asked something off the topic while nothing
	// was being filled in ("城东支行周日开门吗"): a story that follows may lean on it for the branch.
	Context string `bson:"context,omitempty"`
	// Pictures are the pictures sent while nothing was being filled in ("先发图片再说"): the next
	// draft takes them as its evidence.
	Pictures []Evidence `bson:"pictures,omitempty"`
	// Piece is the beginning of a story told in pieces ("我去取钱"), too short to be the
	// description yet; the next pieces are joined to it.
	Piece string `bson:"piece,omitempty"`
	// Guessed is true while the draft's category was taken from the words of a message rather than
	// chosen: it is looked at again once the whole story is in.
	Guessed bool `bson:"guessed,omitempty"`
	// DupChecked is the branch and category the duplicate check last passed for.
	DupChecked string `bson:"dup_checked,omitempty"`
	// Survey is set after the customer rated a satisfaction survey: their next message may be a
	// comment on it.
	Survey *SurveyState `bson:"survey,omitempty"`
	// Request is a question about one of the customer's cases awaiting their answer (which case to
	// withdraw or review, or the confirmation of a withdrawal); see CaseRequest.
	Request *CaseRequest `bson:"request,omitempty"`
}

// The flows a ConversationState can be in (ConversationState.Flow).
const (
	FlowIdle       = ""
	FlowIntake     = "intake" // collecting a complaint, suggestion or praise
	FlowResume     = "resume" // offering "继续"/"重新开始" for an unfinished draft
	FlowChooseKind = "choose" // asking whether an opening story is a complaint, suggestion or praise
)

// The values of ConversationState.Handoff: who the customer is talking to. (A queued request's own
// status is a HandoffStatus.)
const (
	ConversationWithBot   = ""
	ConversationWaiting   = "waiting"
	ConversationWithAgent = "agent"
)

// SurveyState is kept in ConversationState.Survey between the customer's rating of a survey and
// the comment that may follow it.
type SurveyState struct {
	ID         string    `bson:"id"`
	CaseNumber string    `bson:"case_number,omitempty"`
	Rated      time.Time `bson:"rated"`
}

// CaseRequest is a request about one of the customer's cases that awaits the customer's answer
// (ConversationState.Request): a withdrawal (撤回) or a review (核查) of the decision. It lapses
// after the engine's IdleTimeout.
type CaseRequest struct {
	// Kind is RequestWithdraw or RequestReview.
	Kind string `bson:"kind"`
	// Step is "pick" (Choices are the cases offered, by number) or "confirm" (Choices[0] is the
	// case to withdraw); the engine sets it.
	Step    string   `bson:"step"`
	Choices []string `bson:"choices,omitempty"`
	// Text is the customer's message that asked (a review's reason).
	Text string    `bson:"text,omitempty"`
	At   time.Time `bson:"at"`
}

// The kinds of CaseRequest.
const (
	RequestWithdraw = "withdraw"
	RequestReview   = "review"
)

// Idle reports whether nothing is going on in the conversation: no complaint being filled in or
// kept to resume, no kind being chosen, nobody queued or holding it. What the customer says next
// begins a new session.
func (s ConversationState) Idle() bool {
	return (s.Flow == "" || s.Flow == FlowIdle) && s.Draft == nil && s.Handoff == "" && s.Request == nil
}

// NextSession returns the session a change to the conversation from s belongs to: s's own while
// something is going on, the next one when s is Idle.
func (s ConversationState) NextSession() int {
	if s.Idle() {
		return s.Session + 1
	}
	return s.Session
}

// Answered reports whether a field of the draft is answered (or skipped): whether Done lists it.
func (s *ConversationState) Answered(field string) bool { return slices.Contains(s.Done, field) }

// MarkAnswered records a field as answered: adds it to Done unless Done lists it already.
func (s *ConversationState) MarkAnswered(field string) {
	if !s.Answered(field) {
		s.Done = append(s.Done, field)
	}
}
