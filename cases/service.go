// Package cases is the case workflow: what is done to a registered case — accepting it,
// assigning it, naming its departments, notes, status changes, extending its decision deadline,
// the malicious-complaint flag, the resolution, a survey sent by hand, and the scheduler's
// escalation of an overdue case and reopening of a case rated low — with the rule each follows,
// the timeline and audit entries each writes and the notice to the customer each queues.
//
// This is the one path that tells a customer of a change to their case; every notice text comes
// from the flow file (flows.Engine.Notice). The console calls the methods for its forms and API,
// the scheduler for its own changes.
//
// An agent's action is one update of the case guarded by its revision (storage.UpdateCase), decided
// again when someone else changed the case meanwhile. Its audit entry is written before the update:
// an action whose audit entry cannot be written is not carried out (ErrAudit). Its notice is
// recorded on the timeline by the update and queued right after it, with an id taken from the
// revision; RepairNotices queues it again if the process stopped in between. A refused action
// returns an *Error whose Reason says why.
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// Deps are what the case workflow works with.
type Deps struct {
	Store *storage.Store
	// Engine renders the customer's notices from the flow file.
	Engine *flows.Engine
	Clock  complaintbot.Clock
	Log    *slog.Logger
	// Bus, when set, is told of every change (events.Case): the console's live pages and the
	// reports listen.
	Bus *events.Bus
	// Taxonomy is the JR/T 0169 classification the cases are coded in (SetCoding, Resolve); nil
	// means the embedded one (taxonomy.Load).
	Taxonomy *taxonomy.Taxonomy
	// Ladder is the extension ladder (Extend); zero means DefaultLadder.
	Ladder Ladder
	// ReviewTime is how long head office has for a review's result (RequestReview); zero means
	// DefaultReviewTime. The review window is the flow engine's (flows.Config.ReviewWindow).
	ReviewTime time.Duration
	// TaskHorizon is how soon a case's deadline must fall to be one of a user's tasks (Tasks):
	// the scheduler's remind_before, so that the task list and the reminders agree; zero means
	// DefaultTaskHorizon.
	TaskHorizon time.Duration
}

// Surveys sends satisfaction surveys (the scheduler is one).
type Surveys interface {
	// SendSurveyNow asks the customer of the case to rate it; storage.ErrSurveyOpen (wrapped) when
	// the customer has another survey open.
	SendSurveyNow(ctx context.Context, caseNumber, by string) error
}

// Service carries out the actions on cases. Build it with New; it is safe for concurrent use once
// SetSurveys (if used) has been called.
type Service struct {
	store   *storage.Store
	engine  *flows.Engine
	clock   complaintbot.Clock
	log     *slog.Logger
	bus     *events.Bus
	surveys Surveys
	tax     *taxonomy.Taxonomy
	ladder  Ladder
	alerts  RiskAlerts
	// reviewTime is Deps.ReviewTime (review.go).
	reviewTime time.Duration
	// taskHorizon is Deps.TaskHorizon (tasks.go).
	taskHorizon time.Duration
}

// New returns the case workflow.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Taxonomy == nil {
		d.Taxonomy = embeddedTaxonomy()
	}
	if d.TaskHorizon <= 0 {
		d.TaskHorizon = DefaultTaskHorizon
	}
	return &Service{store: d.Store, engine: d.Engine, clock: d.Clock, log: d.Log.With("component", "cases"), bus: d.Bus, tax: d.Taxonomy,
		ladder: d.Ladder.orDefault(), reviewTime: d.ReviewTime, taskHorizon: d.TaskHorizon}
}

// SetSurveys connects the workflow to the survey sender; until then SendSurvey answers
// ErrSurveysOff. Call it before the service is used.
func (s *Service) SetSurveys(x Surveys) { s.surveys = x }

// ScopeBranch maps a case's branch code to the code a user must cover to see the case: a case
// that concerns no branch (complaintbot.NoBranchCode) is head office's.
func ScopeBranch(code string) string {
	if code == complaintbot.NoBranchCode {
		return ""
	}
	return code
}

// load returns the case if who may act on it; storage.ErrNotFound (wrapped) otherwise, exactly as
// for a case that does not exist.
func (s *Service) load(ctx context.Context, who complaintbot.Actor, number string) (*complaintbot.Case, error) {
	if who.User == nil {
		return nil, errors.New("cases: an action without a user")
	}
	rec, err := s.store.Case(ctx, number)
	if err != nil {
		return nil, err
	}
	if !who.User.Covers(rec.Branch.Code) {
		return nil, fmt.Errorf("case %s outside the branches of %s: %w", number, who.User.Name, storage.ErrNotFound)
	}
	return rec, nil
}

// decision is what an action decided: the change of the case, the notice it calls for ("" none)
// with its placeholders, and the audit trail's before and after.
type decision struct {
	change        storage.CaseChange
	notice        flows.NoticeKind
	data          flows.NoticeData
	before, after string
}

// attempts is how often an action is decided again when the case changed meanwhile.
const attempts = 4

// apply carries out an agent's action: decide looks at the case as it is now and returns the
// change (nil: nothing to do, e.g. a repeated submission) or a refusal. The audit entry is written
// first, then the case is updated (with the notice on its timeline), then the notice is queued.
func (s *Service) apply(ctx context.Context, who complaintbot.Actor, number, action string, decide func(rec *complaintbot.Case, now time.Time) (*decision, error)) error {
	for range attempts {
		rec, err := s.load(ctx, who, number)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		d, err := decide(rec, now)
		if err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		ch := d.change
		ch.Rev, ch.At = rec.Work.Rev, now
		rev := fmt.Sprintf("r%d", rec.Work.Rev+1)
		for i := range ch.Entries {
			if ch.Entries[i].ID == "" {
				ch.Entries[i].ID = fmt.Sprintf("%s-%d", rev, i)
			}
			ch.Entries[i].At, ch.Entries[i].By = now, who.User.Name
		}
		var notice *complaintbot.OutboxMessage
		if d.notice != "" {
			sum := summary(rec)
			if ch.Status != nil {
				sum.Status = *ch.Status
			}
			notice = &complaintbot.OutboxMessage{ID: "notice:" + rec.Number + "#" + rev, OpenID: rec.OpenID, Text: s.engine.Notice(d.notice, sum, d.data),
				Purpose: complaintbot.PurposeNotice, CaseNumber: rec.Number, By: who.User.Name, Created: now}
			ch.Entries = append(ch.Entries, complaintbot.TimelineEntry{ID: rev + "-notice", At: now, By: who.User.Name, Kind: "notice", Text: notice.Text, Outbox: notice.ID})
		}
		if err := s.store.Audit(ctx, &storage.AuditEntry{At: now, User: who.User.Name, Action: action, TargetType: "case", Target: rec.Number,
			Branch: ScopeBranch(rec.Branch.Code), Before: d.before, After: d.after, Addr: who.Addr}); err != nil {
			return &Error{Reason: ErrAudit, Case: rec.Number, Err: err}
		}
		err = s.store.UpdateCase(ctx, rec.Number, ch)
		if errors.Is(err, storage.ErrCaseChanged) {
			continue
		}
		if err != nil {
			return err
		}
		if notice != nil {
			s.enqueue(ctx, notice)
		}
		s.publish(rec.OpenID, rec.Number, now)
		// The report figures move: marked durably for the reports' drain job, so that a change
		// made just before the process stops still reaches them. The change is made: a failed
		// mark is logged, and the reports' repair catches up on it.
		if err := s.store.MarkCaseReport(ctx, rec.Number, "", now); err != nil {
			s.log.Error("mark the case's report figures stale", "case", rec.Number, "err", err)
		}
		return nil
	}
	return &Error{Reason: ErrBusy, Case: number}
}

// enqueue queues a notice whose timeline entry is written; a failure is logged, and RepairNotices
// queues it again.
func (s *Service) enqueue(ctx context.Context, m *complaintbot.OutboxMessage) {
	if _, err := s.store.Enqueue(ctx, m); err != nil {
		s.log.Error("queue case notice", "case", m.CaseNumber, "err", err)
	}
}

func (s *Service) publish(openID, number string, at time.Time) {
	if s.bus != nil {
		s.bus.Publish(events.Event{Kind: events.Case, OpenID: openID, Ref: number, At: at})
	}
}

// repairAfter is how long a notice recorded on a case's timeline may be missing from the outbox
// before RepairNotices queues it again (the update and the queueing are two writes).
const repairAfter = time.Minute

// RepairNotices returns the delivery status of each notice on the case's timeline, by outbox id,
// and queues again any notice whose queueing was lost (the process stopped between the update and
// the queueing); the notice's id makes this harmless otherwise.
func (s *Service) RepairNotices(ctx context.Context, rec *complaintbot.Case) map[string]complaintbot.OutboxStatus {
	out := map[string]complaintbot.OutboxStatus{}
	now := s.clock.Now()
	for _, e := range rec.Work.Timeline {
		if e.Kind != "notice" || e.Outbox == "" {
			continue
		}
		m, err := s.store.OutboxMessage(ctx, e.Outbox)
		switch {
		case err == nil:
			out[e.Outbox] = m.Status
		case errors.Is(err, storage.ErrNotFound) && now.Sub(e.At) > repairAfter:
			s.enqueue(ctx, &complaintbot.OutboxMessage{ID: e.Outbox, OpenID: rec.OpenID, Text: e.Text, Purpose: complaintbot.PurposeNotice,
				CaseNumber: rec.Number, By: e.By, Created: now})
			out[e.Outbox] = complaintbot.OutboxPending
		}
	}
	return out
}

func summary(c *complaintbot.Case) complaintbot.CaseSummary {
	return complaintbot.CaseSummary{Number: c.Number, Kind: c.Kind, Status: c.Status, Category: c.Category, Branch: c.Branch,
		Received: c.Received, ReplyDue: c.ReplyDue}
}
