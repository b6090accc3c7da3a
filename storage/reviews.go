package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ReviewTasksCollection holds head office's review tasks (核查), one document per review: small
// (reviews are rare), so that head office's task list reads it whole instead of every case.
const ReviewTasksCollection = "review_tasks"

func init() { addCollection(ReviewTasksCollection) }

// ReviewTask is a review (complaintbot.Review) as head office's task list sees it.
type ReviewTask struct {
	// ID is the review's number (complaintbot.Review.ID).
	ID        string    `bson:"_id" json:"id"`
	Case      string    `bson:"case" json:"case"`
	Branch    string    `bson:"branch" json:"branch"`
	Requested time.Time `bson:"requested_at" json:"requested_at"`
	Due       time.Time `bson:"due" json:"due"`
	// Done is when the result was recorded; nil while the review is open.
	Done *time.Time `bson:"done_at,omitempty" json:"done_at,omitempty"`
}

// PutReviewTask stores the task, replacing the one with its id (one write by _id); a task done
// closes the reminders of its deadline (ReviewReminderID), by _id.
func (s *Store) PutReviewTask(ctx context.Context, t *ReviewTask) error {
	if _, err := s.db.Collection(ReviewTasksCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.ID}}, t, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("save review task %s: %w", t.ID, err)
	}
	if t.Done != nil {
		for _, kind := range []string{ReminderDueSoon, ReminderOverdue} {
			if err := s.DismissReminder(ctx, ReviewReminderID(kind, t.ID, t.Due), complaintbot.SystemUser, *t.Done); err != nil {
				return fmt.Errorf("review task %s: %w", t.ID, err)
			}
		}
	}
	return nil
}

// ReviewReminderID is the _id of the reminder of the given kind (ReminderDueSoon,
// ReminderOverdue) of the review's deadline due.
func ReviewReminderID(kind, review string, due time.Time) string {
	return fmt.Sprintf("%s:%s:%s:%d", kind, review, DeadlineReview, due.Unix())
}

// OpenReviewTasks returns the reviews awaiting their result, soonest deadline first, at most
// limit, read on the scan connection.
func (s *Store) OpenReviewTasks(ctx context.Context, limit int) ([]ReviewTask, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(ReviewTasksCollection).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "due", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list review tasks: %w", err)
	}
	var all []ReviewTask
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("list review tasks: %w", err)
	}
	out := []ReviewTask{}
	for _, t := range all {
		if t.Done == nil && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}
