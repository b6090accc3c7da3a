package app

import (
	"context"
	"fmt"

	"github.com/complaintbot/complaintbot/sandbox"
	"github.com/complaintbot/complaintbot/scheduler"
)

// sandbox is the console's control of the service's clock in sandbox mode; nil outside it.
func (a *App) sandbox() *sandbox.Service {
	if a.travel == nil {
		return nil
	}
	return sandbox.New(sandbox.Deps{Store: a.Store, Clock: a.travel, Jobs: dueJobs{a}, Log: a.Log})
}

// dueJobs runs what fell due once the sandbox's clock moved, at once rather than at the jobs'
// next scheduled runs (up to 10 minutes later).
type dueJobs struct{ a *App }

func (j dueJobs) RunDue(ctx context.Context) error {
	if j.a.Scheduler == nil {
		return nil
	}
	if err := j.a.Scheduler.RunDue(ctx); err != nil {
		return fmt.Errorf("run the jobs due after moving the clock: %w", err)
	}
	// Idle drafts and abandoned queue entries expire in the nightly housekeeping: run it too.
	if _, err := j.a.Scheduler.RunOnce(ctx, scheduler.JobHousekeeping); err != nil {
		return fmt.Errorf("run housekeeping after moving the clock: %w", err)
	}
	// So does the retention job: moved past the retention period, the personal data goes.
	if _, err := j.a.Scheduler.RunOnce(ctx, scheduler.JobRetention); err != nil {
		return fmt.Errorf("run the retention job after moving the clock: %w", err)
	}
	return nil
}
