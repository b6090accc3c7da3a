package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
)

// The service's own changes to a case, made by the scheduler. Each is a guarded update that
// changes the case once (storage.EscalateOverdue, storage.ReopenCase), then the customer's notice,
// keyed by what caused the change: made again after a crash between the two, the call finds the
// change made and queues the notice it still owes, and no notice goes twice.

// EscalateOverdue moves an open case that missed its deadline ("reply" or "decision") to head
// office, once per missed deadline, and tells the customer (notice escalated_overdue). It reports
// whether this call escalated the case; at is now.
func (s *Service) EscalateOverdue(ctx context.Context, number, deadline string, at time.Time) (bool, error) {
	did, err := s.store.EscalateOverdue(ctx, number, deadline, at)
	if err != nil {
		return false, err
	}
	c, err := s.store.ScanCase(ctx, number)
	if err != nil {
		return did, err
	}
	if c.Status == complaintbot.StatusEscalated && c.Escalation.Reason == "overdue_"+deadline && c.Escalated != nil {
		id := fmt.Sprintf("notice:%s:escalated:%s:%d", c.Number, deadline, c.Escalated.Unix())
		if err := s.systemNotice(ctx, c, flows.NoticeEscalatedOverdue, id, at); err != nil {
			return did, err
		}
	}
	if did {
		s.publish(c.OpenID, c.Number, at)
		// The report figures move: marked durably, for the reports' drain job.
		if err := s.store.MarkCaseReport(ctx, c.Number, "", at); err != nil {
			return did, err
		}
	}
	return did, nil
}

// ReopenForLowRating reopens the resolved or closed case the customer rated low in survey, once
// per survey, and tells the customer (notice reopened_low_rating). It reports whether this call
// reopened the case; at is now.
func (s *Service) ReopenForLowRating(ctx context.Context, number, survey string, at time.Time) (bool, error) {
	did, err := s.store.ReopenCase(ctx, number, "low_rating", survey, at)
	if err != nil {
		return false, err
	}
	c, err := s.store.ScanCase(ctx, number)
	if err != nil {
		return did, err
	}
	if c.Status == complaintbot.StatusReopened && c.ReopenedFor == survey {
		if err := s.systemNotice(ctx, c, flows.NoticeReopenedLowRating, "notice:"+c.Number+":reopened:"+survey, at); err != nil {
			return did, err
		}
	}
	if did {
		s.publish(c.OpenID, c.Number, at)
		// The report figures move: marked durably, for the reports' drain job.
		if err := s.store.MarkCaseReport(ctx, c.Number, survey, at); err != nil {
			return did, err
		}
	}
	return did, nil
}

// RemindProgress tells the customer of the open case c that it is still being worked on (notice
// progress): one notice per quiet period, the period that started at since, however often it is
// asked; at is now.
func (s *Service) RemindProgress(ctx context.Context, c *complaintbot.Case, since, at time.Time) error {
	return s.systemNotice(ctx, c, flows.NoticeProgress, fmt.Sprintf("notice:%s:progress:%d", c.Number, since.Unix()), at)
}

// RemindBeforeDue tells the customer of the open case c, shortly before its promised reply date
// due, when to expect the answer (notice before_due): one notice per reply date; at is now.
func (s *Service) RemindBeforeDue(ctx context.Context, c *complaintbot.Case, due, at time.Time) error {
	return s.systemNotice(ctx, c, flows.NoticeBeforeDue, fmt.Sprintf("notice:%s:before:%d", c.Number, due.Unix()), at)
}

// systemNotice queues the notice of the given kind about c under id (a notice queued already is
// left as it is).
func (s *Service) systemNotice(ctx context.Context, c *complaintbot.Case, kind flows.NoticeKind, id string, at time.Time) error {
	if c.OpenID == "" {
		return nil
	}
	text := s.engine.Notice(kind, summary(c), flows.NoticeData{Expected: ExpectedBy(c, at), Decision: c.DecisionDue})
	if _, err := s.store.Enqueue(ctx, &complaintbot.OutboxMessage{ID: id, OpenID: c.OpenID, Text: text, Purpose: complaintbot.PurposeNotice,
		CaseNumber: c.Number, Created: at, By: complaintbot.SystemUser}); err != nil {
		return fmt.Errorf("queue notice %s: %w", kind, err)
	}
	return nil
}

// ExpectedBy is the date the customer of c can expect an answer by at now: the promised reply
// date while it stands, then the decision deadline (now for a case no longer open).
func ExpectedBy(c *complaintbot.Case, now time.Time) time.Time {
	if !c.Status.Open() {
		return now
	}
	if c.RepliedAt == nil && c.ReplyDue.After(now) {
		return c.ReplyDue
	}
	return c.DecisionDue
}
