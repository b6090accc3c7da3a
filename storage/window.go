package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// WeChat lets an Official Account send customer-service messages to a customer only within
// WindowLength of the customer's last message, and at most WindowAllowance of them per window.
const (
	WindowLength    = 48 * time.Hour
	WindowAllowance = 5
)

// Window is where a customer's customer-service messaging window stands.
type Window struct {
	// LastInbound is the customer's last message (zero if none).
	LastInbound time.Time
	// Closes is when the window closes (LastInbound + 48 h).
	Closes time.Time
	// Sent counts customer-service messages sent since LastInbound.
	Sent int
	// Remaining is how many more may be sent now: 0 when the window is closed or used up.
	Remaining int
}

// Open reports whether a customer-service message may be sent now.
func (w Window) Open() bool { return w.Remaining > 0 }

// MessagingWindow tells whether and how many customer-service messages may be sent to the customer at now.
func (s *Store) MessagingWindow(ctx context.Context, openID string, now time.Time) (Window, error) {
	var t Turn
	filter := bson.D{{Key: "openid", Value: openID}, {Key: "in.type", Value: bson.D{{Key: "$nin", Value: bson.A{complaintbot.InputControl, complaintbot.InputUnsubscribe}}}}}
	err := s.turns.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).
		SetProjection(bson.D{{Key: "at", Value: 1}})).Decode(&t)
	if notFound(err) == ErrNotFound {
		return Window{}, nil
	}
	if err != nil {
		return Window{}, fmt.Errorf("find last customer message: %w", err)
	}
	w := Window{LastInbound: t.At, Closes: t.At.Add(WindowLength)}
	n, err := s.outbox.CountDocuments(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: OutboxSent},
		{Key: "channel", Value: "custom"}, {Key: "done_at", Value: bson.D{{Key: "$gte", Value: t.At}}}})
	if err != nil {
		return Window{}, fmt.Errorf("count messages sent in window: %w", err)
	}
	w.Sent = int(n)
	if now.Before(w.Closes) && w.Sent < WindowAllowance {
		w.Remaining = WindowAllowance - w.Sent
	}
	return w, nil
}
