package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// openOutbox stands in, on the embedded server, for the outbox's (status, next_at) and openid
// indexes, which the server does not use: it knows the messages still open (pending, or of
// unknown outcome), so that the outbox worker's look for due messages and the console's count of
// a customer's queued messages read those few messages by _id instead of the whole outbox.
//
// Only this process writes the embedded database (its data folder is locked), so every change of
// status passes through the Store and is noted here. The notes are a superset of the truth: an
// entry whose write failed, or that a later write closed, is found out when its message is read
// by _id, and dropped or corrected then. The first use loads the open messages with one read of
// the outbox straight from SQLite (see readSQLite).
type openOutbox struct {
	loadMu sync.Mutex // held while loading
	loaded bool

	mu      sync.Mutex
	entries map[string]openEntry // by message id
}

type openEntry struct {
	openID string
	next   time.Time
	status complaintbot.OutboxStatus
}

func isOpen(st complaintbot.OutboxStatus) bool {
	return st == complaintbot.OutboxPending || st == complaintbot.OutboxUnknown
}

// note records what the store just wrote (or tried to write) about a message.
func (o *openOutbox) note(id, openID string, st complaintbot.OutboxStatus, next time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.entries == nil {
		o.entries = map[string]openEntry{}
	}
	if !isOpen(st) {
		delete(o.entries, id)
		return
	}
	e := o.entries[id]
	if openID != "" {
		e.openID = openID
	}
	e.status, e.next = st, next
	o.entries[id] = e
}

// reset makes the next use load the open messages again (a note could not be made).
func (o *openOutbox) reset() {
	o.loadMu.Lock()
	defer o.loadMu.Unlock()
	o.loaded = false
}

// load reads the open messages once.
func (o *openOutbox) load(ctx context.Context, s *Store) error {
	o.loadMu.Lock()
	defer o.loadMu.Unlock()
	if o.loaded {
		return nil
	}
	docs, err := s.openOutboxFromSQLite(ctx)
	if err != nil {
		return fmt.Errorf("load open outbox messages: %w", err)
	}
	o.mu.Lock()
	if o.entries == nil {
		o.entries = map[string]openEntry{}
	}
	for _, d := range docs {
		if _, ok := o.entries[d.ID]; !ok { // a note made meanwhile is newer
			o.entries[d.ID] = openEntry{openID: d.OpenID, next: d.NextAt, status: d.Status}
		}
	}
	o.mu.Unlock()
	o.loaded = true
	return nil
}

// candidates returns the ids of the open messages that match, due first.
func (o *openOutbox) candidates(match func(openEntry) bool) []string {
	o.mu.Lock()
	type c struct {
		id   string
		next time.Time
	}
	var cs []c
	for id, e := range o.entries {
		if match(e) {
			cs = append(cs, c{id, e.next})
		}
	}
	o.mu.Unlock()
	slices.SortFunc(cs, func(a, b c) int {
		if n := a.next.Compare(b.next); n != 0 {
			return n
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	ids := make([]string, len(cs))
	for i, x := range cs {
		ids[i] = x.id
	}
	return ids
}

// read loads the candidates by _id (on the scan connection) until keep has accepted limit of them
// (limit ≤ 0: all), correcting the notes from what it reads.
func (o *openOutbox) read(ctx context.Context, s *Store, ids []string, limit int, keep func(*complaintbot.OutboxMessage) bool) ([]complaintbot.OutboxMessage, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var out []complaintbot.OutboxMessage
	coll := s.ScanCollection("outbox")
	for _, id := range ids {
		if limit > 0 && len(out) >= limit {
			break
		}
		var m complaintbot.OutboxMessage
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m)
		if notFound(err) == ErrNotFound {
			o.note(id, "", complaintbot.OutboxSent, time.Time{}) // never written, or purged: not open
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load outbox message %s: %w", id, err)
		}
		o.note(m.ID, m.OpenID, m.Status, m.NextAt)
		if isOpen(m.Status) && keep(&m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// dueEmbedded is DueOutboxExcept on the embedded server.
func (s *Store) dueEmbedded(ctx context.Context, now time.Time, limit int, skip []string) ([]complaintbot.OutboxMessage, error) {
	if err := s.openMsgs.load(ctx, s); err != nil {
		return nil, err
	}
	due := func(status complaintbot.OutboxStatus, next time.Time, openID string) bool {
		return status == complaintbot.OutboxPending && !next.After(now) && !slices.Contains(skip, openID)
	}
	ids := s.openMsgs.candidates(func(e openEntry) bool { return due(e.status, e.next, e.openID) })
	out, err := s.openMsgs.read(ctx, s, ids, limit, func(m *complaintbot.OutboxMessage) bool { return due(m.Status, m.NextAt, m.OpenID) })
	if err != nil {
		return nil, fmt.Errorf("find due outbox messages: %w", err)
	}
	return out, nil
}

// queuedEmbedded is queuedIDs on the embedded server.
func (s *Store) queuedEmbedded(ctx context.Context, openID string) ([]string, error) {
	if err := s.openMsgs.load(ctx, s); err != nil {
		return nil, err
	}
	ids := s.openMsgs.candidates(func(e openEntry) bool { return e.openID == openID })
	out, err := s.openMsgs.read(ctx, s, ids, 0, func(m *complaintbot.OutboxMessage) bool { return m.OpenID == openID })
	if err != nil {
		return nil, fmt.Errorf("count queued messages: %w", err)
	}
	open := make([]string, len(out))
	for i, m := range out {
		open[i] = m.ID
	}
	return open, nil
}

// noteOutbox tells the embedded server's list of open messages (see openOutbox) what was just
// written, or tried, about a message; on MongoDB it does nothing. An open message whose customer
// the write does not carry (a person's requeue) is read by _id for it.
func (s *Store) noteOutbox(ctx context.Context, id, openID string, st complaintbot.OutboxStatus, next time.Time) {
	if s.embedded == nil {
		return
	}
	if openID != "" || !isOpen(st) {
		s.openMsgs.note(id, openID, st, next)
		return
	}
	var m complaintbot.OutboxMessage
	err := s.outbox.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "status", Value: 1}, {Key: "next_at", Value: 1}})).Decode(&m)
	if err != nil {
		// Not noted, the message would stay out of the worker's sight: load the list again.
		s.log.Error("note an open outbox message: reloading the open messages", "id", id, "err", err)
		s.openMsgs.reset()
		return
	}
	s.openMsgs.note(m.ID, m.OpenID, m.Status, m.NextAt)
}
