package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// WindowWithQueue is MessagingWindow counting, besides the customer-service messages sent since the
// customer's last message, those still queued for delivery: what an agent may still send without
// WeChat refusing it. Sent and queued messages are counted in one query, so a message delivered
// meanwhile is counted exactly once.
func (s *Store) WindowWithQueue(ctx context.Context, openID string, now time.Time) (w Window, queued int, err error) {
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, 0, err
	}
	w = Window{LastInbound: last, Closes: last.Add(WindowLength)}
	or := bson.A{
		bson.D{{Key: "status", Value: OutboxSent}, {Key: "channel", Value: "custom"}, {Key: "done_at", Value: bson.D{{Key: "$gte", Value: last}}}},
		bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{OutboxPending, OutboxUnknown}}}}},
	}
	cur, err := s.ScanCollection("outbox").Find(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "$or", Value: or}},
		options.Find().SetProjection(bson.D{{Key: "status", Value: 1}}).SetLimit(100))
	if err != nil {
		return Window{}, 0, fmt.Errorf("count messages in window: %w", err)
	}
	var docs []struct {
		Status OutboxStatus `bson:"status"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return Window{}, 0, fmt.Errorf("count messages in window: %w", err)
	}
	for _, d := range docs {
		if d.Status == OutboxSent {
			w.Sent++
		} else {
			queued++
		}
	}
	w.Remaining = w.remaining(now, queued)
	return w, queued, nil
}
