package storage_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The observer tells reads by _id from everything else, for every kind of command.
func TestObserveTellsLookupsByIDFromScans(t *testing.T) {
	var mu sync.Mutex
	var seen []storage.Command
	st, err := storage.Open(context.Background(), storage.Options{DataDir: t.TempDir(), Database: "obs", Logger: slog.New(slog.DiscardHandler),
		Observe: func(c storage.Command) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, c)
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	ctx := context.Background()
	c := st.Collection("things")
	byID := bson.D{{Key: "_id", Value: "a"}}
	other := bson.D{{Key: "_id", Value: "a"}, {Key: "x", Value: 1}}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 2}}}}
	steps := []struct {
		name string
		run  func() error
		want bool
	}{
		{"insert", func() error {
			_, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "x", Value: 1}})
			return err
		}, true},
		{"find", func() error { return c.FindOne(ctx, byID).Err() }, true},
		{"find", func() error { return c.FindOne(ctx, other).Err() }, false},
		{"find", func() error { return c.FindOne(ctx, bson.D{{Key: "x", Value: 1}}).Err() }, false},
		{"update", func() error { _, err := c.UpdateOne(ctx, byID, set); return err }, true},
		{"update", func() error { _, err := c.UpdateOne(ctx, other, set); return err }, false},
		{"findAndModify", func() error { return c.FindOneAndUpdate(ctx, other, set).Err() }, false},
		{"count", func() error { _, err := c.CountDocuments(ctx, bson.D{}); return err }, false},
		{"delete", func() error { _, err := c.DeleteOne(ctx, byID); return err }, true},
		{"delete", func() error { _, err := c.DeleteMany(ctx, bson.D{{Key: "x", Value: 2}}); return err }, false},
	}
	for i, s := range steps {
		mu.Lock()
		seen = nil
		mu.Unlock()
		if err := s.run(); err != nil && err.Error() != "mongo: no documents in result" {
			t.Fatalf("step %d: %v", i, err)
		}
		mu.Lock()
		var got *storage.Command
		for j := range seen {
			if seen[j].Collection == "things" {
				got = &seen[j]
			}
		}
		mu.Unlock()
		if got == nil || got.ByID != s.want {
			t.Errorf("step %d (%s): saw %+v, want by-id %v", i, s.name, got, s.want)
		}
	}
}
