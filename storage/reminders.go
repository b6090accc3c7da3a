package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Reminders: a case nears or has missed a deadline; the assigned agent and the branch supervisor
// (head office: all branches) see it until the case is resolved or it is dismissed.
func init() {
	addIndex("reminders", false, "done", 1, "due", 1)
	addIndex("reminders", false, "case", 1)
}

// Kinds of reminder.
const (
	ReminderDueSoon = "due_soon" // the deadline is within scheduler.remind_before
	ReminderOverdue = "overdue"  // the deadline has passed
)

// Reminder tells the people responsible for a case that a deadline is near or missed.
type Reminder struct {
	// ID is "<kind>:<case>:<deadline>:<due unix>": one reminder per deadline value.
	ID         string    `bson:"_id" json:"id"`
	Kind       string    `bson:"kind" json:"kind"`         // ReminderDueSoon or ReminderOverdue
	Deadline   string    `bson:"deadline" json:"deadline"` // DeadlineReply or DeadlineDecision
	Case       string    `bson:"case" json:"case"`
	Branch     string    `bson:"branch" json:"branch"` // branch code of the case
	BranchName string    `bson:"branch_name" json:"branch_name"`
	Assignee   string    `bson:"assignee" json:"assignee"` // "" when the case is not assigned
	Due        time.Time `bson:"due" json:"due"`
	At         time.Time `bson:"at" json:"at"`
	// Escalated is set on an overdue reminder when the case was escalated to head office.
	Escalated bool       `bson:"escalated" json:"escalated"`
	Done      bool       `bson:"done" json:"done"`
	DoneAt    *time.Time `bson:"done_at,omitempty" json:"done_at,omitempty"`
	DoneBy    string     `bson:"done_by,omitempty" json:"done_by,omitempty"`
}

// AddReminder stores the reminder and reports whether it is new (false: raised before).
func (s *Store) AddReminder(ctx context.Context, r *Reminder) (bool, error) {
	_, err := s.db.Collection("reminders").InsertOne(ctx, r)
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("add reminder %s: %w", r.ID, err)
	}
	return true, nil
}

// DismissReminder marks one reminder acted on.
func (s *Store) DismissReminder(ctx context.Context, id, by string, at time.Time) error {
	_, err := s.db.Collection("reminders").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}, {Key: "done_at", Value: at}, {Key: "done_by", Value: by}}}})
	if err != nil {
		return fmt.Errorf("dismiss reminder: %w", err)
	}
	return nil
}

// CloseCaseReminders marks every reminder of the case done (it was resolved). On the embedded
// server, where a filter on anything but _id reads the whole collection, the reminders are
// found on the scan connection and each is marked by _id, so that the customers' connection
// never waits on the read.
func (s *Store) CloseCaseReminders(ctx context.Context, number string, at time.Time) error {
	filter := bson.D{{Key: "case", Value: number}, {Key: "done", Value: false}}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "done", Value: true}, {Key: "done_at", Value: at}, {Key: "done_by", Value: "system"}}}}
	if s.embedded == nil {
		if _, err := s.db.Collection("reminders").UpdateMany(ctx, filter, set); err != nil {
			return fmt.Errorf("close reminders of case %s: %w", number, err)
		}
		return nil
	}
	var ids []string
	err := func() error {
		ctx, stop := s.scanContext(ctx)
		defer stop()
		cur, err := s.ScanCollection("reminders").Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return err
		}
		return eachDecoded(ctx, cur, func(r *struct {
			ID string `bson:"_id"`
		}) error {
			ids = append(ids, r.ID)
			return nil
		})
	}()
	if err != nil {
		return fmt.Errorf("find reminders of case %s: %w", number, err)
	}
	for _, id := range ids {
		if _, err := s.db.Collection("reminders").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, set); err != nil {
			return fmt.Errorf("close reminder %s of case %s: %w", id, number, err)
		}
	}
	return nil
}

// PurgeReminders deletes reminders done before before.
func (s *Store) PurgeReminders(ctx context.Context, before time.Time) (int64, error) {
	return s.deleteByTime(ctx, "reminders", "done_at", purgeFrom, before, bson.D{{Key: "done", Value: true}})
}
