package handoffs

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
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
		if h.Status != storage.HandoffClaimed || h.Mode == evWeChatKF {
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
		e := &storage.HandoffEvent{Kind: evIdle, By: SystemName}
		if err := s.change(ctx, h, e); err != nil {
			var taken *TakenError
			if errors.As(err, &taken) {
				continue // someone else changed it meanwhile
			}
			return n, err
		}
		if err := s.setHandoff(ctx, h.OpenID, "returned to the bot after agent idle", flows.HandoffNone, ""); err != nil {
			return n, err
		}
		s.cacheEvent(ctx, h, e)
		s.tellOrCall(ctx, h.OpenID, storage.HandoffEventID(h.ID, e.N), s.def.HandoffMessage(flows.HandoffIdleReturn, ""))
		code := ""
		if h.BranchCode != nil {
			code = *h.BranchCode
		}
		s.audit(ctx, system, "conversation.idle_return", h.OpenID, code, "agent:"+h.Agent, "bot")
		n++
	}
	return n, nil
}
