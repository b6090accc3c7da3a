package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// readyCollections remembers the collections created at run time that this process has made
// ready (see readyCollection), by database and name.
var readyCollections sync.Map

type indexedDay struct {
	db   *mongo.Database
	name string
}

// readyCollection returns the named collection, one of those made at run time (a day's scheduled
// entries or report facts), ready for use: on MongoDB with its index on keys (if any); on the
// embedded server created at once with an _id index that lookups use. FerretDB builds a new
// collection's _id index on an expression its own lookups do not match (see indexEmbeddedIDs), so
// until the hourly re-index every lookup, update or replace by _id in a collection created by an
// insert read the whole collection, on the connection the webhook waits on: with a day's report
// facts and scheduled entries growing by a few thousand in an afternoon, that took the connection
// for seconds at a time and stalled every customer (issue 15).
func (s *Store) readyCollection(ctx context.Context, name string, keys bson.D) (*mongo.Collection, error) {
	c := s.db.Collection(name)
	key := indexedDay{s.db, name}
	if _, ok := readyCollections.Load(key); ok {
		return c, nil
	}
	if s.embedded != nil {
		if err := s.db.CreateCollection(ctx, name); err != nil && !isNamespaceExists(err) {
			return nil, fmt.Errorf("create collection %s: %w", name, err)
		}
		if err := s.indexNewCollection(ctx); err != nil {
			// Usable all the same, only slower by _id until the hourly re-index; the next use
			// of the collection tries again.
			s.log.Warn("index a new collection", "collection", name, "err", err)
			return c, nil
		}
	} else if len(keys) > 0 {
		if err := s.createIndex(ctx, c, keys, false); err != nil {
			return nil, err
		}
	}
	readyCollections.Store(key, true)
	return c, nil
}

// indexNewCollection runs IndexEmbedded, again a few times if SQLite is busy: the re-index is a
// write transaction of its own beside FerretDB's, and a write that lands between its read and its
// write makes SQLite refuse it at once (SQLITE_BUSY) rather than wait.
func (s *Store) indexNewCollection(ctx context.Context) error {
	var err error
	for _, wait := range []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond, 0} {
		if err = s.IndexEmbedded(ctx); err == nil || !strings.Contains(err.Error(), "locked") && !strings.Contains(err.Error(), "busy") {
			return err
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	return err
}

// isNamespaceExists reports whether err says the collection exists already (code 48).
func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}
