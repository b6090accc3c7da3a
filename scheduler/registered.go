package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is a background job of another package that the scheduler runs on its schedule, through
// the same lease as its own jobs: whatever the number of instances, one runs it in a lease period.
// Register them with Options.Jobs.
type Job struct {
	// Name names the job in its lease and in logs; it must not be the name of a built-in job
	// (Jobs) or of another registered one.
	Name string
	// Spec is when the job runs: a cron spec in Asia/Shanghai ("0 2 * * *") or "@every 10m".
	Spec string
	// Run does the work and returns how many items it worked on. It should be safe to stop
	// midway (ctx ends at shutdown) and to run again.
	Run func(ctx context.Context) (int, error)
}

// checkJobs validates the registered jobs.
func checkJobs(jobs []Job) (map[string]Job, error) {
	out := make(map[string]Job, len(jobs))
	for _, j := range jobs {
		switch {
		case j.Name == "" || j.Run == nil:
			return nil, fmt.Errorf("scheduler: a registered job needs a Name and a Run (job %q)", j.Name)
		case slices.Contains(Jobs, j.Name):
			return nil, fmt.Errorf("scheduler: registered job %q has the name of a built-in job", j.Name)
		}
		if _, dup := out[j.Name]; dup {
			return nil, fmt.Errorf("scheduler: job %q registered twice", j.Name)
		}
		if _, err := cron.ParseStandard(j.Spec); err != nil {
			return nil, fmt.Errorf("scheduler: job %q: spec %q: %w", j.Name, j.Spec, err)
		}
		out[j.Name] = j
	}
	return out, nil
}

// runRegistered runs a registered job whose lease this instance holds. A registered job works
// through no batches of the scheduler's, so while it runs its lease is renewed every third of a
// lease: a run longer than a lease period keeps the next periods, and another instance does not
// start it meanwhile. A renewal refused (another instance took a period: this one's renewals came
// too late) is logged; the run is not cut short, since a job such as the nightly report rebuild is
// not safe to stop at an arbitrary point other than shutdown.
func (x *Scheduler) runRegistered(ctx context.Context, j Job) (int, error) {
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		every := x.cfg.Lease.D() / 3
		if every <= 0 {
			every = time.Minute
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := x.hold(ctx, j.Name)
				switch {
				case errors.Is(err, errLeaseLost):
					x.log.Warn("a registered job's lease went to another instance while it ran", "job", j.Name)
					return
				case err != nil && ctx.Err() == nil:
					x.log.Error("renew the lease of a running job", "job", j.Name, "err", err)
				}
			}
		}
	}()
	n, err := j.Run(ctx)
	close(stop)
	<-renewed
	return n, err
}
