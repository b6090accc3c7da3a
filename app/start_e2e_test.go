package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
)

// A service whose scheduler cannot start does not run without it (no deadlines, notices or
// leases): Start returns the cause, and the service still shuts down cleanly.
func TestNoServiceWithoutItsScheduler(t *testing.T) {
	ctx := context.Background()
	a, err := app.New(ctx, apptest.Config(t.TempDir()), app.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	a.Scheduler = nil // as if it could not be built or started
	err = a.Start()
	if err == nil || !strings.Contains(err.Error(), "scheduler") {
		t.Fatalf("start without a scheduler: %v", err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown after a failed start: %v", err)
	}
}
