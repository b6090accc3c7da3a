package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// WindowWithQueue is MessagingWindow counting, besides the customer-service messages sent since the
// customer's last message, those still queued for delivery (or of unknown outcome): what an agent
// may still send without WeChat refusing it. A message delivered between the two counts may be
// counted twice, never not at all.
func (s *Store) WindowWithQueue(ctx context.Context, openID string, now time.Time) (w Window, queued int, err error) {
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, 0, err
	}
	w = Window{LastInbound: last, Closes: last.Add(WindowLength)}
	if s.embedded != nil {
		queued, err = s.queuedEmbedded(ctx, openID)
	} else {
		var n int64
		n, err = s.outbox.CountDocuments(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{OutboxPending, OutboxUnknown}}}}})
		queued = int(n)
	}
	if err != nil {
		return Window{}, 0, fmt.Errorf("count messages queued in window: %w", err)
	}
	// Counted after the queue: a message sent in between counts twice rather than not at all.
	if w.Sent, err = s.windowSent(ctx, openID, last); err != nil {
		return Window{}, 0, err
	}
	w.Remaining = w.remaining(now, queued)
	return w, queued, nil
}
