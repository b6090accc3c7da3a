package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The console's work lists (回访 and 待联系客户) and the task count every page shows must not read
// the follow_ups and outbox collections whole: on the embedded server any filter but {_id} reads
// every document (seconds on a year of data). So each list has a small collection of its own,
// one entry per item keyed by the item's _id, holding only what the lists sort, count and scope
// by (no customer data): follow_up_list (every follow-up, with its branch, when it was raised and
// when it was done) and call_list (the outbox messages a person must deal with, with their case).
// The store writes an entry wherever it raises, closes or changes the item; the lists read the
// entries whole and then only the page they show, by _id. On the embedded server, which only
// this process writes, the entries are also kept in memory (workLists): read once from SQLite at
// the first list (about 0.1 s for a year's 16,000 follow-ups), then kept current by the store's
// own writes. The migration "work-lists" builds them from older data.

// Collections of the work lists.
const (
	FollowUpListCollection = "follow_up_list"
	CallListCollection     = "call_list"
)

func init() {
	addCollection(FollowUpListCollection)
	addCollection(CallListCollection)
}

// FollowUpEntry is a follow-up as its list sorts, counts and scopes it.
type FollowUpEntry struct {
	// ID is the follow-up's _id (FollowUpID).
	ID      string    `bson:"_id"`
	Branch  string    `bson:"branch"`
	Created time.Time `bson:"created_at"`
	// Done is when the call was recorded; nil while the follow-up is open.
	Done *time.Time `bson:"done_at,omitempty"`
}

// CallEntry is a message of the call list (storage.NeedsPerson) as its list sorts and scopes it.
type CallEntry struct {
	// ID is the outbox message's _id.
	ID string `bson:"_id"`
	// Case is the message's case number ("" for none: head office's).
	Case string `bson:"case,omitempty"`
	// At is when the message came to need a person (its done_at).
	At time.Time `bson:"at"`
}

// workLists is the embedded server's copy of the work-list entries; a list not loaded yet is
// read from SQLite at its first use.
type workLists struct {
	mu                sync.Mutex
	fuLoaded, cLoaded bool
	followUps         map[string]FollowUpEntry
	calls             map[string]CallEntry
}

// noteFollowUp records the entry just written (or tried); the caller holds no lock.
func (w *workLists) noteFollowUp(e FollowUpEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fuLoaded {
		w.followUps[e.ID] = e
	}
}

// noteCall records the entry just written (ok) or deleted (!ok).
func (w *workLists) noteCall(e CallEntry, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.cLoaded {
		return
	}
	if ok {
		w.calls[e.ID] = e
	} else {
		delete(w.calls, e.ID)
	}
}

// putFollowUpEntry writes the follow-up's entry (one write by _id).
func (s *Store) putFollowUpEntry(ctx context.Context, e FollowUpEntry) error {
	_, err := s.db.Collection(FollowUpListCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, e, options.Replace().SetUpsert(true))
	s.workLists.noteFollowUp(e) // on an error too: it may have been written
	if err != nil {
		return fmt.Errorf("save follow-up list entry %s: %w", e.ID, err)
	}
	return nil
}

// addFollowUpEntry inserts the entry of a follow-up just raised, keeping one there already (a
// follow-up raised again stays as it is).
func (s *Store) addFollowUpEntry(ctx context.Context, e FollowUpEntry) error {
	_, err := s.db.Collection(FollowUpListCollection).InsertOne(ctx, e)
	if IsDuplicate(err) {
		return nil
	}
	s.workLists.noteFollowUp(e)
	if err != nil {
		return fmt.Errorf("list follow-up %s: %w", e.ID, err)
	}
	return nil
}

// FollowUpList returns the entry of every follow-up, in no particular order.
func (s *Store) FollowUpList(ctx context.Context) ([]FollowUpEntry, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	out := []FollowUpEntry{}
	if s.embedded != nil {
		w := &s.workLists
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.fuLoaded {
			for _, e := range w.followUps {
				out = append(out, e)
			}
			return out, nil
		}
		err := s.sqliteEntries(ctx, FollowUpListCollection, []string{"_id", "branch", "created_at", "done_at"}, func(v []sql.NullString) error {
			e := FollowUpEntry{ID: v[0].String, Branch: v[1].String, Created: entryTime(v[2])}
			if v[3].Valid {
				t := entryTime(v[3])
				e.Done = &t
			}
			out = append(out, e)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read the follow-up list: %w", err)
		}
		w.followUps = make(map[string]FollowUpEntry, len(out))
		for _, e := range out {
			w.followUps[e.ID] = e
		}
		w.fuLoaded = true
		return out, nil
	}
	cur, err := s.ScanCollection(FollowUpListCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read the follow-up list: %w", err)
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read the follow-up list: %w", err)
	}
	return out, nil
}

// noteCallEntry puts the message on the call list (status in NeedsPerson, not PurposeSystem) or
// takes it off; a failure is logged: the list then misses or keeps the message until the
// migration's next run or the message's next change, and the message itself is as written.
func (s *Store) noteCallEntry(ctx context.Context, id, caseNumber, purpose string, st complaintbot.OutboxStatus, at time.Time) {
	coll := s.db.Collection(CallListCollection)
	var err error
	e := CallEntry{ID: id, Case: caseNumber, At: at}
	if listed := slices.Contains(NeedsPerson, st) && purpose != complaintbot.PurposeSystem; listed {
		_, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, e, options.Replace().SetUpsert(true))
		s.workLists.noteCall(e, true)
	} else {
		_, err = coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		if err == nil {
			s.workLists.noteCall(e, false)
		}
	}
	if err != nil {
		s.log.Error("note a message on the call list", "err", err)
	}
}

// noteCallOutcome puts a message whose attempt ended needing a person on the call list, reading
// its case and purpose by _id on the read-only connection (the outcome does not carry them).
func (s *Store) noteCallOutcome(ctx context.Context, id string, o OutboxOutcome) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if !slices.Contains(NeedsPerson, o.Status) {
		return
	}
	var m struct {
		Case    string `bson:"case_number"`
		Purpose string `bson:"purpose"`
	}
	if err := s.ScanCollection("outbox").FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "case_number", Value: 1}, {Key: "purpose", Value: 1}})).Decode(&m); err != nil {
		s.log.Error("note a message on the call list: read it", "err", err)
		return
	}
	s.noteCallEntry(ctx, id, m.Case, m.Purpose, o.Status, o.At)
}

// dropCallEntries takes the messages of the ids (outbox _ids) off the call list, in the database
// and in the list this process keeps (an erasure deleting the messages).
func (s *Store) dropCallEntries(ctx context.Context, ids []any) (Erasure, error) {
	e, err := s.deleteIDs(ctx, CallListCollection, ids)
	for _, id := range ids {
		if id, ok := id.(string); ok {
			s.workLists.noteCall(CallEntry{ID: id}, false)
		}
	}
	return e, err
}

// CallList returns the entry of every message on the call list, in no particular order.
func (s *Store) CallList(ctx context.Context) ([]CallEntry, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	out := []CallEntry{}
	if s.embedded != nil {
		w := &s.workLists
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.cLoaded {
			for _, e := range w.calls {
				out = append(out, e)
			}
			return out, nil
		}
		err := s.sqliteEntries(ctx, CallListCollection, []string{"_id", "case", "at"}, func(v []sql.NullString) error {
			out = append(out, CallEntry{ID: v[0].String, Case: v[1].String, At: entryTime(v[2])})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read the call list: %w", err)
		}
		w.calls = make(map[string]CallEntry, len(out))
		for _, e := range out {
			w.calls[e.ID] = e
		}
		w.cLoaded = true
		return out, nil
	}
	cur, err := s.ScanCollection(CallListCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read the call list: %w", err)
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read the call list: %w", err)
	}
	return out, nil
}

// sqliteEntries calls fn with the top-level fields of every document of the collection, read
// straight from the embedded server's SQLite file (see readSQLite); a date is its milliseconds
// since 1970, a missing field not Valid.
func (s *Store) sqliteEntries(ctx context.Context, collection string, fields []string, fn func([]sql.NullString) error) error {
	db, table, err := s.readSQLite(ctx, collection)
	if err != nil {
		return err
	}
	defer db.Close()
	if table == "" {
		return nil
	}
	q := "SELECT "
	for i, f := range fields {
		if i > 0 {
			q += ", "
		}
		q += sjsonColumn + `->>'$.` + f + `'`
	}
	rows, err := db.QueryContext(ctx, q+` FROM "`+table+`"`)
	if err != nil {
		return fmt.Errorf("read the %s table: %w", collection, err)
	}
	defer rows.Close()
	vals := make([]sql.NullString, len(fields))
	ptrs := make([]any, len(fields))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read the %s table: %w", collection, err)
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the %s table: %w", collection, err)
	}
	return nil
}

// entryTime is a date read by sqliteEntries.
func entryTime(v sql.NullString) time.Time {
	var ms int64
	if _, err := fmt.Sscan(v.String, &ms); !v.Valid || err != nil {
		return time.Time{}
	}
	return sjsonTime(sql.NullInt64{Int64: ms, Valid: true})
}

// migrateWorkLists builds the work lists' entries (follow_up_list, call_list) from the
// follow-ups and outbox messages an older version wrote, reading them on the read-only
// connection (on the embedded server straight from SQLite). Entries written since are kept.
func migrateWorkLists(ctx context.Context, s *Store) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var fus []FollowUpEntry
	var calls []CallEntry
	if s.embedded != nil {
		err := s.sqliteEntries(ctx, "follow_ups", []string{"_id", "branch", "created_at", "done_at", "status"}, func(v []sql.NullString) error {
			e := FollowUpEntry{ID: v[0].String, Branch: v[1].String, Created: entryTime(v[2])}
			if v[4].String == string(FollowUpDone) {
				t := entryTime(v[3])
				e.Done = &t
			}
			fus = append(fus, e)
			return nil
		})
		if err != nil {
			return err
		}
		err = s.sqliteEntries(ctx, "outbox", []string{"_id", "case_number", "done_at", "status", "purpose"}, func(v []sql.NullString) error {
			if slices.Contains(NeedsPerson, complaintbot.OutboxStatus(v[3].String)) && v[4].String != complaintbot.PurposeSystem {
				calls = append(calls, CallEntry{ID: v[0].String, Case: v[1].String, At: entryTime(v[2])})
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else {
		cur, err := s.ScanCollection("follow_ups").Find(ctx, bson.D{},
			options.Find().SetProjection(bson.D{{Key: "branch", Value: 1}, {Key: "created_at", Value: 1}, {Key: "done_at", Value: 1}, {Key: "status", Value: 1}}))
		if err != nil {
			return err
		}
		var all []FollowUp
		if err := cur.All(ctx, &all); err != nil {
			return err
		}
		for _, f := range all {
			e := FollowUpEntry{ID: f.ID, Branch: f.Branch, Created: f.Created}
			if f.Status == FollowUpDone {
				e.Done = f.Done
				if e.Done == nil {
					e.Done = &f.Created
				}
			}
			fus = append(fus, e)
		}
		list, err := s.UndeliverableOutbox(ctx, 0)
		if err != nil {
			return err
		}
		for _, m := range list {
			at := m.Created
			if m.Done != nil {
				at = *m.Done
			}
			calls = append(calls, CallEntry{ID: m.ID, Case: m.CaseNumber, At: at})
		}
	}
	var docs []any
	for _, e := range fus {
		docs = append(docs, e)
	}
	if err := s.insertEntries(ctx, FollowUpListCollection, docs); err != nil {
		return err
	}
	docs = nil
	for _, e := range calls {
		docs = append(docs, e)
	}
	return s.insertEntries(ctx, CallListCollection, docs)
}

// insertEntries inserts the documents in batches, keeping those already there.
func (s *Store) insertEntries(ctx context.Context, collection string, docs []any) error {
	for i := 0; i < len(docs); i += 1000 {
		batch := docs[i:min(i+1000, len(docs))]
		if _, err := insertManyDups(ctx, s.db.Collection(collection), batch); err != nil {
			return fmt.Errorf("fill %s: %w", collection, err)
		}
	}
	return nil
}
