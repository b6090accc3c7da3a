// Package apptest starts the whole service for end-to-end tests: real listeners on loopback
// ports, the embedded database in a temporary folder, the built-in fake WeChat API, a manual clock,
// and a WeChat simulator pointed at the webhook.
package apptest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/wechatsim"
)

// Start is 2026-11-27 10:00 Asia/Shanghai, a Friday: the manual clock starts here.
var Start = time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai)

// Harness is a running service and a simulated WeChat in front of it.
type Harness struct {
	App   *app.App
	Clock *complaintbot.ManualClock
	Sim   *wechatsim.Client
	Dir   string
	cfg   config.Config
	opts  app.Options
	t     testing.TB
	down  bool
	log   *slog.Logger
}

// Config returns the configuration tests start from: loopback ports, sandbox mode, a temporary
// data folder.
func Config(dir string) config.Config {
	cfg := config.Default()
	cfg.Server.WebhookAddr = "127.0.0.1:0"
	cfg.Server.ConsoleAddr = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.WeChat.AppID = "wx5823bf96d3bd56c7"
	cfg.WeChat.Token = "QDG6eK"
	cfg.Outbox.PollInterval = config.Duration(50 * time.Millisecond)
	return cfg
}

// New starts the service with Config(t.TempDir()) changed by edit (which may be nil). It stops when
// the test ends.
func New(t testing.TB, edit func(*config.Config)) *Harness {
	t.Helper()
	return NewWith(t, edit, app.Options{})
}

// NewWith is New with options for the service (its clock and logger are the harness's own).
func NewWith(t testing.TB, edit func(*config.Config), opts app.Options) *Harness {
	t.Helper()
	dir := t.TempDir()
	cfg := Config(dir)
	if edit != nil {
		edit(&cfg)
	}
	if problems := cfg.Validate(); len(problems) > 0 {
		t.Fatalf("test config: %v", problems)
	}
	if cfg.MongoDB.URI == "" && cfg.DataDir == dir {
		// The first start's database, made once per test process: a fresh one costs a second.
		storagetest.CopyEmpty(t, dir, cfg.MongoDB.Database)
	}
	h := &Harness{Clock: complaintbot.NewManualClock(Start), Dir: dir, cfg: cfg, opts: opts, t: t}
	h.log = new(failureLog).logger(t)
	h.start()
	t.Cleanup(func() { h.Stop() })
	return h
}

func (h *Harness) start() {
	h.t.Helper()
	opts := h.opts
	opts.Clock, opts.Logger = h.Clock, h.log
	a, err := app.New(context.Background(), h.cfg, opts)
	if err != nil {
		h.t.Fatalf("start service: %v", err)
	}
	if err := a.Start(); err != nil {
		_ = a.Shutdown(context.Background())
		h.t.Fatalf("start service: %v", err)
	}
	h.App, h.down = a, false
	h.Sim = &wechatsim.Client{URL: a.WebhookURL() + h.cfg.WeChat.Path, Token: h.cfg.WeChat.Token, AppID: h.cfg.WeChat.AppID,
		AESKey: h.cfg.WeChat.EncodingAESKey, Clock: h.Clock}
}

// Stop shuts the service down cleanly (idempotent).
func (h *Harness) Stop() {
	if h.down {
		return
	}
	h.down = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.App.Shutdown(ctx); err != nil {
		h.t.Errorf("shutdown: %v", err)
	}
}

// Restart stops the service and starts it again on the same data folder (new ports).
func (h *Harness) Restart() {
	h.t.Helper()
	h.Stop()
	h.cfg.Server.WebhookAddr, h.cfg.Server.ConsoleAddr = "127.0.0.1:0", "127.0.0.1:0"
	h.start()
}

// Say sends a text from the customer and returns the passive reply text, failing the test on
// anything but a 200.
func (h *Harness) Say(openID, text string) string {
	h.t.Helper()
	r, err := h.Sim.Text(openID, text)
	if err != nil {
		h.t.Fatalf("send %q: %v", text, err)
	}
	if r.Status != 200 {
		h.t.Fatalf("send %q: HTTP %d %s", text, r.Status, r.Body)
	}
	h.App.Webhook.Wait() // the effects applied after the answer (a case registered, a queue entry)
	return r.Text
}

// Deliver delivers every message due now, as the background worker would, and returns when none
// is left: an attempt the background worker has claimed is waited for, not skipped.
func (h *Harness) Deliver() {
	h.t.Helper()
	ctx := context.Background()
	for range 500 {
		if _, err := h.App.Outbox.RunOnce(ctx); err != nil {
			h.t.Fatalf("deliver outbox: %v", err)
		}
		due, err := h.App.Store.DueOutbox(ctx, h.Clock.Now(), 1)
		if err != nil {
			h.t.Fatalf("deliver outbox: %v", err)
		}
		if len(due) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond) // the background worker is sending it
	}
	h.t.Fatal("deliver outbox: messages still due after 5 s")
}
