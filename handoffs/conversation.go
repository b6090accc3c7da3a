package handoffs

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Conversation is where a customer's conversation stands in the handoff workflow.
type Conversation struct {
	OpenID string
	State  complaintbot.ConversationState
	// Handoff is the waiting or held request, nil when the bot has the conversation.
	Handoff *complaintbot.Handoff
	// BranchCode is the branch the conversation is routed to ("" head office).
	BranchCode string
	// Holder is the user name of the agent holding the conversation ("" if none).
	Holder string
}

// Status returns "bot", "waiting" or "agent".
func (v *Conversation) Status() string {
	switch {
	case v.State.Handoff == complaintbot.ConversationWithAgent:
		return "agent"
	case v.State.Handoff == complaintbot.ConversationWaiting || (v.Handoff != nil && v.Handoff.Status == complaintbot.HandoffWaiting):
		return "waiting"
	}
	return "bot"
}

// Conversation loads the customer's conversation: storage.ErrNotFound when the customer never
// wrote.
func (s *Service) Conversation(ctx context.Context, openID string) (*Conversation, error) {
	if _, err := s.store.LatestTurn(ctx, openID); err != nil {
		return nil, err
	}
	st, err := s.convs.State(ctx, openID)
	if err != nil {
		return nil, err
	}
	v := &Conversation{OpenID: openID, State: st}
	h, err := s.store.ActiveHandoffOf(ctx, openID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if err == nil {
		v.Handoff = h
		if h.Status == complaintbot.HandoffClaimed {
			v.Holder = h.Agent
		}
	}
	if v.BranchCode, err = s.routeBranch(ctx, openID, st, v.Handoff); err != nil {
		return nil, err
	}
	return v, nil
}

// routeBranch works out the branch a conversation belongs to: the branch a request was routed to,
// else the branch of the customer's draft, else of their latest case; "" (head office) when none.
// A request remembers its branch, so the inbox works it out once.
func (s *Service) routeBranch(ctx context.Context, openID string, st complaintbot.ConversationState, h *complaintbot.Handoff) (string, error) {
	if h != nil && h.BranchCode != nil {
		return *h.BranchCode, nil
	}
	code := ""
	if st.Draft != nil && st.Draft.Branch != nil {
		code = st.Draft.Branch.Code
	} else {
		cs, err := s.store.CasesOf(ctx, openID, 1)
		if err != nil {
			return "", err
		}
		if len(cs) > 0 {
			code = cs[0].Branch.Code
		}
	}
	if code == complaintbot.NoBranchCode {
		code = ""
	}
	if h != nil {
		if err := s.store.UpdateHandoff(ctx, h.ID, storage.HandoffUpdate{BranchCode: &code}); err != nil {
			return "", err
		}
		h.BranchCode = &code
	}
	return code, nil
}

// Request is a request for a person that is waiting or held, with the branch it is routed to.
type Request struct {
	complaintbot.Handoff
	BranchCode string
	// State is the customer's conversation state, read for a waiting request (its draft says what
	// the customer told the bot so far) and for one whose branch was not known yet; otherwise the
	// zero State.
	State complaintbot.ConversationState
}

// ActiveRequests returns the requests waiting or held by an agent, oldest first, at most limit.
func (s *Service) ActiveRequests(ctx context.Context, limit int) ([]Request, error) {
	hs, err := s.store.ActiveHandoffs(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Request, 0, len(hs))
	for i := range hs {
		h := &hs[i]
		var st complaintbot.ConversationState
		if h.BranchCode == nil || h.Status == complaintbot.HandoffWaiting {
			if st, err = s.convs.State(ctx, h.OpenID); err != nil {
				return nil, err
			}
		}
		code, err := s.routeBranch(ctx, h.OpenID, st, h)
		if err != nil {
			return nil, err
		}
		out = append(out, Request{Handoff: *h, BranchCode: code, State: st})
	}
	return out, nil
}
