package app

import "github.com/complaintbot/complaintbot/scheduler"

// erasures returns the job that carries out the erasure requests the console records
// (scheduler.Erasures); it forgets the cached conversations of the customers it erased.
func (a *App) erasures() *scheduler.Erasures {
	return &scheduler.Erasures{Store: a.Store, Clock: a.Clock, Log: a.Log, Forget: a.Convs.Forget}
}
