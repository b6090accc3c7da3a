package storage

import (
	"context"
	"fmt"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// quickRepliesSeeded is the id of the marker recording that the configured canned replies were
// copied into the quick replies once: deleting them in the console must not bring them back.
const quickRepliesSeeded = "_seeded"

func init() { addCollection("quick_replies") }

// QuickReplies returns every quick reply, oldest first. The list is small (a few per branch) and
// read on the scan connection.
func (s *Store) QuickReplies(ctx context.Context) ([]complaintbot.QuickReply, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("quick_replies").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "updated_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(5000))
	if err != nil {
		return nil, fmt.Errorf("list quick replies: %w", err)
	}
	var all []complaintbot.QuickReply
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("list quick replies: %w", err)
	}
	out := all[:0]
	for _, q := range all {
		if q.ID != quickRepliesSeeded {
			out = append(out, q)
		}
	}
	return out, nil
}

// QuickReply returns one quick reply, or ErrNotFound.
func (s *Store) QuickReply(ctx context.Context, id string) (*complaintbot.QuickReply, error) {
	var q complaintbot.QuickReply
	if id == quickRepliesSeeded {
		return nil, fmt.Errorf("load quick reply %s: %w", id, ErrNotFound)
	}
	if err := s.db.Collection("quick_replies").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&q); err != nil {
		return nil, fmt.Errorf("load quick reply %s: %w", id, notFound(err))
	}
	return &q, nil
}

// PutQuickReply stores the quick reply, replacing the one with its id.
func (s *Store) PutQuickReply(ctx context.Context, q *complaintbot.QuickReply) error {
	_, err := s.db.Collection("quick_replies").ReplaceOne(ctx, bson.D{{Key: "_id", Value: q.ID}}, q, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save quick reply %s: %w", q.ID, err)
	}
	return nil
}

// DeleteQuickReply removes the quick reply; ErrNotFound if there is none with the id.
func (s *Store) DeleteQuickReply(ctx context.Context, id string) error {
	if id == quickRepliesSeeded {
		return fmt.Errorf("delete quick reply %s: %w", id, ErrNotFound)
	}
	r, err := s.db.Collection("quick_replies").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return fmt.Errorf("delete quick reply %s: %w", id, err)
	}
	if r.DeletedCount == 0 {
		return fmt.Errorf("delete quick reply %s: %w", id, ErrNotFound)
	}
	return nil
}

// SeedQuickReplies stores the replies (with fixed ids) once in the database's life: it reports
// false, storing nothing, when they were seeded before, even if they were all deleted since.
func (s *Store) SeedQuickReplies(ctx context.Context, replies []complaintbot.QuickReply) (bool, error) {
	c := s.db.Collection("quick_replies")
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: quickRepliesSeeded}}).Err()
	if err == nil {
		return false, nil
	}
	if notFound(err) != ErrNotFound {
		return false, fmt.Errorf("seed quick replies: %w", err)
	}
	// The replies first, then the mark: a seed cut short is done again, each reply once.
	for i := range replies {
		if _, err := c.InsertOne(ctx, &replies[i]); err != nil && !IsDuplicate(err) {
			return false, fmt.Errorf("seed quick reply %s: %w", replies[i].ID, err)
		}
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: quickRepliesSeeded}}); err != nil && !IsDuplicate(err) {
		return false, fmt.Errorf("seed quick replies: %w", err)
	}
	return true, nil
}
