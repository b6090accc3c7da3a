package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot/storage"
)

// reviewBatch is the most open reviews one deadlines run looks at (reviews are rare: head office
// has a handful open at a time).
const reviewBatch = 500

// reviews reminds head office of the reviews (核查) whose result is due within
// scheduler.remind_before, and marks those past their deadline overdue, on the case's timeline:
// each once (a reminder per review and kind), with the WeCom robot told when a reminder is new.
func (x *Scheduler) reviews(ctx context.Context, now time.Time) (int, error) {
	tasks, err := x.store.OpenReviewTasks(ctx, reviewBatch)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, t := range tasks {
		if now.Before(t.Due.Add(-x.cfg.RemindBefore.D())) {
			break // soonest deadline first: none after is due for a reminder either
		}
		if err := x.reviewEntry(ctx, t, now); err != nil {
			return done, fmt.Errorf("review %s: %w", t.ID, err)
		}
		done++
	}
	return done, nil
}

// reviewEntry raises the reminder of the review t, due soon or overdue at now, unless the case
// says the review is over or was replaced.
func (x *Scheduler) reviewEntry(ctx context.Context, t storage.ReviewTask, now time.Time) error {
	c, err := x.store.ScanCase(ctx, t.Case)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rv := c.Review
	if !rv.Open() || rv.ID != t.ID {
		return nil
	}
	r := &storage.Reminder{Kind: storage.ReminderDueSoon, Deadline: storage.DeadlineReview, Case: c.Number, Branch: c.Branch.Code,
		BranchName: c.Branch.Name, Due: rv.Due, At: now} // head office's task: no assignee
	if rv.Overdue(now) {
		r.Kind = storage.ReminderOverdue
		if err := x.store.MarkOverdue(ctx, c.Number, storage.ReviewDeadline(rv.Seq), now); err != nil {
			return err
		}
	}
	r.ID = storage.ReviewReminderID(r.Kind, rv.ID, rv.Due)
	added, err := x.store.AddReminder(ctx, r)
	if err != nil || !added {
		return err
	}
	x.log.Info("review reminder", "case", c.Number, "review", rv.ID, "kind", r.Kind)
	if x.cfg.WeComRobotURL != "" {
		// Best effort: head office's task list shows the review whatever happens to the robot.
		if err := x.postRobot(ctx, r); err != nil {
			x.log.Warn("wecom robot", "case", c.Number, "err", err)
		}
	}
	return nil
}
