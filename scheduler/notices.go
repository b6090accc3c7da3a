package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// notices runs the notices job: case changes, "still working on it" notices, low ratings. The
// case changes of a batch (after a busy hour, hundreds of new cases) are looked at together and
// what they call for is written in groups (see caseWrites). The customer's notice of a change is
// not the job's: the case workflow (package cases) sends it with the change.
func (x *Scheduler) notices(ctx context.Context) (int, error) {
	kinds := []string{storage.DueChanged, storage.DueRated, storage.DueProgress, storage.DueBeforeDue}
	return x.pass(ctx, JobNotices, JobNotices, kinds, func(ctx context.Context, batch []storage.DueEntry, now time.Time) error {
		seen := map[string]bool{}
		var w caseWrites
		for _, e := range batch {
			if e.Kind == storage.DueChanged {
				if seen[e.Case] {
					continue // one look per case and batch is enough
				}
				seen[e.Case] = true
				c, err := x.store.ScanCase(ctx, e.Case)
				if errors.Is(err, storage.ErrNotFound) {
					continue
				}
				if err == nil {
					err = x.reconcileInto(ctx, c, now, &w)
				}
				if err != nil {
					return fmt.Errorf("%s %s: %w", e.Kind, e.ID, err)
				}
				continue
			}
			// The other kinds read what the scheduler saw of the case: write what this batch
			// decided first.
			if err := x.flush(ctx, now, &w); err != nil {
				return err
			}
			if err := x.noticeEntry(ctx, e, now); err != nil {
				return fmt.Errorf("%s %s: %w", e.Kind, e.ID, err)
			}
		}
		return x.flush(ctx, now, &w)
	})
}

// caseWrites gathers what looks at several cases decided (scheduled entries, what was seen of
// each case), so that they are written in a few grouped inserts rather than several writes per
// case, each taking its turn on the connection customers' messages wait on.
type caseWrites struct {
	due    []storage.DueEntry
	tracks []storage.CaseTrack
	isNew  []bool
}

// flush writes what w gathered, in the order a single look writes it: the entries first, what
// was seen of the cases last (so that a flush cut short is redone by the next look, with the same
// keys). w is empty afterwards.
func (x *Scheduler) flush(ctx context.Context, now time.Time, w *caseWrites) error {
	if err := x.schedule(ctx, now, w.due...); err != nil {
		return err
	}
	if err := x.store.SaveCaseTracks(ctx, w.tracks, w.isNew); err != nil {
		return err
	}
	*w = caseWrites{}
	return nil
}

func (x *Scheduler) noticeEntry(ctx context.Context, e storage.DueEntry, now time.Time) error {
	if e.Kind == storage.DueRated {
		return x.rated(ctx, e, now)
	}
	c, err := x.store.ScanCase(ctx, e.Case)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch e.Kind {
	case storage.DueChanged:
		return x.reconcile(ctx, c, now)
	case storage.DueProgress:
		return x.progress(ctx, c, now)
	case storage.DueBeforeDue:
		return x.beforeDue(ctx, c, e, now)
	}
	return nil
}

// reconcile compares the case with what the scheduler last saw of it and does what the difference
// calls for: the case's reminders and overdue checks for its current deadlines, the "still
// working" notice, and once it is resolved, its satisfaction survey (the customer's notice of the
// change itself went with the change, from the case workflow). Every step is keyed by what it is
// for, and what was seen is saved last, so a look cut short is redone by the next one with the
// same keys.
func (x *Scheduler) reconcile(ctx context.Context, c *complaintbot.Case, now time.Time) error {
	var w caseWrites
	if err := x.reconcileInto(ctx, c, now, &w); err != nil {
		return err
	}
	return x.flush(ctx, now, &w)
}

// reconcileInto is reconcile leaving the writes it decides in w (see caseWrites).
func (x *Scheduler) reconcileInto(ctx context.Context, c *complaintbot.Case, now time.Time, w *caseWrites) error {
	tr, err := x.store.CaseTrack(ctx, c.Number)
	isNew := errors.Is(err, storage.ErrNotFound)
	if err != nil && !isNew {
		return err
	}
	if isNew {
		tr = &storage.CaseTrack{Number: c.Number}
	}
	before := *tr
	var due []storage.DueEntry
	statusChanged := tr.Status != c.Status
	if statusChanged {
		prev := tr.Status
		wasOpen := prev == "" || prev.Open()
		switch {
		case !c.Status.Open() && wasOpen: // resolved (or closed)
			tr.Episode++
			if err := x.store.CloseCaseReminders(ctx, c.Number, now); err != nil {
				return err
			}
			// A withdrawn case ended without a decision: nothing to rate.
			if c.OpenID != "" && c.Status != complaintbot.StatusWithdrawn && now.Sub(c.Updated) < x.cfg.SurveyExpiry.D() {
				seed := caseSeed(c, tr.Episode)
				due = append(due, storage.DueEntry{ID: "survey#" + seed.ID, Kind: storage.DueSurvey, Case: c.Number,
					At: c.Updated.Add(x.cfg.SurveyDelay.D()), Survey: &seed})
			}
		case c.Status.Open() && !wasOpen && tr.Episode > 0: // reopened: the pending survey is moot
			delay := x.cfg.SurveyDelay.D()
			if err := x.store.CancelDue(ctx, "survey#"+surveyID(c.Number, tr.Episode), now.Add(-24*time.Hour), now.Add(delay+24*time.Hour)); err != nil {
				return err
			}
		}
		tr.Status = c.Status
	}
	if c.Status.Open() {
		if isNew || statusChanged || !tr.DecisionDue.Equal(c.DecisionDue) || !tr.ReplyDue.Equal(c.ReplyDue) {
			due = append(due, x.caseTimers(c, now)...)
		}
	}
	tr.DecisionDue, tr.ReplyDue, tr.Paused = c.DecisionDue, c.ReplyDue, c.Paused
	if !isNew && sameTrack(tr, &before) {
		return nil
	}
	tr.Updated = now
	w.due = append(w.due, due...)
	w.tracks = append(w.tracks, *tr)
	w.isNew = append(w.isNew, isNew)
	return nil
}

func sameTrack(a, b *storage.CaseTrack) bool {
	return a.Status == b.Status && a.ReplyDue.Equal(b.ReplyDue) && a.DecisionDue.Equal(b.DecisionDue) && a.Paused == b.Paused &&
		a.Seq == b.Seq && a.Episode == b.Episode && a.NoticeAt.Equal(b.NoticeAt)
}

// paused reports whether the case's deadline clock stands still (it waits on the customer). A
// regulator referral's never does: a pause cannot move its deadlines past the referral's reply
// date, so they are watched while it waits.
func (x *Scheduler) paused(c *complaintbot.Case) bool {
	return x.cfg.PauseWhileWaitingCustomer && c.WaitingSince != nil && c.Referral == nil
}

// caseTimers are the entries that watch an open case's current deadlines.
func (x *Scheduler) caseTimers(c *complaintbot.Case, now time.Time) []storage.DueEntry {
	if x.paused(c) {
		return nil // rescheduled when the wait ends
	}
	var out []storage.DueEntry
	add := func(kind, deadline string, due, at time.Time) {
		out = append(out, storage.DueEntry{ID: fmt.Sprintf("%s#%s#%s#%d", kind, c.Number, deadline, due.Unix()),
			Kind: kind, At: at, Case: c.Number, Deadline: deadline, Due: due})
	}
	if c.RepliedAt == nil && !c.ReplyDue.IsZero() {
		add(storage.DueRemind, storage.DeadlineReply, c.ReplyDue, c.ReplyDue.Add(-x.cfg.RemindBefore.D()))
		add(storage.DueOverdue, storage.DeadlineReply, c.ReplyDue, c.ReplyDue.Add(time.Second))
		if at := c.ReplyDue.Add(-x.cfg.NoticeBeforeDue.D()); at.After(now) {
			add(storage.DueBeforeDue, storage.DeadlineReply, c.ReplyDue, at)
		}
	}
	if !c.DecisionDue.IsZero() {
		add(storage.DueRemind, storage.DeadlineDecision, c.DecisionDue, c.DecisionDue.Add(-x.cfg.RemindBefore.D()))
		add(storage.DueOverdue, storage.DeadlineDecision, c.DecisionDue, c.DecisionDue.Add(time.Second))
	}
	at := c.Updated.Add(x.cfg.ProgressInterval.D())
	out = append(out, storage.DueEntry{ID: fmt.Sprintf("progress#%s#%d", c.Number, at.Unix()), Kind: storage.DueProgress, At: at, Case: c.Number})
	return out
}

// progress sends the "still working on it" notice when nothing happened to the open case for
// scheduler.progress_interval, and schedules the next look.
func (x *Scheduler) progress(ctx context.Context, c *complaintbot.Case, now time.Time) error {
	if !c.Status.Open() || x.paused(c) || c.OpenID == "" {
		return nil
	}
	tr, err := x.track(ctx, c, now)
	if err != nil {
		return err
	}
	interval := x.cfg.ProgressInterval.D()
	base := maxTime(c.Updated, tr.NoticeAt)
	if next := base.Add(interval); next.After(now) {
		// Something happened since this look was scheduled: look again a full interval after it.
		return x.schedule(ctx, now, storage.DueEntry{ID: fmt.Sprintf("progress#%s#%d", c.Number, next.Unix()), Kind: storage.DueProgress, At: next, Case: c.Number})
	}
	next := now.Add(interval)
	if err := x.schedule(ctx, now, storage.DueEntry{ID: fmt.Sprintf("progress#%s#%d", c.Number, next.Unix()), Kind: storage.DueProgress, At: next, Case: c.Number}); err != nil {
		return err
	}
	// The case workflow writes and queues the notice, keyed by the quiet period it ends, so two
	// looks at the same period send one notice.
	if err := x.cases.RemindProgress(ctx, c, base, now); err != nil {
		return err
	}
	x.pokeOutbox()
	tr.NoticeAt, tr.Updated = now, now
	return x.store.SaveCaseTrack(ctx, tr, false)
}

// beforeDue tells the customer of an open case, shortly before its promised reply date, when to
// expect the answer (unless a notice went out recently: the scheduler's own, or an agent's action's
// on the case's timeline).
func (x *Scheduler) beforeDue(ctx context.Context, c *complaintbot.Case, e storage.DueEntry, now time.Time) error {
	if !c.Status.Open() || x.paused(c) || c.OpenID == "" || c.RepliedAt != nil || !c.ReplyDue.Equal(e.Due) {
		return nil
	}
	tr, err := x.track(ctx, c, now)
	if err != nil {
		return err
	}
	if now.Sub(maxTime(tr.NoticeAt, c.LastNotice())) < x.cfg.NoticeBeforeDue.D()/2 {
		return nil
	}
	if err := x.cases.RemindBeforeDue(ctx, c, e.Due, now); err != nil {
		return err
	}
	x.pokeOutbox()
	tr.NoticeAt, tr.Updated = now, now
	return x.store.SaveCaseTrack(ctx, tr, false)
}

// track returns what the scheduler saw of the case, looking at the case first if it never did.
func (x *Scheduler) track(ctx context.Context, c *complaintbot.Case, now time.Time) (*storage.CaseTrack, error) {
	tr, err := x.store.CaseTrack(ctx, c.Number)
	if errors.Is(err, storage.ErrNotFound) {
		if err := x.reconcile(ctx, c, now); err != nil {
			return nil, err
		}
		tr, err = x.store.CaseTrack(ctx, c.Number)
	}
	return tr, err
}

// rated reopens the case of a low-rated survey when scheduler.reopen_on_low_rating is on (the case
// workflow tells the customer).
func (x *Scheduler) rated(ctx context.Context, e storage.DueEntry, now time.Time) error {
	sv, err := x.store.Survey(ctx, e.Ref)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil || !sv.Low || sv.Case == "" || !x.cfg.ReopenOnLowRating {
		return err
	}
	if _, err := x.cases.ReopenForLowRating(ctx, sv.Case, sv.ID, now); err != nil {
		return err
	}
	c, err := x.store.ScanCase(ctx, sv.Case)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return x.reconcile(ctx, c, now)
}
