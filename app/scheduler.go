package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/complaintbot/complaintbot/scheduler"
)

// buildScheduler builds the cron jobs and gives the outbox worker its channels and pace; New
// calls it once the conversations and the outbox exist.
func (a *App) buildScheduler(ctx context.Context) error {
	cfg := a.Config.Scheduler
	a.Outbox.Templates = cfg.Templates
	a.Outbox.TemplateData = cfg.TemplateData
	a.Outbox.Subscribe = cfg.MessageAPI == "subscribe"
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
		Outbox: a.Outbox, Owner: a.Outbox.Owner + "/" + hex.EncodeToString(suffix), Config: cfg, Idle: a.Handoffs, Queue: a.Handoffs, Cases: a.Cases,
		Jobs: a.backgroundJobs()})
	if err != nil {
		return err
	}
	a.Scheduler = s
	a.Cases.SetSurveys(s)
	a.Cases.SetAlerts(s) // risk flags go to the WeCom robot too
	a.Handoffs.SetSurveys(s)
	return nil
}

// startScheduler starts the cron jobs and the outbox worker; they run until ctx is done, and wg
// tracks them. A scheduler that cannot start is an error, and nothing is started: the service
// does not run without its deadlines, notices and leases.
func (a *App) startScheduler(ctx context.Context, wg *sync.WaitGroup) error {
	if a.Scheduler == nil {
		return errors.New("start the scheduler: it was not built")
	}
	if err := a.Scheduler.Start(ctx); err != nil {
		return fmt.Errorf("start the scheduler: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Outbox.Run(ctx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		a.Scheduler.Stop()
	}()
	return nil
}
