package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The scheduler's jobs' collections:
//
//   - sched_jobs: one checkpoint per job: every entry due at or before it has been worked on.
//   - sched_leases: one document per job and lease period; the instance that inserted it runs the
//     job in that period.
func init() {
	addIndex("sched_leases", false, "at", 1)
	addCollection("sched_jobs")
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
