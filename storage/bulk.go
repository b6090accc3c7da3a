package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxUpdateStatements bounds the update statements (ReplaceOne, UpdateOne) of one bulk write.
// The embedded server (FerretDB 1.24) keeps each update statement's query open until the whole
// command ends, one SQLite connection each, from a pool of 100 per database shared with every
// other request: a bulk write of about a hundred updates waits for a connection that never
// frees, until the client's timeout. Deletes and inserts close theirs at once.
const maxUpdateStatements = 32

// bulkWrite runs the models as unordered bulk writes of at most maxUpdateStatements each (one
// command on MongoDB costs the same as several); an error names how many of the models were
// written before it.
func bulkWrite(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) error {
	for start := 0; start < len(models); start += maxUpdateStatements {
		end := min(start+maxUpdateStatements, len(models))
		if _, err := c.BulkWrite(ctx, models[start:end], options.BulkWrite().SetOrdered(false)); err != nil {
			return fmt.Errorf("bulk write (%d of %d done before): %w", start, len(models), err)
		}
	}
	return nil
}

// scanBatches runs fn over the documents matching filter, batch at a time, through one cursor.
// sort is applied only on MongoDB, where an index serves it; the embedded server would sort the
// whole result in memory, so there the documents come in storage order.
func scanBatches[T any](ctx context.Context, s *Store, c *mongo.Collection, filter, sort bson.D, batch int, fn func([]T) error) error {
	opts := options.Find().SetBatchSize(int32(batch))
	if !s.Embedded() && sort != nil {
		opts.SetSort(sort)
	}
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	buf := make([]T, 0, batch)
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return fmt.Errorf("scan %s: decode: %w", c.Name(), err)
		}
		buf = append(buf, v)
		if len(buf) == batch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = make([]T, 0, batch)
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("scan %s: %w", c.Name(), err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}

// insertManyDups inserts docs without stopping at duplicates; dup[i] is true for each document
// whose id (or other unique key) was taken already. Any other error is returned.
func insertManyDups(ctx context.Context, c *mongo.Collection, docs []any) ([]bool, error) {
	dup := make([]bool, len(docs))
	if len(docs) == 0 {
		return dup, nil
	}
	_, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return dup, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return nil, err
	}
	for _, we := range bwe.WriteErrors {
		if !isDupCode(we.Code, we.Message) || we.Index < 0 || we.Index >= len(docs) {
			return nil, err
		}
		dup[we.Index] = true
	}
	return dup, nil
}

// isDupCode reports whether a write error's code or message says a unique key was taken already.
func isDupCode(code int, msg string) bool {
	return code == 11000 || code == 11001 || code == 12582 || strings.Contains(msg, "E11000")
}

// deleteByTime deletes the documents of the collection name matching extra whose field lies in
// [from, to), and returns how many it deleted. On MongoDB one DeleteMany does it, by index. On
// the embedded server, where only a filter of exactly {_id} is served without reading the whole
// collection, the documents are found on the scan connection and deleted by _id on the main one,
// so that the customers' writes never wait behind a purge's scan.
func (s *Store) deleteByTime(ctx context.Context, name, field string, from, to time.Time, extra bson.D) (int64, error) {
	filter := append(bson.D{{Key: field, Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: to}}}}, extra...)
	if s.embedded == nil {
		r, err := s.db.Collection(name).DeleteMany(ctx, filter)
		if err != nil {
			return 0, fmt.Errorf("delete old documents of %s: %w", name, err)
		}
		return r.DeletedCount, nil
	}
	ids, err := s.scanIDs(ctx, name, filter)
	if err != nil {
		return 0, fmt.Errorf("find old documents of %s: %w", name, err)
	}
	var n int64
	for start := 0; start < len(ids); start += maxDeleteStatements {
		end := min(start+maxDeleteStatements, len(ids))
		models := make([]mongo.WriteModel, 0, end-start)
		for _, id := range ids[start:end] {
			models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
		}
		r, err := s.db.Collection(name).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if r != nil {
			n += r.DeletedCount
		}
		if err != nil {
			return n, fmt.Errorf("delete old documents of %s (%d of %d done before): %w", name, start, len(ids), err)
		}
	}
	return n, nil
}

// maxDeleteStatements bounds the deletes of one bulk write on the embedded server: each is its own
// statement, and a short command lets the customers' writes in between.
const maxDeleteStatements = 100

// scanIDs returns the _id of every document of the collection name matching filter, read on the
// scan connection.
func (s *Store) scanIDs(ctx context.Context, name string, filter bson.D) ([]any, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(name).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var ids []any
	err = eachDecoded(ctx, cur, func(d *struct {
		ID any `bson:"_id"`
	}) error {
		ids = append(ids, d.ID)
		return nil
	})
	return ids, err
}

// purgeFrom is the earliest time a purge looks at.
var purgeFrom = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// eachDecoded decodes every document of cur in turn and calls fn with it, then closes cur; fn's
// error ends the walk and is returned as it is.
func eachDecoded[T any](ctx context.Context, cur *mongo.Cursor, fn func(*T) error) error {
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		var v T
		if err := cur.Decode(&v); err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	return cur.Err()
}
