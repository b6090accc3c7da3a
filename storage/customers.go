package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// HandoffStatus is where a customer's request for a person stands.
type HandoffStatus string

// The statuses of a handoff request.
const (
	HandoffWaiting HandoffStatus = "waiting"
	HandoffClaimed HandoffStatus = "claimed"
	HandoffClosed  HandoffStatus = "closed"
)

// Handoff is a customer's request to talk to a person, queued for the agents.
type Handoff struct {
	// ID is the id of the turn that asked, so a retried request queues once.
	ID     string        `bson:"_id"`
	OpenID string        `bson:"openid"`
	Reason string        `bson:"reason"`
	Status HandoffStatus `bson:"status"`
	At     time.Time     `bson:"at"`
	Agent  string        `bson:"agent,omitempty"`
}

// QueueHandoff records the request; a request with an id queued already is not queued again.
func (s *Store) QueueHandoff(ctx context.Context, h *Handoff) error {
	if _, err := s.handoffs.InsertOne(ctx, h); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("queue handoff %s: %w", h.ID, err)
	}
	return nil
}

// CloseHandoff closes the queue entry id if it is still waiting — the customer left the queue —
// recording why, and reports whether it did. It reads the entry by _id; on MongoDB the update is
// also conditional on the status (so an agent's claim at the same moment wins or loses whole), on
// the embedded server, which serves every request on one connection, by _id alone (any other
// filter would read the whole collection).
func (s *Store) CloseHandoff(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	var h Handoff
	err := s.handoffs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&h)
	if notFound(err) == ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("close handoff %s: %w", id, err)
	}
	if h.Status != HandoffWaiting {
		return false, nil
	}
	filter := bson.D{{Key: "_id", Value: id}}
	if s.embedded == nil {
		filter = append(filter, bson.E{Key: "status", Value: HandoffWaiting})
	}
	r, err := s.handoffs.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: HandoffClosed},
		{Key: "closed_at", Value: at}, {Key: "closed_reason", Value: reason}}}})
	if err != nil {
		return false, fmt.Errorf("close handoff %s: %w", id, err)
	}
	return r.ModifiedCount > 0, nil
}

// WaitingHandoffs returns the queued requests, oldest first.
func (s *Store) WaitingHandoffs(ctx context.Context, limit int) ([]Handoff, error) {
	cur, err := s.handoffs.Find(ctx, bson.D{{Key: "status", Value: HandoffWaiting}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	var out []Handoff
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	return out, nil
}

// RecordSubscription remembers whether the customer follows the account, and since when.
func (s *Store) RecordSubscription(ctx context.Context, openID string, subscribed bool, at time.Time) error {
	_, err := s.customers.UpdateOne(ctx, bson.D{{Key: "_id", Value: openID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "subscribed", Value: subscribed}, {Key: "subscription_changed_at", Value: at}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record subscription: %w", err)
	}
	return nil
}

// Subscribed reports whether the customer follows the account; a customer never seen counts as
// following (they wrote to us).
func (s *Store) Subscribed(ctx context.Context, openID string) (bool, error) {
	var doc struct {
		Subscribed bool `bson:"subscribed"`
	}
	err := s.customers.FindOne(ctx, bson.D{{Key: "_id", Value: openID}}).Decode(&doc)
	if notFound(err) == ErrNotFound {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load subscription: %w", err)
	}
	return doc.Subscribed, nil
}
