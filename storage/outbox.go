package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// OutboxStatus is where an outgoing message stands.
type OutboxStatus string

// The statuses of an outgoing message.
const (
	OutboxPending       OutboxStatus = "pending"       // waiting for its next attempt
	OutboxSent          OutboxStatus = "sent"          // WeChat accepted it
	OutboxFailed        OutboxStatus = "failed"        // given up after the attempt limit or a permanent error
	OutboxUndeliverable OutboxStatus = "undeliverable" // no channel WeChat allows: call the customer
	OutboxUnknown       OutboxStatus = "unknown"       // an attempt was cut off mid-send: check before resending
)

// OutboxMessage is a message the service sends on its own initiative, delivered by the outbox worker.
type OutboxMessage struct {
	// ID is the idempotency key: enqueueing the same ID twice sends once.
	ID     string `bson:"_id"`
	OpenID string `bson:"openid"`
	Text   string `bson:"text"`
	// Purpose says why it is sent (reply, agent, notice, survey); template delivery is chosen by it.
	Purpose    string       `bson:"purpose"`
	CaseNumber string       `bson:"case_number,omitempty"`
	Status     OutboxStatus `bson:"status"`
	Attempts   int          `bson:"attempts"`
	NextAt     time.Time    `bson:"next_at"`
	LastError  string       `bson:"last_error,omitempty"`
	Created    time.Time    `bson:"created_at"`
	Done       *time.Time   `bson:"done_at,omitempty"`
	// Channel records how it went out: "custom" (customer-service message) or "template".
	Channel string `bson:"channel,omitempty"`
	// By names who sent it: "bot", an agent's username, or "system".
	By string `bson:"by,omitempty"`
}

// Enqueue adds the message to the outbox as pending. A message whose ID is queued already is left
// as it is and Enqueue returns false.
func (s *Store) Enqueue(ctx context.Context, m *OutboxMessage) (bool, error) {
	if m.Status == "" {
		m.Status = OutboxPending
	}
	if m.NextAt.IsZero() {
		m.NextAt = m.Created
	}
	_, err := s.outbox.InsertOne(ctx, m)
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue outbox message %s: %w", m.ID, err)
	}
	return true, nil
}

// OutboxMessage returns the queued message with the given ID, or ErrNotFound.
func (s *Store) OutboxMessage(ctx context.Context, id string) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := s.outbox.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
		return nil, fmt.Errorf("load outbox message %s: %w", id, notFound(err))
	}
	return &m, nil
}

// DueOutbox returns up to limit pending messages whose next attempt is due at now, oldest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	filter := bson.D{{Key: "status", Value: OutboxPending}, {Key: "next_at", Value: bson.D{{Key: "$lte", Value: now}}}}
	cur, err := s.outbox.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find due outbox messages: %w", err)
	}
	var out []OutboxMessage
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("find due outbox messages: %w", err)
	}
	return out, nil
}

// ClaimAttempt makes this caller the only one to make attempt number n at the message: it returns
// false when another worker (of any instance) claimed that attempt first.
func (s *Store) ClaimAttempt(ctx context.Context, id string, n int, owner string, now time.Time) (bool, error) {
	_, err := s.attempts.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s#%d", id, n)}, {Key: "owner", Value: owner}, {Key: "at", Value: now}})
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim attempt %d of %s: %w", n, id, err)
	}
	return true, nil
}

// AttemptClaimedAt returns when attempt n at the message was claimed, or ErrNotFound.
func (s *Store) AttemptClaimedAt(ctx context.Context, id string, n int) (time.Time, error) {
	var doc struct {
		At time.Time `bson:"at"`
	}
	if err := s.attempts.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s#%d", id, n)}}).Decode(&doc); err != nil {
		return time.Time{}, fmt.Errorf("load attempt %d of %s: %w", n, id, notFound(err))
	}
	return doc.At, nil
}

// OutboxOutcome is the result of one delivery attempt.
type OutboxOutcome struct {
	Status  OutboxStatus
	NextAt  time.Time // for OutboxPending: when to try again
	Error   string
	Channel string
	At      time.Time
}

// RecordOutcome stores the result of attempt number n (counted from 1) at the message.
func (s *Store) RecordOutcome(ctx context.Context, id string, n int, o OutboxOutcome) error {
	set := bson.D{{Key: "status", Value: o.Status}, {Key: "attempts", Value: n}, {Key: "last_error", Value: o.Error}}
	if o.Status == OutboxPending {
		set = append(set, bson.E{Key: "next_at", Value: o.NextAt})
	} else {
		set = append(set, bson.E{Key: "done_at", Value: o.At})
	}
	if o.Channel != "" {
		set = append(set, bson.E{Key: "channel", Value: o.Channel})
	}
	if _, err := s.outbox.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("record outcome of %s: %w", id, err)
	}
	return nil
}
