package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// groupWriter writes the documents of one collection on the customers' path in groups: while one
// write is on its way to the database, the documents that arrive meanwhile wait and then go
// together in one command (an unordered insertMany, or one delete command of many statements by
// _id). Each still succeeds or fails on its own (a duplicate key fails only that document), but a
// busy webhook pays one round trip per group instead of per message. When nothing is being
// written, the caller writes its document itself: a quiet webhook pays no hand-over to another
// goroutine (a thread wake-up, a good share of a quick answer's time).
type groupWriter struct {
	// op writes the documents in one command and returns each one's own error.
	op func(ctx context.Context, docs []any) []error

	mu      sync.Mutex
	writing bool        // a group is on its way to the database
	queue   []*groupReq // documents waiting for the next group
	closed  bool
	idle    *sync.Cond // signalled when writing ends
	drains  sync.WaitGroup
}

type groupReq struct {
	doc    any
	result chan error
}

// maxGroup bounds one group.
const maxGroup = 128

var errWriterClosed = errors.New("the store is closed")

// newInserter groups inserts into coll.
func newInserter(coll *mongo.Collection) *groupWriter {
	return newGroupWriter(func(ctx context.Context, docs []any) []error {
		_, err := coll.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		return eachError(err, len(docs), "insert")
	})
}

// newDeleter groups deletes from coll; the documents are the _ids.
func newDeleter(coll *mongo.Collection) *groupWriter {
	return newGroupWriter(func(ctx context.Context, ids []any) []error {
		models := make([]mongo.WriteModel, len(ids))
		for i, id := range ids {
			models[i] = mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}})
		}
		_, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		return eachError(err, len(ids), "delete")
	})
}

func newGroupWriter(op func(ctx context.Context, docs []any) []error) *groupWriter {
	w := &groupWriter{op: op}
	w.idle = sync.NewCond(&w.mu)
	return w
}

// eachError splits a bulk command's error into each document's own.
func eachError(err error, n int, what string) []error {
	errs := make([]error, n)
	var bulk mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bulk) && bulk.WriteConcernError == nil:
		for _, we := range bulk.WriteErrors {
			if we.Index >= 0 && we.Index < n {
				errs[we.Index] = mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}
			}
		}
	default:
		for i := range errs {
			errs[i] = fmt.Errorf("%s %d documents: %w", what, n, err)
		}
	}
	return errs
}

// write writes the document (for a deleter: deletes the _id) and returns its own error (a
// duplicate key error for this document).
func (w *groupWriter) write(ctx context.Context, doc any) error {
	return w.writeAll(ctx, []any{doc})[0]
}

// writeAll writes the documents, in one group or with others', and returns each one's own error.
func (w *groupWriter) writeAll(ctx context.Context, docs []any) []error {
	reqs := make([]*groupReq, len(docs))
	for i, d := range docs {
		reqs[i] = &groupReq{doc: d, result: make(chan error, 1)}
	}
	errs := make([]error, len(docs))
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		for i := range errs {
			errs[i] = errWriterClosed
		}
		return errs
	}
	if w.writing {
		w.queue = append(w.queue, reqs...) // the group being written takes them along when done
		w.mu.Unlock()
		for i, r := range reqs {
			select {
			case errs[i] = <-r.result:
			case <-ctx.Done():
				w.withdraw(ctx, reqs[i:], errs[i:])
				return errs
			}
		}
		return errs
	}
	w.writing = true
	w.mu.Unlock()
	w.run(reqs)
	if batch := w.take(); batch != nil {
		// Documents queued up meanwhile: a goroutine writes them, so that this caller answers now.
		w.drains.Add(1)
		go func() {
			defer w.drains.Done()
			for ; batch != nil; batch = w.take() {
				w.run(batch)
			}
		}()
	}
	for i, r := range reqs {
		errs[i] = <-r.result
	}
	return errs
}

// withdraw takes the caller's documents that no group has taken yet out of the queue, with
// ctx's error as their result; those a group has taken already get their real result (a group
// is bounded by run's timeout). So a caller told its document failed can count on its not being
// written later (a case number given back is not also stored).
func (w *groupWriter) withdraw(ctx context.Context, reqs []*groupReq, errs []error) {
	mine := make(map[*groupReq]bool, len(reqs))
	for _, r := range reqs {
		mine[r] = true
	}
	w.mu.Lock()
	kept := w.queue[:0:0]
	for _, q := range w.queue {
		if mine[q] {
			q.result <- ctx.Err() // buffered: its own result, read below
			continue
		}
		kept = append(kept, q)
	}
	w.queue = kept
	w.mu.Unlock()
	for i, r := range reqs {
		errs[i] = <-r.result
	}
}

// inserters groups the inserts into collections named at run time (one writer per collection,
// made on first use): the small per-case records of the customers' path.
type inserters struct {
	db     *mongo.Database
	mu     sync.Mutex
	m      map[string]*groupWriter
	closed bool
}

// of returns the grouping inserter of the named collection, nil once closed.
func (in *inserters) of(name string) *groupWriter {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil
	}
	w := in.m[name]
	if w == nil {
		if in.m == nil {
			in.m = map[string]*groupWriter{}
		}
		w = newInserter(in.db.Collection(name))
		in.m[name] = w
	}
	return w
}

// insert inserts the documents into the named collection with other callers' and returns each
// one's own error (a duplicate key for that document).
func (in *inserters) insert(ctx context.Context, name string, docs ...any) []error {
	w := in.of(name)
	if w == nil {
		errs := make([]error, len(docs))
		for i := range errs {
			errs[i] = errWriterClosed
		}
		return errs
	}
	return w.writeAll(ctx, docs)
}

// close refuses further inserts and waits for the queued ones (until ctx ends).
func (in *inserters) close(ctx context.Context) {
	in.mu.Lock()
	in.closed = true
	ws := make([]*groupWriter, 0, len(in.m))
	for _, w := range in.m {
		ws = append(ws, w)
	}
	in.mu.Unlock()
	for _, w := range ws {
		w.close(ctx)
	}
}

// take returns the next group of queued documents to write, or nil (and ends the writing) when
// none are queued.
func (w *groupWriter) take() []*groupReq {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		w.writing = false
		w.idle.Broadcast()
		return nil
	}
	n := min(len(w.queue), maxGroup)
	batch := w.queue[:n:n]
	w.queue = w.queue[n:]
	return batch
}

// close refuses further documents and returns once every queued one is written, or when ctx
// ends (the writes under way then finish or fail on their own).
func (w *groupWriter) close(ctx context.Context) {
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

func (w *groupWriter) run(batch []*groupReq) {
	docs := make([]any, len(batch))
	for i, r := range batch {
		docs[i] = r.doc
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := w.op(ctx, docs)
	for i, r := range batch {
		r.result <- errs[i]
	}
}
