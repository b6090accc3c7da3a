package storagetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reads that only tests make: the service itself never lists these this way (on the embedded
// server each of these filters reads the whole collection), so they are not part of the store's
// API. Each reads through the store's collections as the store wrote them.

// Reminders returns the open reminders due by now (at <= now), soonest deadline first, of the
// branches (nil: every branch); at most 1000.
func Reminders(ctx context.Context, s *storage.Store, branches []string, now time.Time) ([]storage.Reminder, error) {
	filter := bson.D{{Key: "done", Value: false}, {Key: "at", Value: bson.D{{Key: "$lte", Value: now}}}}
	if len(branches) > 0 {
		filter = append(filter, bson.E{Key: "branch", Value: bson.D{{Key: "$in", Value: branches}}})
	}
	out, err := findAll[storage.Reminder](ctx, s.ScanCollection("reminders"), filter, options.Find().SetSort(bson.D{{Key: "due", Value: 1}}).SetLimit(1000))
	if err != nil {
		return nil, fmt.Errorf("list reminders: %w", err)
	}
	return out, nil
}

// FollowUps returns the follow-ups of the branches (nil: every branch) in the status ("": any),
// oldest first; at most 1000.
func FollowUps(ctx context.Context, s *storage.Store, branches []string, status storage.FollowUpStatus) ([]storage.FollowUp, error) {
	filter := bson.D{}
	if status != "" {
		filter = append(filter, bson.E{Key: "status", Value: status})
	}
	if len(branches) > 0 {
		filter = append(filter, bson.E{Key: "branch", Value: bson.D{{Key: "$in", Value: branches}}})
	}
	out, err := findAll[storage.FollowUp](ctx, s.ScanCollection("follow_ups"), filter, options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}).SetLimit(1000))
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	return out, nil
}

// SurveysOfCase returns up to limit surveys of the case, in no particular order.
func SurveysOfCase(ctx context.Context, s *storage.Store, number string, limit int) ([]complaintbot.Survey, error) {
	out, err := findAll[complaintbot.Survey](ctx, s.Collection("surveys"), bson.D{{Key: "case", Value: number}}, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list surveys of case %s: %w", number, err)
	}
	return out, nil
}

// Subscribed reports whether the customer follows the account as the store last recorded it
// (Store.RecordSubscription); a customer never seen counts as following (they wrote to us).
func Subscribed(ctx context.Context, s *storage.Store, openID string) (bool, error) {
	var doc struct {
		Subscribed bool `bson:"subscribed"`
	}
	err := s.Collection("customers").FindOne(ctx, bson.D{{Key: "_id", Value: openID}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load subscription of %s: %w", openID, err)
	}
	return doc.Subscribed, nil
}

// findAll decodes every document of c that filter selects.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter bson.D, opts ...options.Lister[options.FindOptions]) ([]T, error) {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}
