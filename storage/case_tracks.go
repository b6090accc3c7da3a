package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func init() {
	// What the scheduler saw of each case exists from the start, so that its _id index is usable
	// on the embedded server (see IndexEmbedded): it is read for every case the notices job
	// looks at.
	addCollection("sched_cases")
}

// CaseTrack is what the scheduler last saw of a case, to tell what changed.
type CaseTrack struct {
	Number      string              `bson:"_id"`
	Status      complaintbot.Status `bson:"status"`
	ReplyDue    time.Time           `bson:"reply_due"`
	DecisionDue time.Time           `bson:"decision_due"`
	Paused      time.Duration       `bson:"paused_ns"`
	// Seq counted the status notices the scheduler sent before the case workflow (package cases)
	// sent them; stored tracks keep it, nothing increments it now.
	Seq int `bson:"seq"`
	// Episode counts the times the case was resolved; a survey is sent for each.
	Episode int `bson:"episode"`
	// NoticeAt is when the scheduler last sent the customer a notice about the case (progress,
	// before the reply date); an agent's action's notices are on the case's timeline.
	NoticeAt time.Time `bson:"notice_at"`
	Updated  time.Time `bson:"updated_at"`
}

// SaveCaseTracks stores what the scheduler saw of several cases (isNew[i]: tracks[i] was not
// stored before), in one insert of the new ones and one bulk replace of the others (and of new
// ones another instance stored first).
func (s *Store) SaveCaseTracks(ctx context.Context, tracks []CaseTrack, isNew []bool) error {
	c := s.db.Collection("sched_cases")
	var fresh []any
	var freshIdx []int
	var models []mongo.WriteModel
	replace := func(t *CaseTrack) {
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: t.Number}}).SetReplacement(t))
	}
	for i := range tracks {
		if isNew[i] {
			fresh, freshIdx = append(fresh, &tracks[i]), append(freshIdx, i)
			continue
		}
		replace(&tracks[i])
	}
	dup, err := insertManyDups(ctx, c, fresh)
	if err != nil {
		return fmt.Errorf("save the schedules of %d cases: %w", len(fresh), err)
	}
	for j, d := range dup {
		if d {
			replace(&tracks[freshIdx[j]])
		}
	}
	if len(models) > 0 {
		if err := bulkWrite(ctx, c, models); err != nil {
			return fmt.Errorf("save the schedules of %d cases: %w", len(models), err)
		}
	}
	return nil
}

// CaseTrack returns what the scheduler last saw of the case, or ErrNotFound.
func (s *Store) CaseTrack(ctx context.Context, number string) (*CaseTrack, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var t CaseTrack
	if err := s.ScanCollection("sched_cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&t); err != nil {
		return nil, fmt.Errorf("load schedule of case %s: %w", number, notFound(err))
	}
	return &t, nil
}

// SaveCaseTrack stores what the scheduler saw of the case (isNew: it was not stored before; a
// concurrent first save by another instance is then overwritten).
func (s *Store) SaveCaseTrack(ctx context.Context, t *CaseTrack, isNew bool) error {
	c := s.db.Collection("sched_cases")
	if isNew {
		_, err := c.InsertOne(ctx, t)
		if err == nil {
			return nil
		}
		if !IsDuplicate(err) {
			return fmt.Errorf("save schedule of case %s: %w", t.Number, err)
		}
	}
	if _, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.Number}}, t); err != nil {
		return fmt.Errorf("save schedule of case %s: %w", t.Number, err)
	}
	return nil
}
