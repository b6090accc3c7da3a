package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/complaintbot/complaintbot/scheduler"
)

// buildScheduler builds the cron jobs and gives the outbox worker its channels and pace; New
// calls it once the conversations and the outbox exist.
func (a *App) buildScheduler(ctx context.Context) error {
	cfg := a.Config.Scheduler
	a.Outbox.Templates = cfg.Templates
	a.Outbox.TemplateData = cfg.TemplateData
	a.Outbox.PerSecond = cfg.OutboxPerSecond
	a.Outbox.Wake = make(chan struct{}, 1)
	a.Store.OnEnqueue(func() { // deliver at once rather than at the next poll
		select {
		case a.Outbox.Wake <- struct{}{}:
		default:
		}
	})
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	s, err := scheduler.New(scheduler.Options{Store: a.Store, Engine: a.Engine, Convs: a.Convs, Clock: a.Clock, Log: a.Log,
		Outbox: a.Outbox, Owner: a.Outbox.Owner + "/" + hex.EncodeToString(suffix), Config: cfg, Idle: a.Handoffs, Cases: a.Cases})
	if err != nil {
		return err
	}
	a.Scheduler = s
	a.Cases.SetSurveys(s)
	a.Handoffs.SetSurveys(s)
	return nil
}

// startScheduler starts the outbox worker and the cron jobs; they run until ctx is done, and wg
// tracks them.
func (a *App) startScheduler(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Outbox.Run(ctx)
	}()
	if err := a.Scheduler.Start(ctx); err != nil {
		a.Log.Error("scheduler not started", "err", err)
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		a.Scheduler.Stop()
	}()
}
