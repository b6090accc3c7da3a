package scheduler_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func withJobs(t *testing.T, st *storage.Store, clock complaintbot.Clock, owner string, jobs ...scheduler.Job) (*scheduler.Scheduler, error) {
	t.Helper()
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return scheduler.New(scheduler.Options{Store: st, Engine: engine, Clock: clock, Owner: owner, Config: testConfig(),
		Log: slog.New(slog.DiscardHandler), Jobs: jobs})
}

// A job another package registers runs through the scheduler's lease: with two instances on one
// database, whichever asks first in a lease period runs it and the other does not, period after
// period; the holder keeps its period; its count and error come back in the Run.
func TestRegisteredJobRunsOncePerLeasePeriod(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	runs := map[string]int{}
	job := func(owner string) scheduler.Job {
		return scheduler.Job{Name: "reports.repair", Spec: "@every 10m", Run: func(ctx context.Context) (int, error) {
			runs[owner]++
			return 3, nil
		}}
	}
	a, err := withJobs(t, st, clock, "a", job("a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := withJobs(t, st, clock, "b", job("b"))
	if err != nil {
		t.Fatal(err)
	}
	lease := testConfig().Lease.D()
	for period := range 6 {
		first, second := a, b
		if period%2 == 1 {
			first, second = b, a
		}
		r := mustRun(t, first, "reports.repair")
		if !r.Ran || r.Done != 3 {
			t.Fatalf("period %d: the first instance to ask did not run the job: %+v", period, r)
		}
		if mustRun(t, second, "reports.repair").Ran {
			t.Fatalf("period %d: both instances ran the job", period)
		}
		clock.Advance(lease / 2) // later in the same period: still the holder's
		if mustRun(t, second, "reports.repair").Ran || !mustRun(t, first, "reports.repair").Ran {
			t.Fatalf("period %d: the holder lost its period", period)
		}
		clock.Advance(lease / 2)
	}
	if runs["a"] != 6 || runs["b"] != 6 {
		t.Fatalf("runs by instance %v, want 6 each (two in each of its three periods)", runs)
	}

	// A failing run reports the job's error.
	boom := errors.New("boom")
	c, err := withJobs(t, st, clock, "c", scheduler.Job{Name: "failing", Spec: "@every 1m", Run: func(context.Context) (int, error) { return 1, boom }})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.RunOnce(context.Background(), "failing"); !r.Ran || !errors.Is(err, boom) {
		t.Fatalf("failing job: %+v %v", r, err)
	}
}

// A registered job with the name of a built-in job, twice the same name, no Run or a spec cron
// cannot read is refused when the scheduler is built, not when it would first run.
func TestRegisteredJobsAreChecked(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	run := func(context.Context) (int, error) { return 0, nil }
	for _, c := range []struct {
		jobs []scheduler.Job
		want string
	}{
		{[]scheduler.Job{{Name: scheduler.JobNotices, Spec: "@every 1m", Run: run}}, "built-in"},
		{[]scheduler.Job{{Name: "x", Spec: "@every 1m", Run: run}, {Name: "x", Spec: "@every 2m", Run: run}}, "twice"},
		{[]scheduler.Job{{Name: "x", Spec: "@every 1m"}}, "Run"},
		{[]scheduler.Job{{Name: "x", Spec: "every night", Run: run}}, "spec"},
	} {
		if _, err := withJobs(t, st, clock, "a", c.jobs...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("jobs %+v: error %v, want one about %q", c.jobs[0].Name, err, c.want)
		}
	}
	x, err := withJobs(t, st, clock, "a", scheduler.Job{Name: "nightly", Spec: "0 2 * * *", Run: run})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Start(context.Background()); err != nil {
		t.Fatalf("start with a registered job: %v", err)
	}
	x.Stop()
}
