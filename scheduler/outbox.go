// Package scheduler runs the service's background work: delivering the outbox, and the cron jobs
// that keep customers informed and deadlines kept.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi"
)

// Sender sends through WeChat: customer-service text messages and template messages.
type Sender interface {
	SendText(ctx context.Context, openID, text string) error
	SendTemplate(ctx context.Context, openID, templateID, url string, data map[string]string) (msgID int64, err error)
}

// Outbox channels.
const (
	ChannelCustom   = "custom"   // customer-service message: within 48 hours of the customer's last message
	ChannelTemplate = "template" // template message: any time, to followers, for configured notice kinds
)

// OutboxWorker delivers queued messages: one attempt at a time per message across all instances
// (each attempt is claimed with an insert on a unique key), on the channel WeChat allows, at most
// PerSecond messages a second, retried with backoff on transient errors, and given up after
// MaxAttempts with the reason kept. No message is dropped silently: what cannot be delivered is
// marked undeliverable (or failed) and listed by storage.UndeliverableOutbox for a person.
//
// Exactly once: every message has an idempotency key (its ID), so enqueueing it again adds
// nothing, and each attempt is claimed before it is made, so no two workers make the same
// attempt. A worker that dies between claiming an attempt and recording its outcome leaves the
// outcome unknown: WeChat's send APIs take no idempotency key and cannot be asked what arrived, so
// the claim with no outcome is the evidence. After StaleClaim such a message is marked unknown
// and is not resent automatically (a resend could show the customer the message twice); it is
// listed for a person, who can resend it (storage.RequeueOutbox) after checking. Outcomes are
// recorded even when the worker is being shut down, so only a crash leaves one unknown.
type OutboxWorker struct {
	Store   *storage.Store
	Sender  Sender
	Clock   complaintbot.Clock
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Owner names this instance in attempt claims.
	Owner string
	// Poll is how often Run looks for due messages.
	Poll time.Duration
	// MaxAttempts is how many failed attempts a message gets before it is given up.
	MaxAttempts int
	// StaleClaim is how old a claimed attempt with no outcome must be before it counts as cut
	// off mid-send (outcome unknown) rather than still under way.
	StaleClaim time.Duration
	// Wake, when not nil, makes Run look for due messages at once.
	Wake chan struct{}
	// Templates maps a notice kind ("progress", "survey") to a template message id; a kind
	// without one cannot be sent outside the customer's window.
	Templates map[string]string
	// TemplateData fills a template's fields: field name → text with placeholders {text},
	// {number}, {kind}, {status}, {date}, {branch}.
	TemplateData map[string]string
	// PerSecond caps the sending rate (0: no cap). The pacing uses the wall clock: it protects
	// WeChat's rate limit, not a business deadline.
	PerSecond int

	pace pacer
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

// Poke makes a running worker look for due messages now.
func (w *OutboxWorker) Poke() {
	if w.Wake == nil {
		return
	}
	select {
	case w.Wake <- struct{}{}:
	default:
	}
}

// RunOnce makes one attempt at every message due now (a message that falls back to a template
// message gets that attempt in the same run) and returns how many attempts it made.
func (w *OutboxWorker) RunOnce(ctx context.Context) (int, error) {
	attempted := 0
	for range 1000 {
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
		if !progressed {
			break
		}
	}
	return attempted, nil
}

// deliver makes the next attempt at m; false means another worker holds it.
func (w *OutboxWorker) deliver(ctx context.Context, m *storage.OutboxMessage) (bool, error) {
	n := m.Attempts + 1
	now := w.Clock.Now()
	channel, why, err := w.channel(ctx, m, now)
	if err != nil {
		return false, err
	}
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
		w.Log.Warn("outbox delivery cut off mid-send", "id", logID(m), "attempt", n)
		return true, w.Store.RecordOutcome(ctx, m.ID, n, storage.OutboxOutcome{Status: storage.OutboxUnknown, At: now,
			Error: "an attempt was cut off mid-send: WeChat may have delivered it; check with the customer, then resend or mark handled"})
	}
	// From here on the outcome must be recorded even if ctx is cancelled.
	rctx := context.WithoutCancel(ctx)
	if channel == "" {
		o := storage.OutboxOutcome{Status: storage.OutboxUndeliverable, At: now, Error: why}
		if m.Purpose == storage.PurposeSystem || m.Purpose == storage.PurposeReply {
			o.Status = storage.OutboxFailed
		}
		w.count(o.Status)
		w.Log.Info("outbox message has no channel", "id", logID(m), "purpose", m.Purpose, "status", o.Status, "reason", why)
		return true, w.Store.RecordOutcome(rctx, m.ID, n, o)
	}
	if err := w.pace.wait(ctx, w.PerSecond); err != nil {
		return true, w.Store.RecordOutcome(rctx, m.ID, n, storage.OutboxOutcome{Status: storage.OutboxPending, NextAt: now, At: now, Error: "shutting down"})
	}
	var sendErr error
	if channel == ChannelCustom {
		sendErr = w.Sender.SendText(ctx, m.OpenID, m.Text)
	} else {
		var data map[string]string
		data, err = w.templateData(ctx, m)
		if err != nil {
			return true, err
		}
		_, sendErr = w.Sender.SendTemplate(ctx, m.OpenID, w.Templates[templateKind(m.Purpose)], "", data)
	}
	o := w.outcome(rctx, m, n, channel, sendErr)
	w.count(o.Status)
	if o.Status != storage.OutboxSent {
		w.Log.Warn("outbox delivery", "id", logID(m), "purpose", m.Purpose, "channel", channel, "attempt", n, "status", o.Status, "class", wechatapi.Classify(sendErr))
	}
	return true, w.Store.RecordOutcome(rctx, m.ID, n, o)
}

// logID is the message's id for logs: some ids hold the customer's openid, which is masked.
func logID(m *storage.OutboxMessage) string {
	if m.OpenID == "" {
		return m.ID
	}
	return strings.ReplaceAll(m.ID, m.OpenID, complaintbot.MaskOpenID(m.OpenID))
}

func (w *OutboxWorker) count(s storage.OutboxStatus) {
	w.Metrics.OutboxDeliveries.WithLabelValues(string(s)).Inc()
}

// channel picks how m may go now: ChannelCustom, ChannelTemplate, or "" with the reason when no
// channel is allowed.
func (w *OutboxWorker) channel(ctx context.Context, m *storage.OutboxMessage, now time.Time) (string, string, error) {
	if m.Channel == ChannelTemplate { // an earlier attempt found the window closed
		if w.template(m.Purpose) {
			return ChannelTemplate, "", nil
		}
		return "", "the customer-service window is closed and no template is configured for " + templateKind(m.Purpose) + " notices: call the customer", nil
	}
	if m.Purpose == storage.PurposeReply {
		return ChannelCustom, "", nil // the customer has just written
	}
	win, err := w.Store.MessagingWindow(ctx, m.OpenID, now)
	if err != nil {
		return "", "", err
	}
	if win.Open() {
		return ChannelCustom, "", nil
	}
	why := "the customer's 48-hour customer-service window is closed"
	if !win.LastInbound.IsZero() && now.Before(win.Closes) {
		why = fmt.Sprintf("the customer-service message allowance (%d per customer message) is used up", storage.WindowAllowance)
	}
	switch {
	case w.template(m.Purpose):
		return ChannelTemplate, "", nil
	case m.Purpose == storage.PurposeAgent:
		return "", why + " and agent replies never go as template messages: call the customer", nil
	case m.Purpose == storage.PurposeNotice || m.Purpose == storage.PurposeSurvey:
		return "", why + " and no template is configured for " + templateKind(m.Purpose) + " notices: call the customer", nil
	}
	return "", why, nil
}

// templateKind is the template kind a purpose's messages use outside the window.
func templateKind(purpose string) string {
	if purpose == storage.PurposeSurvey {
		return "survey"
	}
	return "progress"
}

// template reports whether messages of the purpose may go as a template message.
func (w *OutboxWorker) template(purpose string) bool {
	return (purpose == storage.PurposeNotice || purpose == storage.PurposeSurvey) && w.Templates[templateKind(purpose)] != ""
}

// outcome turns the result of attempt n on channel into what to record.
func (w *OutboxWorker) outcome(ctx context.Context, m *storage.OutboxMessage, n int, channel string, sendErr error) storage.OutboxOutcome {
	now := w.Clock.Now()
	o := storage.OutboxOutcome{At: now, Channel: channel}
	class := wechatapi.Classify(sendErr)
	var apiErr *wechatapi.APIError
	if errors.As(sendErr, &apiErr) {
		w.Metrics.WeChatAPIErrors.WithLabelValues(strconv.FormatInt(apiErr.Code, 10)).Inc()
	}
	if sendErr != nil {
		o.Error = sendErr.Error()
	}
	callable := m.Purpose != storage.PurposeSystem && m.Purpose != storage.PurposeReply
	giveUp := func(why string) {
		o.Status = storage.OutboxFailed
		if callable {
			o.Status = storage.OutboxUndeliverable
			why += ": call the customer"
		}
		o.Error = why + " (" + o.Error + ")"
	}
	switch class {
	case wechatapi.ClassOK:
		o.Status, o.Error = storage.OutboxSent, ""
		w.sent(ctx, m, channel, now)
	case wechatapi.ClassOutOfWindow, wechatapi.ClassTooMany, wechatapi.ClassQuota:
		if channel == ChannelCustom && w.template(m.Purpose) {
			// Fall back to a template message: the next attempt, due now.
			o.Status, o.NextAt, o.Channel = storage.OutboxPending, now, ChannelTemplate
			return o
		}
		if class == wechatapi.ClassQuota && n < w.MaxAttempts {
			// The daily quota resets at midnight (Beijing time).
			o.Status, o.NextAt = storage.OutboxPending, nextDay(now)
			return o
		}
		switch class {
		case wechatapi.ClassOutOfWindow:
			giveUp("WeChat says the customer's 48-hour window is closed (45015)")
		case wechatapi.ClassTooMany:
			giveUp("WeChat says the customer-service message allowance is used up (45047)")
		default:
			giveUp("WeChat's daily API quota is used up (45009)")
		}
	case wechatapi.ClassRefused:
		giveUp("the customer unfollowed the account or refuses its messages")
	case wechatapi.ClassInvalid:
		if channel == ChannelTemplate {
			giveUp("WeChat refused the template message (check scheduler.templates and template_data)")
		} else {
			o.Status = storage.OutboxFailed
		}
	default: // busy, token after its one refresh: try again later
		if n >= w.MaxAttempts {
			giveUp(fmt.Sprintf("gave up after %d attempts", n))
		} else {
			o.Status, o.NextAt = storage.OutboxPending, now.Add(backoff(n))
		}
	}
	return o
}

// sent records what a delivered message did: its transcript line, and for an agent's reply about
// a case, that the case was replied to.
func (w *OutboxWorker) sent(ctx context.Context, m *storage.OutboxMessage, channel string, at time.Time) {
	if m.Purpose != storage.PurposeReply { // late bot replies are in the transcript with their turn already
		text := m.Text
		if channel == ChannelTemplate {
			text = "[模板消息] " + text
		}
		if err := w.Store.AppendLine(ctx, storage.Line{ID: m.ID, OpenID: m.OpenID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: text, At: at, By: m.By}); err != nil {
			w.Log.Error("record sent message in transcript", "id", logID(m), "err", err)
		}
	}
	if m.Purpose == storage.PurposeAgent && m.CaseNumber != "" {
		if err := w.Store.MarkReplied(ctx, m.CaseNumber, at); err != nil {
			w.Log.Error("record reply on case", "case", m.CaseNumber, "err", err)
		}
	}
}

// templateData fills the template's fields for m from the message and its case.
func (w *OutboxWorker) templateData(ctx context.Context, m *storage.OutboxMessage) (map[string]string, error) {
	vals := []string{"{text}", m.Text, "{number}", m.CaseNumber}
	if m.CaseNumber != "" {
		c, err := w.Store.CaseState(ctx, m.CaseNumber)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		if c != nil {
			vals = append(vals, "{kind}", c.Kind.Label(), "{status}", c.Status.Label(), "{date}", flows.FormatDate(expectedBy(c, w.Clock.Now())),
				"{branch}", c.Branch.Name)
		}
	}
	vals = append(vals, "{kind}", "", "{status}", "", "{date}", "", "{branch}", "")
	r := strings.NewReplacer(vals...)
	data := make(map[string]string, len(w.TemplateData))
	for field, tmpl := range w.TemplateData {
		if tmpl != "" { // "" leaves out a field the defaults name
			data[field] = r.Replace(tmpl)
		}
	}
	return data, nil
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

// nextDay is five past midnight, Asia/Shanghai, after t.
func nextDay(t time.Time) time.Time {
	l := t.In(complaintbot.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 5, 0, 0, complaintbot.Shanghai)
}

// pacer spaces sends at most perSecond a second, on the wall clock.
type pacer struct {
	mu   sync.Mutex
	next time.Time
}

func (p *pacer) wait(ctx context.Context, perSecond int) error {
	if perSecond <= 0 {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Second / time.Duration(perSecond))
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
