package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DedupeRecord maps a WeChat message's dedupe key to the turn that answered it. Its _id is the key,
// so a retry finds its turn with one lookup by _id on either database (the embedded server indexes
// nothing else). The turn's own unique dedupe key stays the guard that makes a message count once;
// this record is only the way back to it.
type DedupeRecord struct {
	Key  string    `bson:"_id"`
	Turn string    `bson:"turn"`
	At   time.Time `bson:"at"`
}

// DedupeCollection is the collection of dedupe records.
const DedupeCollection = "dedupe"

func init() {
	addCollection(DedupeCollection)
}

// placeholderDedupe reports whether key is the stand-in a turn with no WeChat message gets (see
// AppendTurn): no retry ever asks for it.
func placeholderDedupe(key string) bool { return strings.HasPrefix(key, "turn:") }

// dedupeLog writes dedupe records shortly after their turns, in groups: a message pays nothing
// for its record on its way to the answer, and a busy webhook writes one insertMany of records
// every flushEvery. A record lost in a crash before its group is written is found again by
// walking back the customer's turns (see Store.duplicateOf), and written then.
type dedupeLog struct {
	coll *mongo.Collection
	log  *slog.Logger

	mu       sync.Mutex
	pending  []any
	wake     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

const (
	// dedupeFlushEvery is how long a record may wait for its group.
	dedupeFlushEvery = 100 * time.Millisecond
	// dedupeGroup is the number of waiting records that starts a write at once.
	dedupeGroup = 256
	// dedupeMaxPending bounds what is kept while the database refuses writes; the oldest records
	// are given up first (their turns are still found by walking back).
	dedupeMaxPending = 20000
)

func newDedupeLog(coll *mongo.Collection, log *slog.Logger) *dedupeLog {
	d := &dedupeLog{coll: coll, log: log, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go d.run()
	return d
}

// add queues records for the next group.
func (d *dedupeLog) add(recs ...DedupeRecord) {
	d.mu.Lock()
	for _, r := range recs {
		d.pending = append(d.pending, r)
	}
	if over := len(d.pending) - dedupeMaxPending; over > 0 {
		d.pending = d.pending[over:]
	}
	n := len(d.pending)
	d.mu.Unlock()
	if n >= dedupeGroup {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

func (d *dedupeLog) run() {
	defer close(d.done)
	t := time.NewTicker(dedupeFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			d.flush(ctx)
			cancel()
			return
		case <-t.C:
		case <-d.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		d.flush(ctx)
		cancel()
	}
}

// flush writes the waiting records; records that fail for another reason than being there
// already are kept for the next try.
func (d *dedupeLog) flush(ctx context.Context) {
	d.mu.Lock()
	batch := d.pending
	d.pending = nil
	d.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	_, err := d.coll.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false))
	if err == nil {
		return
	}
	var bulk mongo.BulkWriteException
	if errors.As(err, &bulk) && bulk.WriteConcernError == nil {
		var retry []any
		for _, we := range bulk.WriteErrors {
			if !IsDuplicate(mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}) && we.Index >= 0 && we.Index < len(batch) {
				retry = append(retry, batch[we.Index])
			}
		}
		if len(retry) == 0 {
			return
		}
		batch = retry
	}
	d.log.Warn("write dedupe records; kept for the next try", "records", len(batch), "err", err)
	d.mu.Lock()
	d.pending = append(batch, d.pending...)
	if over := len(d.pending) - dedupeMaxPending; over > 0 {
		d.pending = d.pending[over:]
	}
	d.mu.Unlock()
}

// close writes what is waiting and stops the log; records added later are not written.
func (d *dedupeLog) close() {
	d.stopOnce.Do(func() { close(d.stop) })
	<-d.done
}

// dedupeRecord returns the record of the key, or ErrNotFound.
func (s *Store) dedupeRecord(ctx context.Context, key string) (*DedupeRecord, error) {
	var r DedupeRecord
	if err := s.lookup(DedupeCollection).FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&r); err != nil {
		return nil, fmt.Errorf("find dedupe record: %w", notFound(err))
	}
	return &r, nil
}

// TurnByDedupe returns the turn that answered the message with the dedupe key, or ErrNotFound.
// It is a lookup by _id; a record not written yet (a crash, or a turn of the last moments) is
// not found here (AppendTurn finds such a turn by walking back the customer's turns).
func (s *Store) TurnByDedupe(ctx context.Context, key string) (*complaintbot.Turn, error) {
	r, err := s.dedupeRecord(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.Turn(ctx, r.Turn)
}

// maxDedupeWalk bounds how many of a customer's newest turns are read to find a retried message
// whose dedupe record is not written yet: WeChat retries within seconds, so its turn is among
// the newest few.
const maxDedupeWalk = 64

// duplicateOf finds the stored turn a rejected insert collided with: the turn that answered the
// same message (a retry), or nil when the collision was on the version alone. Every read is by _id.
func (s *Store) duplicateOf(ctx context.Context, t *complaintbot.Turn) (*complaintbot.Turn, error) {
	if !placeholderDedupe(t.Dedupe) {
		if existing, err := s.TurnByDedupe(ctx, t.Dedupe); err == nil {
			return existing, nil
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	same, err := s.Turn(ctx, t.ID)
	switch {
	case err == nil && same.Dedupe == t.Dedupe:
		s.rememberDedupe(same)
		return same, nil
	case err == nil:
		return nil, nil // someone else wrote this version: a conflict, unless the walk below says otherwise on the next try
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	// The version is free, so the collision was on the dedupe key and its record is not written
	// yet: the turn is among the customer's newest.
	v, err := s.latestVersion(ctx, t.OpenID)
	if err != nil {
		return nil, err
	}
	proj := options.FindOne().SetProjection(bson.D{{Key: "state", Value: 0}})
	for n := 0; v > 0 && n < maxDedupeWalk; v, n = v-1, n+1 {
		old, err := decodeTurn(s.lookup("turns").FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(t.OpenID, v)}}, proj))
		if err != nil {
			return nil, fmt.Errorf("walk back turns: %w", notFound(err))
		}
		if old.Dedupe == t.Dedupe {
			s.rememberDedupe(old)
			return old, nil
		}
	}
	return nil, fmt.Errorf("message %s was answered before, but its turn is not among the customer's newest %d: %w", t.Dedupe, maxDedupeWalk, ErrNotFound)
}

// rememberDedupe queues the dedupe record of a stored turn.
func (s *Store) rememberDedupe(t *complaintbot.Turn) {
	if s.dedupe != nil && !placeholderDedupe(t.Dedupe) {
		s.dedupe.add(DedupeRecord{Key: t.Dedupe, Turn: t.ID, At: t.At})
	}
}
