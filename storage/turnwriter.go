package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// turnWriter inserts conversation turns in groups: while one insert is on its way to the
// database, the turns that arrive meanwhile wait and then go together in one unordered insertMany.
// Each turn still succeeds or fails on its own (a duplicate key fails only that turn), but a busy
// webhook pays one round trip and one database commit per group instead of per message. When
// nothing is being written, the caller writes its turn itself: a quiet webhook pays no hand-over
// to another goroutine (a thread wake-up, a good share of a quick answer's time).
type turnWriter struct {
	coll *mongo.Collection

	mu      sync.Mutex
	writing bool       // a group is on its way to the database
	queue   []*turnReq // turns waiting for the next group
	closed  bool
	idle    *sync.Cond // signalled when writing ends
	drains  sync.WaitGroup
}

type turnReq struct {
	turn   *Turn
	result chan error
}

// maxTurnBatch bounds one group.
const maxTurnBatch = 128

var errWriterClosed = errors.New("the store is closed")

func newTurnWriter(coll *mongo.Collection) *turnWriter {
	w := &turnWriter{coll: coll}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// insert writes the turn and returns the insert's own error (a duplicate key error for this turn).
func (w *turnWriter) insert(ctx context.Context, t *Turn) error {
	req := &turnReq{turn: t, result: make(chan error, 1)}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errWriterClosed
	}
	if w.writing {
		w.queue = append(w.queue, req) // the group being written takes it along when done
		w.mu.Unlock()
		select {
		case err := <-req.result:
			return err
		case <-ctx.Done():
			// The turn may still be written; a retry of the message finds it by its dedupe key.
			return ctx.Err()
		}
	}
	w.writing = true
	w.mu.Unlock()
	w.write([]*turnReq{req})
	if batch := w.take(); batch != nil {
		// Turns queued up meanwhile: a goroutine writes them, so that this caller answers now.
		w.drains.Add(1)
		go func() {
			defer w.drains.Done()
			for ; batch != nil; batch = w.take() {
				w.write(batch)
			}
		}()
	}
	return <-req.result
}

// take returns the next group of queued turns to write, or nil (and ends the writing) when none
// are queued.
func (w *turnWriter) take() []*turnReq {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		w.writing = false
		w.idle.Broadcast()
		return nil
	}
	n := min(len(w.queue), maxTurnBatch)
	batch := w.queue[:n:n]
	w.queue = w.queue[n:]
	return batch
}

// close refuses further turns and returns once every queued turn is written, or when ctx ends
// (the writes under way then finish or fail on their own).
func (w *turnWriter) close(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.mu.Lock()
		w.closed = true
		for w.writing {
			w.idle.Wait()
		}
		w.mu.Unlock()
		w.drains.Wait()
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (w *turnWriter) write(batch []*turnReq) {
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
