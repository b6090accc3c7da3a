package handoffs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
)

// ExpireWaiting takes the customers who have waited for a person since before cutoff out of the
// queue, looking at up to limit waiting entries, and tells each (the flow file's queue_expired
// notice); an entry whose conversation an agent holds is left for the agent to settle. It returns
// how many entries it closed and how many it looked at: fewer than limit looked at means there are
// no more. The scheduler's housekeeping job calls it (scheduler.queue_expiry), under its lease;
// a second call closes nothing twice and tells no one twice.
func (s *Service) ExpireWaiting(ctx context.Context, cutoff time.Time, limit int) (expired, seen int, err error) {
	waiting, err := s.store.WaitingHandoffs(ctx, limit)
	if err != nil {
		return 0, 0, fmt.Errorf("expire the queue: %w", err)
	}
	now := s.clock.Now()
	for _, h := range waiting {
		if h.At.After(cutoff) {
			continue
		}
		st, err := s.convs.State(ctx, h.OpenID)
		if err != nil {
			return expired, len(waiting), fmt.Errorf("expire the queue: %w", err)
		}
		if st.Handoff == complaintbot.ConversationWithAgent {
			continue // an agent has the conversation; the console settles the entry
		}
		if _, text, ok := s.engine.LeaveQueue(st); ok {
			if _, err := s.convs.Control(ctx, h.OpenID, "queue expired", func(st *complaintbot.ConversationState) ([]string, error) {
				if left, _, ok := s.engine.LeaveQueue(*st); ok {
					*st = left
				}
				return nil, nil
			}); err != nil {
				return expired, len(waiting), fmt.Errorf("expire the queue: %w", err)
			}
			m := &complaintbot.OutboxMessage{ID: expiredID(h.ID), OpenID: h.OpenID, Text: text,
				Purpose: complaintbot.PurposeSystem, Created: now, By: complaintbot.SystemUser}
			if _, err := s.store.Enqueue(ctx, m); err != nil {
				return expired, len(waiting), fmt.Errorf("expire the queue: tell the customer: %w", err)
			}
		}
		closed, err := s.store.CloseHandoff(ctx, h.ID, "expired", now)
		if err != nil {
			return expired, len(waiting), fmt.Errorf("expire the queue: %w", err)
		}
		if closed {
			expired++
		}
	}
	return expired, len(waiting), nil
}

// expiredID is the outbox id of the notice that the queue entry id expired: once per entry.
func expiredID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "queue-expired:" + hex.EncodeToString(sum[:10])
}
