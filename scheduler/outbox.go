// Package scheduler runs the service's background work: delivering the outbox, and the cron jobs
// that keep customers informed and deadlines kept.
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi"
)

// TextSender sends a customer-service text message through WeChat.
type TextSender interface {
	SendText(ctx context.Context, openID, text string) error
}

// OutboxWorker delivers queued messages: one attempt at a time per message across all instances
// (each attempt is claimed with an insert on a unique key), retried with backoff on transient
// errors, and given up after MaxAttempts with the reason kept.
type OutboxWorker struct {
	Store   *storage.Store
	Sender  TextSender
	Clock   complaintbot.Clock
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Owner names this instance in attempt claims.
	Owner string
	// Poll is how often Run looks for due messages.
	Poll time.Duration
	// MaxAttempts is how many failed attempts a message gets before it is marked failed.
	MaxAttempts int
	// StaleClaim is how old a claimed attempt with no outcome must be before it counts as cut
	// off mid-send (outcome unknown) rather than still under way.
	StaleClaim time.Duration
	// Wake, when not nil, makes Run look for due messages at once.
	Wake chan struct{}
}

// Run delivers due messages until ctx is done.
func (w *OutboxWorker) Run(ctx context.Context) {
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("outbox run", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.Wake:
		}
	}
}

// RunOnce makes one attempt at every message due now and returns how many it attempted.
func (w *OutboxWorker) RunOnce(ctx context.Context) (int, error) {
	attempted := 0
	for {
		due, err := w.Store.DueOutbox(ctx, w.Clock.Now(), 50)
		if err != nil {
			return attempted, err
		}
		progressed := false
		for i := range due {
			if ctx.Err() != nil {
				return attempted, ctx.Err()
			}
			ok, err := w.deliver(ctx, &due[i])
			if err != nil {
				return attempted, err
			}
			if ok {
				attempted++
				progressed = true
			}
		}
		if len(due) < 50 || !progressed {
			return attempted, nil
		}
	}
}

// deliver makes the next attempt at m; false means another worker holds it.
func (w *OutboxWorker) deliver(ctx context.Context, m *storage.OutboxMessage) (bool, error) {
	n := m.Attempts + 1
	now := w.Clock.Now()
	claimed, err := w.Store.ClaimAttempt(ctx, m.ID, n, w.Owner, now)
	if err != nil {
		return false, err
	}
	if !claimed {
		at, err := w.Store.AttemptClaimedAt(ctx, m.ID, n)
		if err != nil {
			return false, err
		}
		if now.Sub(at) < w.staleClaim() {
			return false, nil // under way elsewhere
		}
		// The worker that claimed it died between claiming and recording: WeChat may or may not
		// have the message. Sending again could show it twice, so a person checks.
		w.Metrics.OutboxDeliveries.WithLabelValues("unknown").Inc()
		return true, w.Store.RecordOutcome(ctx, m.ID, n, storage.OutboxOutcome{Status: storage.OutboxUnknown, At: now,
			Error: "an earlier attempt was cut off mid-send; check with the customer before sending again"})
	}
	sendErr := w.Sender.SendText(ctx, m.OpenID, m.Text)
	class := wechatapi.Classify(sendErr)
	var apiErr *wechatapi.APIError
	if errors.As(sendErr, &apiErr) {
		w.Metrics.WeChatAPIErrors.WithLabelValues(strconv.FormatInt(apiErr.Code, 10)).Inc()
	}
	o := storage.OutboxOutcome{At: w.Clock.Now(), Channel: "custom"}
	if sendErr != nil {
		o.Error = sendErr.Error()
	}
	switch class {
	case wechatapi.ClassOK:
		o.Status = storage.OutboxSent
		if m.Purpose != "reply" { // late bot replies are in the transcript with their turn already
			if err := w.Store.AppendLine(ctx, storage.Line{ID: m.ID, OpenID: m.OpenID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: m.Text, At: o.At, By: m.By}); err != nil {
				w.Log.Error("record sent message in transcript", "err", err)
			}
		}
	case wechatapi.ClassOutOfWindow, wechatapi.ClassTooMany:
		o.Status = storage.OutboxUndeliverable
	case wechatapi.ClassRefused, wechatapi.ClassInvalid:
		o.Status = storage.OutboxFailed
	default: // busy, quota, token after its one refresh: try again later
		if n >= w.MaxAttempts {
			o.Status = storage.OutboxFailed
		} else {
			o.Status = storage.OutboxPending
			o.NextAt = o.At.Add(backoff(n))
		}
	}
	w.Metrics.OutboxDeliveries.WithLabelValues(string(o.Status)).Inc()
	if o.Status != storage.OutboxSent {
		w.Log.Warn("outbox delivery", "purpose", m.Purpose, "attempt", n, "status", o.Status, "class", class)
	}
	return true, w.Store.RecordOutcome(ctx, m.ID, n, o)
}

func (w *OutboxWorker) staleClaim() time.Duration {
	if w.StaleClaim > 0 {
		return w.StaleClaim
	}
	return 2 * time.Minute
}

// backoff is the wait before attempt n+1: 10 s doubling, at most an hour.
func backoff(n int) time.Duration {
	d := 10 * time.Second << min(n-1, 9)
	return min(d, time.Hour)
}
