package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// WindowWithQueue is MessagingWindow counting, besides the customer-service messages sent since the
// customer's last message, those still queued for delivery: what an agent may still send without
// WeChat refusing it. Sent and queued messages are counted in one query, so a message delivered
// meanwhile is counted exactly once.
func (s *Store) WindowWithQueue(ctx context.Context, openID string, now time.Time) (w Window, queued int, err error) {
	var t Turn
	filter := bson.D{{Key: "openid", Value: openID}, {Key: "in.type", Value: bson.D{{Key: "$nin", Value: bson.A{complaintbot.InputControl, complaintbot.InputUnsubscribe}}}}}
	err = s.turns.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).
		SetProjection(bson.D{{Key: "at", Value: 1}})).Decode(&t)
	if notFound(err) == ErrNotFound {
		return Window{}, 0, nil
	}
	if err != nil {
		return Window{}, 0, fmt.Errorf("find last customer message: %w", err)
	}
	w = Window{LastInbound: t.At, Closes: t.At.Add(WindowLength)}
	or := bson.A{
		bson.D{{Key: "status", Value: OutboxSent}, {Key: "channel", Value: "custom"}, {Key: "done_at", Value: bson.D{{Key: "$gte", Value: t.At}}}},
		bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{OutboxPending, OutboxUnknown}}}}},
	}
	cur, err := s.outbox.Find(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "$or", Value: or}},
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
	if now.Before(w.Closes) && w.Sent+queued < WindowAllowance {
		w.Remaining = WindowAllowance - w.Sent - queued
	}
	return w, queued, nil
}
