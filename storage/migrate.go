package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
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
	{"window-sends-from-outbox", migrateWindowSends},
	{"work-lists", migrateWorkLists},                  // list_entries.go
	{"customer-cases-backfill", migrateCustomerCases}, // customer_cases.go
	{"customer-cases-keyed", migrateCustomerKeys},     // customer_cases.go
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
	ctx, stop := s.scanContext(ctx)
	defer stop()
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

// migrateWindowSends builds the per-customer record of customer-service messages sent (see
// WindowSendsCollection) from the outbox of an older version, which counted them there.
func migrateWindowSends(ctx context.Context, s *Store) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("outbox").Find(ctx, bson.D{{Key: "status", Value: complaintbot.OutboxSent}, {Key: "channel", Value: "custom"}},
		options.Find().SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "done_at", Value: 1}}))
	if err != nil {
		return err
	}
	var sent []complaintbot.OutboxMessage
	if err := cur.All(ctx, &sent); err != nil {
		return err
	}
	byCustomer := map[string][]time.Time{}
	for _, m := range sent {
		if m.Done != nil && m.OpenID != "" {
			byCustomer[m.OpenID] = append(byCustomer[m.OpenID], *m.Done)
		}
	}
	docs := make([]any, 0, len(byCustomer))
	for openID, ts := range byCustomer {
		slices.SortFunc(ts, time.Time.Compare)
		if len(ts) > windowKeep {
			ts = ts[len(ts)-windowKeep:]
		}
		docs = append(docs, windowSends{OpenID: openID, Sent: ts})
	}
	for len(docs) > 0 {
		n := min(len(docs), 1000)
		if _, err := insertManyDups(ctx, s.db.Collection(WindowSendsCollection), docs[:n]); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}
