package loadtest_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/storage"
)

// BenchmarkSeedYear seeds a small year (-year-cases and -year-customers; set them small, e.g.
// 2000 and 1500) into a fresh embedded database each iteration and reports how long SeedYear took
// and what it wrote per second:
//
//	go test ./loadtest -run XXX -bench SeedYear -benchtime 1x -year-cases 2000 -year-customers 1500
func BenchmarkSeedYear(b *testing.B) {
	cfg := config.Default()
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{IdleTimeout: cfg.Intake.IdleTimeout.D(), DraftKeep: cfg.Intake.DraftKeep.D(),
		DailyCaseCap: cfg.Intake.DailyCaseCap, DuplicateWindow: cfg.Intake.DuplicateWindow.D()})
	if err != nil {
		b.Fatal(err)
	}
	cal, err := app.LoadCalendar(cfg)
	if err != nil {
		b.Fatal(err)
	}
	registry := &conversations.Registry{Calendar: cal, ReplyDays: cfg.Cases.ReplyDays, ReplyUnit: calendar.Unit(cfg.Cases.ReplyUnit), DecisionDays: cfg.Cases.DecisionDays}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	shape := loadtest.YearShape{Cases: *yearCases, Customers: *yearCustomers, End: time.Now(), Database: cfg.MongoDB.Database}
	var took time.Duration
	var stats loadtest.SeedStats
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		st, err := storage.Open(ctx, storage.Options{DataDir: b.TempDir(), Database: shape.Database, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stats, err = loadtest.SeedYear(ctx, st, engine, registry, shape, nil)
		if err != nil {
			b.Fatal(err)
		}
		took += stats.Took
		b.StopTimer()
		if err := st.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.Logf("seeded %v", stats)
	b.ReportMetric(took.Seconds()/float64(b.N), "seed-s")
	b.ReportMetric(float64(stats.Turns)/(took.Seconds()/float64(b.N)), "turns/s")
}

// A seeded year reads back as the service wrote it: a customer's newest turn comes with its
// state, and the turn that registered a case carries the case in its stored effects, so the
// service started on a seeded folder finds its conversations and cases as after a real year.
func TestSeededTurnsReadBack(t *testing.T) {
	cfg := config.Default()
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{IdleTimeout: cfg.Intake.IdleTimeout.D(), DraftKeep: cfg.Intake.DraftKeep.D(),
		DailyCaseCap: cfg.Intake.DailyCaseCap, DuplicateWindow: cfg.Intake.DuplicateWindow.D()})
	if err != nil {
		t.Fatal(err)
	}
	cal, err := app.LoadCalendar(cfg)
	if err != nil {
		t.Fatal(err)
	}
	registry := &conversations.Registry{Calendar: cal, ReplyDays: cfg.Cases.ReplyDays, ReplyUnit: calendar.Unit(cfg.Cases.ReplyUnit), DecisionDays: cfg.Cases.DecisionDays}
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := storage.Open(ctx, storage.Options{DataDir: t.TempDir(), Database: cfg.MongoDB.Database, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(ctx) })
	shape := loadtest.YearShape{Cases: 12, Customers: 10, End: time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC), Database: cfg.MongoDB.Database}
	stats, err := loadtest.SeedYear(ctx, st, engine, registry, shape, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Cases != 12 {
		t.Fatalf("seeded %v, want 12 cases", stats)
	}
	// Customer 0 filed cases 0 and 10: 1 greeting + 2 × (8 intake turns + a progress question) at least.
	latest, err := st.LatestTurn(ctx, loadtest.SeedOpenID(0))
	if err != nil {
		t.Fatal(err)
	}
	if latest.Version < 19 || len(latest.Cases) != 2 || latest.State.LastActive.IsZero() {
		t.Fatalf("customer 0's newest turn: version %d, cases %v, last active %v", latest.Version, latest.Cases, latest.State.LastActive)
	}
	found := false
	for v := int64(1); v <= latest.Version && !found; v++ {
		turn, err := st.Turn(ctx, storage.TurnID(loadtest.SeedOpenID(0), v))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range turn.Effects {
			if e.Type == complaintbot.EffectCreateCase && e.Case != nil && e.Case.Number == latest.Cases[0] && e.Case.SourceTurn == turn.ID {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("no turn of customer 0 stores the registration of case %s", latest.Cases[0])
	}
}
