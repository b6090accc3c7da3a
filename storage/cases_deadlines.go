package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Deadlines of a case (the keys of complaintbot.Case.Missed; a review's is ReviewDeadline).
const (
	DeadlineReply    = "reply"
	DeadlineDecision = "decision"
	// DeadlineReview names a review's deadline (complaintbot.Review.Due) in reminders.
	DeadlineReview = "review"
)

// ReviewDeadline is the key in complaintbot.Case.Missed of the deadline of the case's review
// number seq (each review of a case is marked overdue once).
func ReviewDeadline(seq int) string { return DeadlineReview + strconv.Itoa(seq) }

// CaseChanged tells the scheduler that the case changed at at (now): its status, its deadlines,
// its assignment. The scheduler's notices job then reschedules the case's reminders and, once it
// is resolved, its satisfaction survey (the customer's notice of the change is the case workflow's,
// package cases). Calling it for a change that needs nothing, or twice, is harmless. Code that
// changes a case's status or deadlines must call it (UpdateCase does; the conversations do for new
// cases). A change made without it is still found by the deadlines job's sweep of cases by
// updated_at, only later. The embedded server's case index is told.
func (s *Store) CaseChanged(ctx context.Context, number string, at time.Time) error {
	err := s.InsertDue(ctx, []DueEntry{{ID: fmt.Sprintf("changed#%s#%d", number, at.UnixNano()), Kind: DueChanged, At: at, Case: number}})
	s.notifyCaseChange(number)
	return err
}

// notifyCaseChange tells the embedded server's case index (see caseIndex) of a change to a case
// made through this store: every function that changes a case calls it (CaseChanged does, and the
// scheduler's marks: overdue, escalated, reopened, replied).
func (s *Store) notifyCaseChange(number string) { s.caseIndex.caseChanged(number) }

// MarkOverdue records that the case missed its deadline ("reply" or "decision") at at; a deadline
// marked already keeps its first time.
func (s *Store) MarkOverdue(ctx context.Context, number, deadline string, at time.Time) error {
	field := "overdue." + deadline
	_, err := s.updateIf(ctx, s.cases, number, bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s overdue: %w", number, err)
	}
	s.notifyCaseChange(number)
	return nil
}

// EscalateOverdue moves an open case that is not escalated yet one level up (status escalated, to
// head office) because it missed the deadline, and reports whether it did. A case is escalated once
// per missed deadline: if someone moves it back down, it stays there.
func (s *Store) EscalateOverdue(ctx context.Context, number, deadline string, at time.Time) (bool, error) {
	conds := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{
		complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusReopened}}}},
		{Key: "escalation.reason", Value: bson.D{{Key: "$ne", Value: "overdue_" + deadline}}}}
	did, err := s.updateIf(ctx, s.cases, number, conds, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusEscalated},
		{Key: "escalated_at", Value: at}, {Key: "escalation", Value: bson.D{{Key: "level", Value: "head_office"}, {Key: "reason", Value: "overdue_" + deadline}, {Key: "by", Value: complaintbot.SystemUser}}},
		{Key: "updated_at", Value: at}}}})
	if err != nil {
		return false, fmt.Errorf("escalate case %s: %w", number, err)
	}
	if did {
		s.notifyCaseChange(number)
	}
	return did, nil
}

// ReopenCase reopens a resolved or closed case for reason (e.g. "low_rating") and ref (what
// prompted it, e.g. the survey), and reports whether it did. A case is reopened once per ref.
func (s *Store) ReopenCase(ctx context.Context, number, reason, ref string, at time.Time) (bool, error) {
	conds := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.StatusResolved, complaintbot.StatusClosed}}}},
		{Key: "reopened_for", Value: bson.D{{Key: "$ne", Value: ref}}}}
	did, err := s.updateIf(ctx, s.cases, number, conds, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusReopened},
		{Key: "reopened_at", Value: at}, {Key: "reopen_reason", Value: reason}, {Key: "reopened_for", Value: ref}, {Key: "updated_at", Value: at}}}})
	if err != nil {
		return false, fmt.Errorf("reopen case %s: %w", number, err)
	}
	if did {
		s.notifyCaseChange(number)
	}
	return did, nil
}

// MarkReplied records that a person replied to the customer about the case at at (the first
// reply counts): the reply deadline is met.
func (s *Store) MarkReplied(ctx context.Context, number string, at time.Time) error {
	_, err := s.updateIf(ctx, s.cases, number, bson.D{{Key: "replied_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "replied_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s replied: %w", number, err)
	}
	s.notifyCaseChange(number)
	return nil
}

// WaitOnCustomer marks the case as waiting on the customer from at (a case waiting already keeps
// its start) and tells the scheduler.
func (s *Store) WaitOnCustomer(ctx context.Context, number string, at time.Time) error {
	_, err := s.updateIf(ctx, s.cases, number, bson.D{{Key: "waiting_since", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "waiting_since", Value: at}, {Key: "updated_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s waiting on the customer: %w", number, err)
	}
	return s.CaseChanged(ctx, number, at)
}

// StopWaiting ends the case's wait on the customer at at. With shift, the deadlines not met yet
// move later by the time waited (the clock paused), never past a regulator's referral's reply
// date (Case.Referral.ReplyBy: the bank cannot move the regulator's deadline), and the case's
// timeline says so (an entry of kind "pause"). It returns how long the case waited (0 when it
// was not waiting) and tells the scheduler.
func (s *Store) StopWaiting(ctx context.Context, number string, at time.Time, shift bool) (time.Duration, error) {
	c, err := s.ScanCase(ctx, number)
	if err != nil {
		return 0, err
	}
	if c.WaitingSince == nil {
		return 0, nil
	}
	waited := max(at.Sub(*c.WaitingSince), 0)
	set := bson.D{{Key: "updated_at", Value: at}}
	update := bson.D{{Key: "$unset", Value: bson.D{{Key: "waiting_since", Value: ""}}}}
	if shift {
		set = append(set, bson.E{Key: "paused_ns", Value: c.Paused + waited})
		if c.Status.Open() {
			decision, capped := pausedDue(c, c.DecisionDue, waited)
			set = append(set, bson.E{Key: "decision_due", Value: decision})
			if c.RepliedAt == nil {
				reply, replyCapped := pausedDue(c, c.ReplyDue, waited)
				set = append(set, bson.E{Key: "reply_due", Value: reply})
				capped = capped || replyCapped
			}
			if waited > 0 {
				update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "work.timeline", Value: pauseEntry(c, decision, waited, capped, at)}}})
			}
		}
	}
	update = append(update, bson.E{Key: "$set", Value: set})
	// The filter on waiting_since makes a second call (or a concurrent one) change nothing.
	did, err := s.updateIf(ctx, s.cases, number, bson.D{{Key: "waiting_since", Value: *c.WaitingSince}}, update)
	if err != nil {
		return 0, fmt.Errorf("end the wait of case %s: %w", number, err)
	}
	if !did {
		return 0, nil
	}
	return waited, s.CaseChanged(ctx, number, at)
}

// pausedDue is the deadline due moved later by the time the case waited, but never past its
// referral's reply date (nor earlier than due); capped says the reply date stopped it.
func pausedDue(c *complaintbot.Case, due time.Time, waited time.Duration) (_ time.Time, capped bool) {
	moved := due.Add(waited)
	if r := c.Referral; r != nil && !r.ReplyBy.IsZero() && moved.After(r.ReplyBy) {
		if due.After(r.ReplyBy) {
			return due, true
		}
		return r.ReplyBy, true
	}
	return moved, false
}

// pauseEntry is the timeline entry of a wait on the customer that moved the case's decision
// deadline to decision; capped says a referral's reply date stopped it (the deadline stays).
func pauseEntry(c *complaintbot.Case, decision time.Time, waited time.Duration, capped bool, at time.Time) complaintbot.TimelineEntry {
	day := func(t time.Time) string { return t.In(complaintbot.Shanghai).Format("2006-01-02") }
	text := fmt.Sprintf("等待客户 %.1f 天，期间暂停计时，处理期限顺延至 %s", waited.Hours()/24, day(decision))
	if capped {
		text = fmt.Sprintf("等待客户 %.1f 天，期间暂停计时；监管转办回复期限 %s 不变，处理期限最晚至该日（%s）", waited.Hours()/24,
			day(c.Referral.ReplyBy), day(decision))
	}
	return complaintbot.TimelineEntry{ID: fmt.Sprintf("pause#%d", at.UnixNano()), At: at, By: complaintbot.SystemUser, Kind: "pause",
		From: day(c.DecisionDue), To: day(decision), Text: text}
}
