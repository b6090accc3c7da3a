package app

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot/console"
	"github.com/complaintbot/complaintbot/scheduler"
)

// timeTravel is the console's control of the service's clock in sandbox mode; nil outside it.
func (a *App) timeTravel() console.TimeTravel {
	if a.travel == nil {
		return nil
	}
	return sandboxClock{a}
}

// sandboxClock moves the sandbox's clock and runs what fell due at once, rather than at the jobs'
// next scheduled runs (up to 10 minutes later).
type sandboxClock struct{ a *App }

func (s sandboxClock) Now() time.Time        { return s.a.travel.Now() }
func (s sandboxClock) Offset() time.Duration { return s.a.travel.Offset() }

func (s sandboxClock) Advance(ctx context.Context, d time.Duration) error {
	s.a.travel.Advance(d)
	s.a.Log.Info("sandbox clock moved forward", "by", d.String(), "now", s.a.travel.Now())
	if s.a.Scheduler == nil {
		return nil
	}
	if err := s.a.Scheduler.RunDue(ctx); err != nil {
		return fmt.Errorf("run the jobs due after moving the clock: %w", err)
	}
	// Idle drafts and abandoned queue entries expire in the nightly housekeeping: run it too.
	if _, err := s.a.Scheduler.RunOnce(ctx, scheduler.JobHousekeeping); err != nil {
		return fmt.Errorf("run housekeeping after moving the clock: %w", err)
	}
	// So does the retention job: moved past the retention period, the personal data goes.
	if _, err := s.a.Scheduler.RunOnce(ctx, scheduler.JobRetention); err != nil {
		return fmt.Errorf("run the retention job after moving the clock: %w", err)
	}
	return nil
}
