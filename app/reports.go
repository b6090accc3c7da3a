package app

import (
	"context"
	"sync"
	"time"
)

// reportRepairEvery is how often the reports catch up on changes that no event announced
// (surveys answered through the webhook, sent and expired by the scheduler; deadlines passing).
const reportRepairEvery = 10 * time.Minute

// buildReports rebuilds the supervisors' report facts and rollups from the cases and surveys when
// there are none yet (a new database, or one from before the reports existed). New calls it once
// the console exists; the rebuild reads the cases once.
func (a *App) buildReports(ctx context.Context) error {
	periods, err := a.Store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	if len(periods) > 0 {
		return nil
	}
	return a.Console.Reports().Rebuild(ctx)
}

// startReports keeps the report facts current: it refreshes the facts of the cases the bus
// announces as changed, repairs every reportRepairEvery, and rebuilds everything nightly. It runs
// until ctx is done, and wg tracks it.
func (a *App) startReports(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Console.Reports().Run(ctx, a.Bus, reportRepairEvery)
	}()
}
