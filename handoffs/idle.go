package handoffs

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
)

// ReturnIdle hands every conversation held by an agent with no activity (no customer message,
// no agent reply) for console.agent_idle_timeout back to the bot and tells the customer; when
// WeChat allows no customer-service message now, the notice is put on the list of customers to
// call instead (see tellOrCall), so the customer is never returned silently. Several callers may
// run it at once: each conversation is returned once. It returns how many it returned. The
// scheduler runs it (scheduler.JobIdleReturn), under a lease.
func (s *Service) ReturnIdle(ctx context.Context) (int, error) {
	hs, err := s.store.ActiveHandoffs(ctx, 500)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	limit := s.cfg.AgentIdleTimeout.D()
	n := 0
	for i := range hs {
		h := &hs[i]
		if h.Status != complaintbot.HandoffClaimed || h.Mode == evWeChatKF {
			continue
		}
		last := h.At
		if h.ActiveAt.After(last) {
			last = h.ActiveAt
		}
		if now.Sub(last) < limit {
			continue
		}
		t, err := s.store.LatestTurn(ctx, h.OpenID)
		if err != nil {
			return n, err
		}
		if t.At.After(last) {
			last = t.At
		}
		if now.Sub(last) < limit {
			continue
		}
		code := ""
		if h.BranchCode != nil {
			code = *h.BranchCode
		}
		if err := s.audit(ctx, complaintbot.System, "conversation.idle_return", h.OpenID, code, "agent:"+h.Agent, "bot"); err != nil {
			return n, err
		}
		e := &complaintbot.HandoffEvent{Kind: evIdle, By: complaintbot.SystemUser}
		if err := s.change(ctx, h, e); err != nil {
			var taken *TakenError
			if errors.As(err, &taken) {
				continue // someone else changed it meanwhile
			}
			return n, err
		}
		if err := s.setHandoff(ctx, h.OpenID, "returned to the bot after agent idle", complaintbot.ConversationWithBot, ""); err != nil {
			return n, err
		}
		s.cacheEvent(ctx, h, e)
		s.tellOrCall(ctx, h.OpenID, complaintbot.HandoffEventID(h.ID, e.N), s.def.HandoffMessage(flows.HandoffIdleReturn, ""))
		n++
	}
	return n, nil
}
