package app

import "github.com/complaintbot/complaintbot/scheduler"

// retention returns the retention job (scheduler.Retention) on the service's store, clock and
// settings; it forgets the cached conversations of the customers it changed.
func (a *App) retention() *scheduler.Retention {
	return &scheduler.Retention{Store: a.Store, Clock: a.Clock, Log: a.Log, Config: a.Config.Retention,
		Batch: a.Config.Scheduler.BatchSize, Forget: a.Convs.Forget}
}
