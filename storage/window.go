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
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, err
	}
	w := Window{LastInbound: last, Closes: last.Add(WindowLength)}
	n, err := s.ScanCollection("outbox").CountDocuments(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: OutboxSent},
		{Key: "channel", Value: "custom"}, {Key: "done_at", Value: bson.D{{Key: "$gte", Value: last}}}})
	if err != nil {
		return Window{}, fmt.Errorf("count messages sent in window: %w", err)
	}
	w.Sent = int(n)
	w.Remaining = w.remaining(now, 0)
	return w, nil
}

// remaining is how many more customer-service messages may go at now, with queued ones on the way.
func (w Window) remaining(now time.Time, queued int) int {
	if now.Before(w.Closes) && w.Sent+queued < WindowAllowance {
		return WindowAllowance - w.Sent - queued
	}
	return 0
}

// lastInbound returns when the customer last wrote (zero if never): the time of their newest turn
// that carries a message of theirs (not an agent's control change, not an unsubscribe). On the
// embedded server, which would read every turn for that query, it walks back from the newest turn
// by id (see LatestTurn); usually the newest turn is the one.
func (s *Store) lastInbound(ctx context.Context, openID string) (time.Time, error) {
	notCustomer := bson.A{complaintbot.InputControl, complaintbot.InputUnsubscribe}
	var t Turn
	if s.embedded == nil {
		filter := bson.D{{Key: "openid", Value: openID}, {Key: "in.type", Value: bson.D{{Key: "$nin", Value: notCustomer}}}}
		err := s.turns.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).
			SetProjection(bson.D{{Key: "at", Value: 1}})).Decode(&t)
		if notFound(err) == ErrNotFound {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("find last customer message: %w", err)
		}
		return t.At, nil
	}
	v, err := s.latestVersion(ctx, openID)
	if err != nil {
		return time.Time{}, err
	}
	for ; v > 0; v-- {
		t = Turn{}
		err := s.turns.FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}},
			options.FindOne().SetProjection(bson.D{{Key: "at", Value: 1}, {Key: "in.type", Value: 1}})).Decode(&t)
		if err != nil {
			return time.Time{}, fmt.Errorf("find last customer message: %w", notFound(err))
		}
		if t.In.Type != complaintbot.InputControl && t.In.Type != complaintbot.InputUnsubscribe {
			return t.At, nil
		}
	}
	return time.Time{}, nil
}
