package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The scheduler's collections:
//
//   - sched_due_YYYYMMDD: what the scheduler must do and when (DueEntry), one collection per day
//     the entries fall due (Asia/Shanghai): case changes to look at, notices, deadline reminders,
//     surveys to send, remind and expire. Entries are only ever inserted, with ids derived from
//     what they are for, so writing one twice is harmless. Each job works through the entries due
//     since its checkpoint, reading only the days in between: what is due next week is not read
//     today. Housekeeping drops the days every job is past, which costs nothing however many
//     entries they hold (deleting documents one by one is slow on the embedded server).
//   - sched_jobs: one checkpoint per job: every entry due at or before it has been worked on.
//   - sched_leases: one document per job and lease period; the instance that inserted it runs the
//     job in that period.
//   - sched_cases: what the scheduler last saw of each case (CaseTrack).
func init() {
	addIndex("sched_leases", false, "at", 1)
	addCollection("sched_jobs")
}

// duePrefix starts the name of every day's collection of scheduled entries.
const duePrefix = "sched_due_"

// readyCollections remembers the collections created at run time that this process has made
// ready (see readyCollection), by database and name.
var readyCollections sync.Map

type indexedDay struct {
	db   *mongo.Database
	name string
}

// dueDay is the name of the collection holding entries due at t.
func dueDay(t time.Time) string { return duePrefix + t.In(complaintbot.Shanghai).Format("20060102") }

// dueCollection returns the collection of entries due at t, made ready for use (see
// readyCollection).
func (s *Store) dueCollection(ctx context.Context, t time.Time) (*mongo.Collection, error) {
	return s.readyCollection(ctx, dueDay(t), bson.D{{Key: "kind", Value: 1}, {Key: "at", Value: 1}})
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

// dueDays lists the existing day collections, oldest first.
func (s *Store) dueDays(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list scheduled days: %w", err)
	}
	var days []string
	for _, n := range names {
		if strings.HasPrefix(n, duePrefix) && len(n) == len(duePrefix)+8 {
			days = append(days, n)
		}
	}
	slices.Sort(days)
	return days, nil
}

// The kinds of DueEntry.
const (
	DueChanged      = "changed"       // a case changed: compare it with what the scheduler last saw
	DueRated        = "rated"         // a survey was rated low: reopen the case if so configured
	DueProgress     = "progress"      // an open case may need a "still working on it" notice
	DueBeforeDue    = "before_due"    // an open case nears its promised reply date: tell the customer
	DueRemind       = "remind"        // a deadline is near: remind the agent and the supervisor
	DueOverdue      = "overdue"       // a deadline has passed: mark overdue, escalate
	DueSurvey       = "survey"        // send a satisfaction survey
	DueSurveyRemind = "survey_remind" // ask an unanswered survey once more
	DueSurveyExpire = "survey_expire" // an unanswered survey lapses
)

// DueEntry is something the scheduler must do at or after At. Its ID says what it is for (e.g.
// "remind#TS20261127-0001#reply#1796227199"), so that scheduling the same thing twice stores it once.
type DueEntry struct {
	ID   string    `bson:"_id"`
	Kind string    `bson:"kind"`
	At   time.Time `bson:"at"`
	Case string    `bson:"case,omitempty"`
	// Deadline ("reply" or "decision") and Due say which deadline a remind or overdue entry is for.
	Deadline string    `bson:"deadline,omitempty"`
	Due      time.Time `bson:"due"`
	// Ref is the survey a survey_remind, survey_expire or rated entry is about.
	Ref string `bson:"ref,omitempty"`
	// Survey is what a survey entry sends.
	Survey *SurveySeed `bson:"-"`
}

// dueDoc is a DueEntry as stored. The survey seed is one JSON string: the embedded server parses
// every document of a day's collection to filter it, and one string costs it a fraction of what a
// sub-document of a dozen fields does.
type dueDoc struct {
	ID       string    `bson:"_id"`
	Kind     string    `bson:"kind"`
	At       time.Time `bson:"at"`
	Case     string    `bson:"case,omitempty"`
	Deadline string    `bson:"deadline,omitempty"`
	Due      time.Time `bson:"due"`
	Ref      string    `bson:"ref,omitempty"`
	Seed     string    `bson:"seed,omitempty"`
}

// MarshalBSON stores the entry as a dueDoc.
func (e DueEntry) MarshalBSON() ([]byte, error) {
	d := dueDoc{ID: e.ID, Kind: e.Kind, At: e.At, Case: e.Case, Deadline: e.Deadline, Due: e.Due, Ref: e.Ref}
	if e.Survey != nil {
		b, err := json.Marshal(e.Survey)
		if err != nil {
			return nil, fmt.Errorf("encode survey seed: %w", err)
		}
		d.Seed = string(b)
	}
	return bson.Marshal(d)
}

// UnmarshalBSON reads a stored dueDoc.
func (e *DueEntry) UnmarshalBSON(data []byte) error {
	var d dueDoc
	if err := bson.Unmarshal(data, &d); err != nil {
		return err
	}
	*e = DueEntry{ID: d.ID, Kind: d.Kind, At: d.At, Case: d.Case, Deadline: d.Deadline, Due: d.Due, Ref: d.Ref}
	if d.Seed != "" {
		e.Survey = new(SurveySeed)
		if err := json.Unmarshal([]byte(d.Seed), e.Survey); err != nil {
			return fmt.Errorf("decode survey seed of %s: %w", d.ID, err)
		}
	}
	return nil
}

// InsertDue stores the entries, each in the collection of the day it falls due; entries whose id
// is stored already are left as they are. An entry keeps its day: write it due at the same time
// each time (ids say what an entry is for; the time is part of that).
func (s *Store) InsertDue(ctx context.Context, entries []DueEntry) error {
	byDay := map[string][]any{}
	first := map[string]time.Time{}
	for i := range entries {
		d := dueDay(entries[i].At)
		byDay[d] = append(byDay[d], entries[i])
		first[d] = entries[i].At
	}
	for _, d := range slices.Sorted(maps.Keys(byDay)) {
		c, err := s.dueCollection(ctx, first[d])
		if err != nil {
			return err
		}
		for _, err := range s.grouped.insert(ctx, c.Name(), byDay[d]...) {
			if err != nil && !IsDuplicate(err) {
				return fmt.Errorf("schedule %d entries on %s: %w", len(byDay[d]), d, err)
			}
		}
	}
	return nil
}

// CancelDue deletes a scheduled entry due from..to (a survey no longer wanted because its case was
// reopened).
func (s *Store) CancelDue(ctx context.Context, id string, from, to time.Time) error {
	days, err := s.dueDays(ctx)
	if err != nil {
		return err
	}
	for _, d := range days {
		if d < dueDay(from) || d > dueDay(to) {
			continue
		}
		if _, err := s.db.Collection(d).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fmt.Errorf("cancel scheduled entry: %w", err)
		}
	}
	return nil
}

// ScanDue calls fn with the entries of the given kinds due in (after, upTo], batch entries at a
// time, holding no more than one batch in memory. It reads only the days in that range, each with
// one cursor (index-backed on kind and at on MongoDB; on the embedded server the cursor reads the
// whole day, through the read-only connection); entries are not deleted, so fn must be
// idempotent. fn's error stops the scan.
func (s *Store) ScanDue(ctx context.Context, kinds []string, after, upTo time.Time, batch int, fn func([]DueEntry) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	days, err := s.dueDays(ctx)
	if err != nil {
		return err
	}
	filter := bson.D{{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}},
		{Key: "at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	for _, d := range days {
		if (!after.IsZero() && d < dueDay(after)) || d > dueDay(upTo) {
			continue
		}
		if err := scanBatches(ctx, s, s.ScanCollection(d), filter, bson.D{{Key: "at", Value: 1}}, batch, fn); err != nil {
			return err
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

// JobCheckpoint returns the job's checkpoint (zero when it never completed a run) and the ids of
// the entries due after it that the last run already worked on.
func (s *Store) JobCheckpoint(ctx context.Context, job string) (time.Time, map[string]bool, error) {
	var doc struct {
		At   time.Time `bson:"at"`
		Done []string  `bson:"done"`
	}
	err := s.db.Collection("sched_jobs").FindOne(ctx, bson.D{{Key: "_id", Value: job}}).Decode(&doc)
	if notFound(err) == ErrNotFound {
		return time.Time{}, nil, nil
	}
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("load checkpoint of job %s: %w", job, err)
	}
	done := make(map[string]bool, len(doc.Done))
	for _, id := range doc.Done {
		done[id] = true
	}
	return doc.At, done, nil
}

// MaxCheckpointDone bounds the ids a checkpoint keeps; a run that worked on more entries due after
// its checkpoint keeps none (the next run works on them again, which changes nothing).
const MaxCheckpointDone = 10000

// SetJobCheckpoint records that the job has worked on everything due at or before at, and on the
// entries due after it whose ids are in done.
func (s *Store) SetJobCheckpoint(ctx context.Context, job string, at time.Time, done []string) error {
	if len(done) > MaxCheckpointDone {
		done = nil
	}
	_, err := s.db.Collection("sched_jobs").ReplaceOne(ctx, bson.D{{Key: "_id", Value: job}},
		bson.D{{Key: "_id", Value: job}, {Key: "at", Value: at}, {Key: "done", Value: done}}, options.Replace().SetUpsert(true))
	if err != nil && !IsDuplicate(err) {
		return fmt.Errorf("save checkpoint of job %s: %w", job, err)
	}
	return nil
}

// AcquireLease makes holder the one instance that runs job during the lease period containing now
// (periods are lease long, counted from the Unix epoch). It returns true when holder inserted the
// period's lease or already held it. A holder that dies simply does not take the next period.
func (s *Store) AcquireLease(ctx context.Context, job, holder string, now time.Time, lease time.Duration) (bool, error) {
	slot := now.UnixNano() / int64(lease)
	id := fmt.Sprintf("%s#%d", job, slot)
	leases := s.db.Collection("sched_leases")
	_, err := leases.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "job", Value: job}, {Key: "holder", Value: holder},
		{Key: "at", Value: now}, {Key: "until", Value: time.Unix(0, (slot+1)*int64(lease))}})
	if err == nil {
		return true, nil
	}
	if !IsDuplicate(err) {
		return false, fmt.Errorf("take lease %s: %w", id, err)
	}
	var doc struct {
		Holder string `bson:"holder"`
	}
	if err := leases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&doc); err != nil {
		return false, fmt.Errorf("read lease %s: %w", id, err)
	}
	return doc.Holder == holder, nil
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

// PurgeScheduler drops the days of scheduled entries before the day of dueBefore (pass a time
// every job's checkpoint is past) and deletes leases taken before leaseBefore. It returns how many
// days and leases went.
func (s *Store) PurgeScheduler(ctx context.Context, dueBefore, leaseBefore time.Time) (int64, error) {
	days, err := s.dueDays(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, d := range days {
		if d >= dueDay(dueBefore) {
			break
		}
		if err := s.db.Collection(d).Drop(ctx); err != nil {
			return n, fmt.Errorf("drop scheduled day %s: %w", d, err)
		}
		readyCollections.Delete(indexedDay{s.db, d})
		n++
	}
	m, err := deleteByTime(ctx, s.db.Collection("sched_leases"), "at", purgeFrom, leaseBefore, nil)
	return n + m, err
}
