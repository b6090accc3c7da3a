package flows

import (
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
)

// Engine steps that are not fields.
const (
	stepReadback  = "readback"
	stepDuplicate = "duplicate"
	stepKind      = "kind"
)

// cloneState returns a deep copy, so that the engine never writes into the caller's state.
func cloneState(s complaintbot.ConversationState) complaintbot.ConversationState {
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

// resetIntake forgets everything about the current question.
func resetIntake(s *complaintbot.ConversationState) {
	s.Step, s.Failures, s.Choices, s.Correcting = "", 0, nil, false
}

// park leaves the intake but keeps the draft for DraftKeep.
func park(s *complaintbot.ConversationState, now time.Time) {
	resetIntake(s)
	s.Flow = complaintbot.FlowIdle
	s.DraftAt = now
}

// clearDraft forgets the draft and goes idle.
func clearDraft(s *complaintbot.ConversationState) {
	resetIntake(s)
	s.Flow, s.Draft, s.Done, s.History, s.Story, s.DupChecked, s.Piece, s.Guessed = complaintbot.FlowIdle, nil, nil, nil, "", "", "", false
	s.Context = ""
	s.DraftAt = time.Time{}
}
