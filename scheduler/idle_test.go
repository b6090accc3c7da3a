package scheduler_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// idleCounter counts the runs of the idle return.
type idleCounter struct{ runs atomic.Int32 }

func (c *idleCounter) ReturnIdle(context.Context) (int, error) {
	c.runs.Add(1)
	return 1, nil
}

// The idle return is a job with a lease like the others: two instances running it at the same
// moment return idle conversations once.
func TestIdleReturnRunsOnOneInstance(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	idle := &idleCounter{}
	var xs []*scheduler.Scheduler
	for _, owner := range []string{"a", "b"} {
		x, err := scheduler.New(scheduler.Options{Store: st, Engine: engine, Clock: clock, Owner: owner, Config: testConfig(),
			Log: slog.New(slog.DiscardHandler), Idle: idle})
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	for period := range 3 {
		var wg sync.WaitGroup
		var ran atomic.Int32
		for _, x := range xs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := x.RunOnce(context.Background(), scheduler.JobIdleReturn)
				if err != nil {
					t.Error(err)
				}
				if r.Ran {
					ran.Add(1)
					if r.Done != 1 {
						t.Errorf("done %d", r.Done)
					}
				}
			}()
		}
		wg.Wait()
		if ran.Load() != 1 {
			t.Fatalf("period %d: ran on %d instances", period, ran.Load())
		}
		clock.Advance(testConfig().Lease.D())
	}
	if idle.runs.Load() != 3 {
		t.Fatalf("idle return ran %d times", idle.runs.Load())
	}
	// Without an idle returner the job does nothing.
	x := newScheduler(t, st, clock, "c", testConfig())
	if r := mustRun(t, x, scheduler.JobIdleReturn); r.Done != 0 {
		t.Fatalf("without an idle returner: %+v", r)
	}
}
