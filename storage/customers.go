package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

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
