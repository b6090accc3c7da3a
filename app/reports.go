package app

import (
	"context"
	"sync"

	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
)

// buildReports rebuilds the supervisors' report facts and rollups from the cases and surveys when
// there are none yet (a new database, or one from before the reports existed), and has rollups of
// an older layout recomputed (reports.Service.UpgradeRollups). New calls it once the reports
// service exists; the rebuild reads the cases once.
func (a *App) buildReports(ctx context.Context) error {
	periods, err := a.Store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	if len(periods) > 0 {
		return a.Reports.UpgradeRollups(ctx)
	}
	return a.Reports.Rebuild(ctx)
}

// startReports marks stale the report figures of the cases this instance's bus announces
// (reports.Service.Run: the bus is the process's own, so each instance runs it); the drain that
// refreshes them, the repair and the nightly rebuild are scheduler jobs (backgroundJobs). It runs until ctx is done, and wg tracks it.
func (a *App) startReports(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Reports.Run(ctx, a.Bus)
	}()
}

// JobIndexEmbedded indexes the embedded database's collections that appeared since the last run
// (the per-day report facts: see storage.Store.IndexEmbedded), every hour; it is registered on the
// embedded server only.
const JobIndexEmbedded = "index_embedded"

// indexEmbeddedSpec is when JobIndexEmbedded runs.
const indexEmbeddedSpec = "@every 1h"

// backgroundJobs are the background jobs of the other parts that the scheduler runs through its
// leases, so that one instance runs each at a time: the reports' repair and nightly rebuild, and on
// the embedded server the hourly indexing of new collections. The reports' drain (every 20 s) is
// how figures arrive: it refreshes the cases marked stale where they changed.
func (a *App) backgroundJobs() []scheduler.Job {
	jobs := []scheduler.Job{
		{Name: reports.JobDrain, Spec: reports.DrainSpec, Run: a.Reports.Drain},
		{Name: reports.JobRepair, Spec: reports.RepairSpec, Run: func(ctx context.Context) (int, error) { return 0, a.Reports.Repair(ctx) }},
		{Name: reports.JobRebuild, Spec: reports.RebuildSpec, Run: func(ctx context.Context) (int, error) { return 0, a.Reports.Rebuild(ctx) }},
		a.Media.Job(),
		a.retention().Job(),
		a.erasures().Job(),
	}
	if a.Store.Embedded() {
		jobs = append(jobs, scheduler.Job{Name: JobIndexEmbedded, Spec: indexEmbeddedSpec,
			Run: func(ctx context.Context) (int, error) { return 0, a.Store.IndexEmbedded(ctx) }},
			scheduler.Job{Name: storage.JobSearchIndex, Spec: storage.SearchIndexSpec, Run: a.Store.IndexSearch})
	}
	return jobs
}
