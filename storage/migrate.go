package storage

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MetaCollection holds the store's own records, such as which data migrations are done.
const MetaCollection = "storage_meta"

func init() { addCollection(MetaCollection) }

// migrations run once per database, in order, at Open; each is recorded in MetaCollection under
// its name when it has completed, and must be safe to run again if it was cut off.
var migrations = []struct {
	name string
	run  func(ctx context.Context, s *Store) error
}{
	{"transcript-lines-by-customer", migrateLines},
}

// migrate runs the migrations not recorded as done.
func (s *Store) migrate(ctx context.Context) error {
	meta := s.db.Collection(MetaCollection)
	for _, m := range migrations {
		err := meta.FindOne(ctx, bson.D{{Key: "_id", Value: "migration:" + m.name}}).Err()
		if err == nil {
			continue
		}
		if notFound(err) != ErrNotFound {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := m.run(ctx, s); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := meta.InsertOne(ctx, bson.D{{Key: "_id", Value: "migration:" + m.name}}); err != nil && !IsDuplicate(err) {
			return fmt.Errorf("migration %s: record it: %w", m.name, err)
		}
	}
	return nil
}

// migrateLines moves transcript lines written before lines were numbered per customer (their _id
// was the caller's key) into each customer's sequence, oldest first.
func migrateLines(ctx context.Context, s *Store) error {
	cur, err := s.ScanCollection("messages").Find(ctx, bson.D{{Key: "key", Value: bson.D{{Key: "$exists", Value: false}}}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return err
	}
	var old []Line
	if err := cur.All(ctx, &old); err != nil {
		return err
	}
	for _, l := range old {
		if err := s.AppendLine(ctx, l); err != nil {
			return err
		}
		if _, err := s.messages.DeleteOne(ctx, bson.D{{Key: "_id", Value: l.ID}}); err != nil {
			return err
		}
	}
	return nil
}
