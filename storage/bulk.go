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

// deleteByTime deletes the documents of c matching extra whose field lies in [from, to). The
// embedded server refuses to delete tens of thousands of documents in one statement ("too many SQL
// variables"), so a range it refuses is split in two, down to a second.
func deleteByTime(ctx context.Context, c *mongo.Collection, field string, from, to time.Time, extra bson.D) (int64, error) {
	filter := append(bson.D{{Key: field, Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: to}}}}, extra...)
	r, err := c.DeleteMany(ctx, filter)
	if err == nil {
		return r.DeletedCount, nil
	}
	if !strings.Contains(err.Error(), "too many SQL variables") || to.Sub(from) <= time.Second {
		return 0, fmt.Errorf("delete old documents of %s: %w", c.Name(), err)
	}
	mid := from.Add(to.Sub(from) / 2)
	n1, err := deleteByTime(ctx, c, field, from, mid, extra)
	if err != nil {
		return n1, err
	}
	n2, err := deleteByTime(ctx, c, field, mid, to, extra)
	return n1 + n2, err
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
