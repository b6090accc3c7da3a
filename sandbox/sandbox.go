// Package sandbox is sandbox mode's time travel: an admin moves the service's clock forward, so
// that a trainer or tester sees reminders, overdue marks, escalations, surveys and expiries happen
// without waiting. Only admins move it, forward only and at most MaxAdvance at a time; every move
// is written to the audit trail before it is made, and a move whose entry cannot be written is
// not made. What fell due by the new time is run at once (Jobs), rather than at the jobs' next
// scheduled runs.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// MaxAdvance is the longest one move of the clock may be.
const MaxAdvance = 90 * 24 * time.Hour

// The audit trail's name of a move of the clock, and of its target.
const (
	// AuditClock is a move of the clock (target: "clock"; before and after: the service's time,
	// RFC 3339).
	AuditClock = "sandbox.clock"
	// AuditTarget is the audit entries' target type.
	AuditTarget = "sandbox"
)

// Audit names the sandbox's audit code and target type for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{AuditClock: "调整沙箱时间"}, Target: AuditTarget, TargetName: "沙箱"}

// Why a move is refused.
var (
	// ErrForbidden: only admins move the clock (MayAdvance).
	ErrForbidden = errors.New("sandbox: only admins move the clock")
	// ErrSpan: a move is forward, by at most MaxAdvance.
	ErrSpan = errors.New("sandbox: the clock moves forward by at most 90 days")
	// ErrUnaudited: the audit entry could not be written, so the clock was not moved.
	ErrUnaudited = errors.New("sandbox: the audit entry could not be written")
)

// Jobs runs what fell due once the clock has moved (the app's scheduler jobs).
type Jobs interface {
	RunDue(ctx context.Context) error
}

// Deps are what the sandbox works with.
type Deps struct {
	Store *storage.Store
	// Clock is the service's clock, which the sandbox moves.
	Clock *complaintbot.TravelClock
	// Jobs runs what fell due after a move; nil: nothing is run.
	Jobs Jobs
	// Log is where moves and failures are told; nil: slog.Default().
	Log *slog.Logger
}

// Service moves the service's clock in sandbox mode. Build it with New; it is safe for
// concurrent use.
type Service struct {
	store *storage.Store
	clock *complaintbot.TravelClock
	jobs  Jobs
	log   *slog.Logger
}

// New returns the sandbox over d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: d.Store, clock: d.Clock, jobs: d.Jobs, log: d.Log}
}

// MayAdvance reports whether u may move the clock: admins only.
func MayAdvance(u *complaintbot.User) bool { return u != nil && u.Role == complaintbot.RoleAdmin }

// Now is the service's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Offset is how far the service's time stands ahead of the real time.
func (s *Service) Offset() time.Duration { return s.clock.Offset() }

// Advance moves the service's time forward by d for who and runs the jobs that are due by then.
// It is refused to all but admins (ErrForbidden) and for a span not in (0, MaxAdvance] (ErrSpan);
// the move is written to the audit trail first (ErrUnaudited when it cannot be, and the clock
// stays).
func (s *Service) Advance(ctx context.Context, who complaintbot.Actor, d time.Duration) error {
	if !MayAdvance(who.User) {
		return ErrForbidden
	}
	if d <= 0 || d > MaxAdvance {
		return ErrSpan
	}
	before := s.clock.Now()
	e := &storage.AuditEntry{At: before, User: who.Name(), Action: AuditClock, TargetType: AuditTarget, Target: "clock",
		Before: before.Format(time.RFC3339), After: before.Add(d).Format(time.RFC3339), Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: action not carried out", "action", AuditClock, "err", err)
		return fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	s.clock.Advance(d)
	s.log.Info("sandbox clock moved forward", "by", d.String(), "now", s.clock.Now())
	if s.jobs == nil {
		return nil
	}
	if err := s.jobs.RunDue(ctx); err != nil {
		return fmt.Errorf("advance the sandbox clock by %s: %w", d, err)
	}
	return nil
}
