package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// turnWriter inserts conversation turns in groups: while one insert is on its way to the
// database, the turns that arrive meanwhile wait and then go together in one unordered insertMany.
// Each turn still succeeds or fails on its own (a duplicate key fails only that turn), but a busy
// webhook pays one round trip and one database commit per group instead of per message.
type turnWriter struct {
	coll *mongo.Collection
	reqs chan turnReq
	done chan struct{}
}

type turnReq struct {
	turn   *Turn
	result chan error
}

// maxTurnBatch bounds one group.
const maxTurnBatch = 128

func newTurnWriter(coll *mongo.Collection) *turnWriter {
	w := &turnWriter{coll: coll, reqs: make(chan turnReq, maxTurnBatch), done: make(chan struct{})}
	go w.run()
	return w
}

// insert writes the turn and returns the insert's own error (a duplicate key error for this turn).
func (w *turnWriter) insert(ctx context.Context, t *Turn) error {
	req := turnReq{turn: t, result: make(chan error, 1)}
	select {
	case w.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.result:
		return err
	case <-ctx.Done():
		// The turn may still be written; a retry of the message finds it by its dedupe key.
		return ctx.Err()
	}
}

// close stops the writer once every queued turn is written.
func (w *turnWriter) close() {
	close(w.reqs)
	<-w.done
}

func (w *turnWriter) run() {
	defer close(w.done)
	for first := range w.reqs {
		batch := []turnReq{first}
	gather:
		for len(batch) < maxTurnBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		w.write(batch)
	}
}

func (w *turnWriter) write(batch []turnReq) {
	docs := make([]any, len(batch))
	for i, r := range batch {
		docs[i] = r.turn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := w.coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	errs := make([]error, len(batch))
	var bulk mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bulk) && bulk.WriteConcernError == nil:
		for _, we := range bulk.WriteErrors {
			if we.Index >= 0 && we.Index < len(errs) {
				errs[we.Index] = mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}
			}
		}
	default:
		for i := range errs {
			errs[i] = fmt.Errorf("insert %d turns: %w", len(batch), err)
		}
	}
	for i, r := range batch {
		r.result <- errs[i]
	}
}
