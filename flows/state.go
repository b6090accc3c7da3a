package flows

import (
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
)

// State is one customer's conversation state. The caller stores it (plain fields with bson tags,
// fit for the MongoDB driver's default codec) and passes it back with the next message; Handle
// never changes the State it is given. The zero State is a fresh customer.
type State struct {
	// Flow is what the conversation is doing: FlowIdle, FlowIntake, FlowResume or FlowChooseKind.
	Flow string `bson:"flow,omitempty"`
	// Step is the question being asked: a field name of the kind's steps ("branch", "phone"...),
	// or "readback", "duplicate", "kind". In FlowResume it is the kind to start on "重新开始"
	// ("" for the draft's own kind).
	Step string `bson:"step,omitempty"`
	// Draft is what has been collected; it outlives a cancel for Config.DraftKeep.
	Draft *complaintbot.Draft `bson:"draft,omitempty"`
	// Failures counts failed answers to the current question; 3 or more means a person was
	// offered, and "人工" then queues with reason "repeated_failures".
	Failures int `bson:"failures,omitempty"`
	// Handoff is "" while the bot talks, HandoffWaiting once the customer is queued for a person
	// (set by the engine), HandoffAgent while an agent holds the conversation (set by the caller,
	// who also clears it when the agent hands back).
	Handoff string `bson:"handoff,omitempty"`
	// HandoffID is the id of the customer's queue entry while Handoff is HandoffWaiting, set by
	// the caller that queued them (the engine does not know it), so that EffectLeaveQueue can
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
	Pictures []complaintbot.Evidence `bson:"pictures,omitempty"`
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

// The flows a State can be in.
const (
	FlowIdle       = ""
	FlowIntake     = "intake" // collecting a complaint, suggestion or praise
	FlowResume     = "resume" // offering "继续"/"重新开始" for an unfinished draft
	FlowChooseKind = "choose" // asking whether an opening story is a complaint, suggestion or praise
)

// The values of State.Handoff.
const (
	HandoffNone    = ""
	HandoffWaiting = "waiting"
	HandoffAgent   = "agent"
)

// Engine steps that are not fields.
const (
	stepReadback  = "readback"
	stepDuplicate = "duplicate"
	stepKind      = "kind"
)

// clone returns a deep copy, so that the engine never writes into the caller's State.
// Idle reports whether nothing is going on in the conversation: no complaint being filled in or
// kept to resume, no kind being chosen, nobody queued or holding it. What the customer says next
// begins a new session.
func (s State) Idle() bool {
	return (s.Flow == "" || s.Flow == FlowIdle) && s.Draft == nil && s.Handoff == "" && s.Request == nil
}

// NextSession returns the session a change to the conversation from s belongs to: s's own while
// something is going on, the next one when s is Idle.
func (s State) NextSession() int {
	if s.Idle() {
		return s.Session + 1
	}
	return s.Session
}

func (s State) clone() State {
	s.Draft = cloneDraft(s.Draft)
	s.Done = slices.Clone(s.Done)
	s.History = slices.Clone(s.History)
	s.Choices = slices.Clone(s.Choices)
	s.Pictures = slices.Clone(s.Pictures)
	if s.Survey != nil {
		sv := *s.Survey
		s.Survey = &sv
	}
	if s.Request != nil {
		r := *s.Request
		r.Choices = slices.Clone(r.Choices)
		s.Request = &r
	}
	return s
}

func cloneDraft(d *complaintbot.Draft) *complaintbot.Draft {
	if d == nil {
		return nil
	}
	c := *d
	if d.Category != nil {
		cat := *d.Category
		c.Category = &cat
	}
	if d.Branch != nil {
		b := copyBranch(*d.Branch)
		c.Branch = &b
	}
	if d.OccurredAt != nil {
		t := *d.OccurredAt
		c.OccurredAt = &t
	}
	if d.Fields != nil {
		c.Fields = make(map[string]string, len(d.Fields))
		for k, v := range d.Fields {
			c.Fields[k] = v
		}
	}
	c.Evidence = slices.Clone(d.Evidence)
	c.Prefilled = slices.Clone(d.Prefilled)
	return &c
}

// done reports whether a field is answered.
func (s *State) done(field string) bool { return slices.Contains(s.Done, field) }

// markDone records an answered field.
func (s *State) markDone(field string) {
	if !s.done(field) {
		s.Done = append(s.Done, field)
	}
}

// resetIntake forgets everything about the current question.
func (s *State) resetIntake() {
	s.Step, s.Failures, s.Choices, s.Correcting = "", 0, nil, false
}

// park leaves the intake but keeps the draft for DraftKeep.
func (s *State) park(now time.Time) {
	s.resetIntake()
	s.Flow = FlowIdle
	s.DraftAt = now
}

// clear forgets the draft and goes idle.
func (s *State) clear() {
	s.resetIntake()
	s.Flow, s.Draft, s.Done, s.History, s.Story, s.DupChecked, s.Piece, s.Guessed = FlowIdle, nil, nil, nil, "", "", "", false
	s.Context = ""
	s.DraftAt = time.Time{}
}
