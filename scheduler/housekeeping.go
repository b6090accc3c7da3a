package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
)

// draftsCheckpoint names the checkpoint of the housekeeping job's look for idle drafts.
const draftsCheckpoint = "housekeeping.drafts"

// housekeeping runs the housekeeping job.
func (x *Scheduler) housekeeping(ctx context.Context) (int, error) {
	n1, err := x.expireDrafts(ctx)
	if err != nil {
		return n1, err
	}
	n2, err := x.expireQueue(ctx)
	if err != nil {
		return n1 + n2, err
	}
	now := x.clock.Now()
	before := now.Add(-x.cfg.Retention.D())
	// Scheduled days go once every job is a day past them.
	dueBefore := now.Add(-48 * time.Hour)
	for _, job := range []string{JobNotices, JobDeadlines, JobSurveys} {
		cp, _, err := x.store.JobCheckpoint(ctx, job)
		if err != nil {
			return n1 + n2, err
		}
		if cp.IsZero() {
			dueBefore = time.Time{}
			break
		}
		if cp = cp.Add(-24 * time.Hour); cp.Before(dueBefore) {
			dueBefore = cp
		}
	}
	var purged int64
	for _, purge := range []func() (int64, error){
		func() (int64, error) { return x.store.PurgeScheduler(ctx, dueBefore, now.Add(-24*time.Hour)) },
		func() (int64, error) { return x.store.PurgeOutbox(ctx, before) },
		func() (int64, error) { return x.store.PurgeReminders(ctx, before) },
		func() (int64, error) { return x.store.PurgeSurveyClaims(ctx, now.Add(-24*time.Hour)) },
	} {
		n, err := purge()
		purged += n
		if err != nil {
			return n1 + n2, err
		}
	}
	if purged > 0 {
		x.log.Info("housekeeping purged old records", "documents", purged)
	}
	return n1 + n2, nil
}

// expireDrafts clears the drafts left alone longer than intake.draft_keep and tells their
// customers. It looks at the customers whose conversations were last written with a draft in the
// window that has aged past draft_keep since the last run.
func (x *Scheduler) expireDrafts(ctx context.Context) (int, error) {
	if x.convs == nil {
		return 0, nil
	}
	now := x.clock.Now()
	keep := x.engine.Config().DraftKeep
	upTo := now.Add(-keep)
	after, _, err := x.store.JobCheckpoint(ctx, draftsCheckpoint)
	if err != nil {
		return 0, err
	}
	if after.IsZero() {
		after = upTo.Add(-7 * 24 * time.Hour)
	}
	done := 0
	err = x.store.ScanDraftTurns(ctx, after, upTo, x.cfg.BatchSize, func(openIDs []string) error {
		for _, id := range openIDs {
			n, err := x.expireDraft(ctx, id, now)
			if err != nil {
				return err
			}
			done += n
		}
		return x.step(ctx, JobHousekeeping, done)
	})
	if err != nil {
		return done, err
	}
	return done, x.store.SetJobCheckpoint(ctx, draftsCheckpoint, upTo, nil)
}

func (x *Scheduler) expireDraft(ctx context.Context, openID string, now time.Time) (int, error) {
	st, err := x.convs.State(ctx, openID)
	if err != nil {
		return 0, err
	}
	_, text, ok := x.engine.ExpireDraft(st, now)
	if !ok {
		return 0, nil
	}
	since := st.DraftAt
	if since.IsZero() {
		since = st.LastActive
	}
	// The message first, keyed by the draft: a redo after a crash queues nothing new.
	msg := complaintbot.OutboxMessage{ID: fmt.Sprintf("draft-expired:%s:%d", key(openID), since.Unix()), OpenID: openID, Text: text,
		Purpose: complaintbot.PurposeSystem, Created: now, By: complaintbot.SystemUser}
	if err := x.enqueue(ctx, []complaintbot.OutboxMessage{msg}); err != nil {
		return 0, err
	}
	_, err = x.convs.Control(ctx, openID, "draft expired", func(st *complaintbot.ConversationState) ([]string, error) {
		if s, _, ok := x.engine.ExpireDraft(*st, now); ok {
			*st = s
		}
		return nil, nil
	})
	return 1, err
}

// QueueExpirer takes customers who waited too long for a person out of the queue, in batches;
// *handoffs.Service is one (the rule is the handoff workflow's, see its ExpireWaiting).
type QueueExpirer interface {
	ExpireWaiting(ctx context.Context, cutoff time.Time, limit int) (expired, seen int, err error)
}

// expireQueue has the handoff workflow take customers who waited longer than
// scheduler.queue_expiry out of the queue, a batch at a time.
func (x *Scheduler) expireQueue(ctx context.Context) (int, error) {
	if x.queue == nil {
		return 0, nil
	}
	cutoff := x.clock.Now().Add(-x.cfg.QueueExpiry.D())
	done := 0
	for {
		n, seen, err := x.queue.ExpireWaiting(ctx, cutoff, x.cfg.BatchSize)
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 || seen < x.cfg.BatchSize {
			return done, nil
		}
		if err := x.step(ctx, JobHousekeeping, done); err != nil {
			return done, err
		}
	}
}
