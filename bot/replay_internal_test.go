package bot

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// maintenanceLog is a CallbackStore that records the maintenance asked of it.
type maintenanceLog struct {
	calls []bool // prepare, per call
	fail  bool
}

func (m *maintenanceLog) RecordCallbacks(_ context.Context, pairs []storage.CallbackPair) ([]storage.CallbackSeen, error) {
	return make([]storage.CallbackSeen, len(pairs)), nil
}

func (m *maintenanceLog) MaintainCallbacks(_ context.Context, _ time.Time, _ time.Duration, prepare bool) (int, error) {
	m.calls = append(m.calls, prepare)
	if m.fail {
		return 0, errors.New("database down")
	}
	return 0, nil
}

// The records are looked after once an hour of the injected clock: encrypted callbacks only
// have old hours dropped, the first plaintext one has the coming hours prepared; a failure is
// tried again a minute later, not at every callback.
func TestReplayMaintenanceOncePerHour(t *testing.T) {
	clock := complaintbot.NewManualClock(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	store := &maintenanceLog{}
	g := &replayGuard{store: store, clock: clock, skew: 5 * time.Minute, log: slog.New(slog.DiscardHandler),
		spawn: func(fn func()) { fn() }}
	g.maybeMaintain(false)
	g.maybeMaintain(false)
	if len(store.calls) != 1 || store.calls[0] {
		t.Fatalf("encrypted callbacks: %v, want one drop-only maintenance", store.calls)
	}
	if _, err := g.seen(context.Background(), clock.Now().Unix(), "1", []byte("<xml/>")); err != nil {
		t.Fatal(err)
	}
	g.maybeMaintain(true)
	g.maybeMaintain(false)
	if len(store.calls) != 2 || !store.calls[1] {
		t.Fatalf("after a plaintext callback: %v, want one maintenance that prepares", store.calls)
	}
	clock.Advance(59 * time.Minute)
	g.maybeMaintain(true)
	if len(store.calls) != 2 {
		t.Fatalf("within the hour: %v", store.calls)
	}
	clock.Advance(time.Minute) // 11:00
	store.fail = true
	g.maybeMaintain(true)
	g.maybeMaintain(true)
	clock.Advance(30 * time.Second)
	g.maybeMaintain(true)
	if len(store.calls) != 3 {
		t.Fatalf("a failed maintenance was tried again at once: %v", store.calls)
	}
	store.fail = false
	clock.Advance(31 * time.Second)
	g.maybeMaintain(true)
	g.maybeMaintain(true)
	if len(store.calls) != 4 || !store.calls[3] {
		t.Fatalf("after a minute: %v", store.calls)
	}
}
