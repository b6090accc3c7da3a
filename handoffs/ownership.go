package handoffs

import (
	"context"
	"errors"
	"fmt"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// Handoff event kinds (storage.HandoffEvent.Kind).
const (
	evClaim    = "claim"
	evTransfer = "transfer"
	evRequeue  = "requeue"
	evRelease  = "release"
	evEnd      = "end"
	evIdle     = "idle"
	evWeChatKF = "wechat_kf"
)

// ReasonAgentChoice is the reason of a request an agent put in the queue.
const ReasonAgentChoice = "agent_choice"

// Claim gives the waiting conversation v to who, and tells the customer who serves them. When
// two agents claim at once, one gets it and the other gets a *TakenError naming who did.
func (s *Service) Claim(ctx context.Context, who complaintbot.Actor, v *Conversation) error {
	h := v.Handoff
	if h == nil {
		return ErrNotQueued
	}
	if h.Status == complaintbot.HandoffClaimed {
		if h.Agent == who.User.Name {
			return nil
		}
		return &TakenError{By: h.Agent, Claimed: true}
	}
	if err := s.audit(ctx, who, "conversation.claim", v.OpenID, v.BranchCode, v.Status(), "agent:"+who.User.Name); err != nil {
		return err
	}
	e := &complaintbot.HandoffEvent{Kind: evClaim, Agent: who.User.Name, By: who.User.Name}
	if err := s.change(ctx, h, e); err != nil {
		return err
	}
	if err := s.setHandoff(ctx, v.OpenID, "claimed by "+who.User.Name, complaintbot.ConversationWithAgent, ""); err != nil {
		return err
	}
	s.cacheEvent(ctx, h, e)
	s.tell(ctx, v.OpenID, complaintbot.HandoffEventID(h.ID, e.N), s.def.HandoffMessage(flows.HandoffAgentJoined, who.User.Label()))
	return nil
}

// Holds checks that who may act on the conversation as its holder: who holds it, or is a
// supervisor or admin of its branch (who may act on any held conversation there).
func (s *Service) Holds(who complaintbot.Actor, v *Conversation) error {
	if v.Handoff == nil || v.Handoff.Status != complaintbot.HandoffClaimed {
		return ErrNotHeld
	}
	if v.Holder != who.User.Name && !(who.User.Role.AtLeast(storage.RoleSupervisor) && who.User.Covers(v.BranchCode)) {
		return &HeldError{Holder: v.Holder}
	}
	return nil
}

// Release hands the conversation back to the bot (the intake goes on where it was); end says the
// service is over. Both tell the customer, and the customer is asked to rate the conversation.
func (s *Service) Release(ctx context.Context, who complaintbot.Actor, v *Conversation, end bool) error {
	if err := s.Holds(who, v); err != nil {
		return err
	}
	kind, text, action := evRelease, flows.HandoffReleased, "conversation.release"
	if end {
		kind, text, action = evEnd, flows.HandoffEnded, "conversation.end"
	}
	if err := s.audit(ctx, who, action, v.OpenID, v.BranchCode, "agent:"+v.Holder, "bot"); err != nil {
		return err
	}
	e := &complaintbot.HandoffEvent{Kind: kind, By: who.User.Name}
	if err := s.change(ctx, v.Handoff, e); err != nil {
		return err
	}
	if err := s.setHandoff(ctx, v.OpenID, kind+" by "+who.User.Name, complaintbot.ConversationWithBot, ""); err != nil {
		return err
	}
	s.cacheEvent(ctx, v.Handoff, e)
	s.tell(ctx, v.OpenID, complaintbot.HandoffEventID(v.Handoff.ID, e.N), s.def.HandoffMessage(text, ""))
	if sv := s.surveys.Load(); sv != nil { // the customer rates the conversation the agent handled
		if err := (*sv).ConversationEnded(ctx, v.OpenID, v.Handoff.ID, v.Holder); err != nil {
			s.log.Error("ask for a rating of the conversation", "err", err)
		}
	}
	return nil
}

// Transfer hands the conversation held by who to another agent (toUser, who is then named to the
// customer) or back to the queue of a branch (toBranch, storage.HeadOffice for head office).
func (s *Service) Transfer(ctx context.Context, who complaintbot.Actor, v *Conversation, toUser, toBranch string) error {
	if err := s.Holds(who, v); err != nil {
		return err
	}
	switch {
	case toUser != "":
		target, err := s.store.UserByName(ctx, toUser)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && !target.CanHandle(v.BranchCode)) {
			return ErrBadTarget
		}
		if err != nil {
			return err
		}
		if target.Name == v.Holder {
			return ErrSameAgent
		}
		if err := s.audit(ctx, who, "conversation.transfer", v.OpenID, v.BranchCode, "agent:"+v.Holder, "agent:"+target.Name); err != nil {
			return err
		}
		e := &complaintbot.HandoffEvent{Kind: evTransfer, Agent: target.Name, By: who.User.Name}
		if err := s.change(ctx, v.Handoff, e); err != nil {
			return err
		}
		s.cacheEvent(ctx, v.Handoff, e)
		s.tell(ctx, v.OpenID, complaintbot.HandoffEventID(v.Handoff.ID, e.N), s.def.HandoffMessage(flows.HandoffAgentJoined, target.Label()))
		s.bus.Publish(events.Event{Kind: events.Handoff, OpenID: v.OpenID, Ref: v.Handoff.ID, At: s.clock.Now()})
		return nil
	case toBranch != "":
		if !s.knownBranch(toBranch) {
			return ErrUnknownBranch
		}
		code := toBranch
		if code == storage.HeadOffice {
			code = ""
		}
		if err := s.audit(ctx, who, "conversation.transfer", v.OpenID, v.BranchCode, "agent:"+v.Holder, "branch:"+toBranch); err != nil {
			return err
		}
		e := &complaintbot.HandoffEvent{Kind: evRequeue, Branch: code, By: who.User.Name}
		if err := s.change(ctx, v.Handoff, e); err != nil {
			return err
		}
		if err := s.setHandoff(ctx, v.OpenID, "requeued to branch "+toBranch+" by "+who.User.Name, complaintbot.ConversationWaiting, v.Handoff.ID); err != nil {
			return err
		}
		s.cacheEvent(ctx, v.Handoff, e)
		s.bus.Publish(events.Event{Kind: events.Queued, OpenID: v.OpenID, Ref: v.Handoff.ID, At: s.clock.Now()})
		return nil
	}
	return ErrNoTarget
}

// Queue puts a conversation the bot has into the waiting queue (an agent's own choice), routed
// to the conversation's branch; take also claims it for the agent at once.
func (s *Service) Queue(ctx context.Context, who complaintbot.Actor, v *Conversation, take bool) error {
	if v.Handoff != nil {
		if take && v.Handoff.Status == complaintbot.HandoffWaiting {
			return s.Claim(ctx, who, v)
		}
		return ErrAlreadyQueued
	}
	now := s.clock.Now()
	id := fmt.Sprintf("%s#agent#%d", v.OpenID, now.UnixNano())
	code := v.BranchCode
	h := &complaintbot.Handoff{ID: id, OpenID: v.OpenID, Reason: ReasonAgentChoice, Status: complaintbot.HandoffWaiting, At: now}
	if err := s.audit(ctx, who, "conversation.queue", v.OpenID, code, "bot", "waiting"); err != nil {
		return err
	}
	if err := s.store.QueueHandoff(ctx, h); err != nil {
		return err
	}
	if err := s.store.UpdateHandoff(ctx, id, storage.HandoffUpdate{BranchCode: &code}); err != nil {
		return err
	}
	h.BranchCode = &code
	if err := s.setHandoff(ctx, v.OpenID, "queued by "+who.User.Name, complaintbot.ConversationWaiting, id); err != nil {
		return err
	}
	s.bus.Publish(events.Event{Kind: events.Queued, OpenID: v.OpenID, Ref: id, At: now})
	if take {
		queued := *v
		queued.Handoff = h
		queued.State.Handoff, queued.State.HandoffID = complaintbot.ConversationWaiting, id
		return s.Claim(ctx, who, &queued)
	}
	s.tell(ctx, v.OpenID, id, s.def.HandoffMessage(flows.HandoffQueuedByAgent, "")+s.AfterHoursNote(now))
	return nil
}

// change records ownership change number h.Seq+1; only one of several concurrent changes wins,
// the others get a *TakenError naming who won.
func (s *Service) change(ctx context.Context, h *complaintbot.Handoff, e *complaintbot.HandoffEvent) error {
	e.Handoff, e.OpenID, e.N, e.At = h.ID, h.OpenID, h.Seq+1, s.clock.Now()
	if err := s.store.AddHandoffEvent(ctx, e); err != nil {
		if storage.IsDuplicate(err) {
			return s.conflict(ctx, h, e.N)
		}
		return err
	}
	return nil
}

// conflict reads change n of the request, which someone else made first, brings the cache up to
// it, and says who made it.
func (s *Service) conflict(ctx context.Context, h *complaintbot.Handoff, n int) error {
	e, err := s.store.HandoffEventAt(ctx, h.ID, n)
	if err != nil {
		return &TakenError{}
	}
	s.cacheEvent(ctx, h, e)
	if e.Kind == evClaim || e.Kind == evTransfer {
		return &TakenError{By: e.Agent, Claimed: true}
	}
	return &TakenError{By: e.By}
}

// cacheEvent brings the request's cached ownership up to the change e.
func (s *Service) cacheEvent(ctx context.Context, h *complaintbot.Handoff, e *complaintbot.HandoffEvent) {
	u := storage.HandoffUpdate{Seq: &e.N, Agent: &e.Agent}
	status := complaintbot.HandoffClaimed
	switch e.Kind {
	case evRequeue:
		status = complaintbot.HandoffWaiting
		u.BranchCode = &e.Branch
	case evRelease, evEnd, evIdle:
		status = complaintbot.HandoffClosed
	case evClaim, evTransfer, evWeChatKF:
		at := e.At
		u.ActiveAt = &at
	}
	u.Status = &status
	if err := s.store.UpdateHandoff(ctx, h.ID, u); err != nil {
		s.log.Error("update handoff", "err", err)
	}
}

// setHandoff changes the conversation state's Handoff through a control turn; a customer put in
// the queue keeps the entry handoffID, so that their leaving the queue closes that entry.
func (s *Service) setHandoff(ctx context.Context, openID, note, to, handoffID string) error {
	_, err := s.convs.Control(ctx, openID, note, func(st *complaintbot.ConversationState) ([]string, error) {
		st.Handoff, st.HandoffID = to, handoffID
		return nil, nil
	})
	return err
}
