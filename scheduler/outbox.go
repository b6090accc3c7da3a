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
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi"
)

// Sender sends through WeChat: customer-service text messages, template messages and subscribe
// messages (订阅通知).
type Sender interface {
	SendText(ctx context.Context, openID, text string) error
	SendTemplate(ctx context.Context, openID, templateID, url string, data map[string]string) (msgID int64, err error)
	SendSubscribe(ctx context.Context, openID, templateID, page string, data map[string]string) error
}

// Outbox channels.
const (
	ChannelCustom   = "custom"   // customer-service message: within 48 hours of the customer's last message
	ChannelTemplate = "template" // template message: any time, to followers, for configured notice kinds
)

// CaseNames names a case's kind and status as the customer reads them (flows.Definition does).
type CaseNames interface {
	KindName(complaintbot.Kind) string
	StatusName(complaintbot.Status) string
}

// OutboxWorker delivers queued messages: one attempt at a time per message across all instances
// (each attempt is claimed with an insert on a unique key), on the channel WeChat allows, at most
// PerSecond messages a second, retried with backoff on transient errors, and given up after
// MaxAttempts with the reason kept. No message is dropped silently: what cannot be delivered is
// marked undeliverable (or failed) and listed by storage.UndeliverableOutbox for a person.
//
// Customers are served side by side (up to Concurrency at once), each customer's messages one
// after the other in the order they are due: a slow or hung send holds up only its own
// customer's later messages, never another customer's.
//
// Exactly once: every message has an idempotency key (its ID), so enqueueing it again adds
// nothing, and each attempt is claimed before it is made, so no two workers make the same
// attempt. WeChat's send APIs take no idempotency key and cannot be asked what arrived, so an
// attempt that went out without an answer (a timeout, a dropped connection) or that was cut off
// mid-send (the worker died between its claim and its outcome; after StaleClaim) has an unknown
// outcome: sending it again could show the customer the message twice. What happens then
// depends on the message's purpose (see unknownOutcome): a late bot reply, which the customer is
// waiting for, is sent once more; anything else is marked unknown and listed for a person, who
// can resend it (storage.RequeueOutbox) after checking. Outcomes are recorded even when the worker
// is being shut down, and a send under way is let finish (within SendTimeout), so only a crash
// leaves one unrecorded.
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
	// {number}, {kind}, {status}, {date}, {branch}; each value is fitted to WeChat's keyword
	// rules (wechatapi.FillKeyword).
	TemplateData map[string]string
	// Names names a case's kind and status in a template's {kind} and {status} as the customer
	// reads them: the service's flow definition (nil: the embedded default's).
	Names CaseNames
	// Subscribe sends the Templates as subscribe messages (订阅通知, message/subscribe/bizsend)
	// instead of template messages.
	Subscribe bool
	// PerSecond caps the sending rate (0: no cap). The pacing uses the wall clock: it protects
	// WeChat's rate limit, not a business deadline.
	PerSecond int
	// Concurrency is how many customers' messages are delivered at once (0: DefaultConcurrency).
	Concurrency int
	// SendTimeout bounds one send, token included (0: DefaultSendTimeout); the WeChat client
	// bounds each of its HTTP requests too. A send that went out and timed out has an unknown
	// outcome.
	SendTimeout time.Duration

	pace pacer

	initOnce sync.Once
	slots    chan struct{} // one per customer being served
	mu       sync.Mutex
	busy     map[string]bool // customers being served by this worker
	serving  sync.WaitGroup  // the goroutines serving customers
}

// DefaultConcurrency is how many customers an OutboxWorker serves at once by default.
const DefaultConcurrency = 16

// DefaultSendTimeout bounds one send by default.
const DefaultSendTimeout = 10 * time.Second

// dueBatch is how many due messages one look at the outbox takes.
const dueBatch = 50

// Run delivers due messages until ctx is done, and then waits for the sends under way.
func (w *OutboxWorker) Run(ctx context.Context) {
	defer w.serving.Wait()
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		if _, err := w.dispatch(ctx, nil); err != nil && ctx.Err() == nil {
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
// message gets that attempt in the same run) and returns how many attempts it made. Customers
// whose messages this worker is delivering already (in Run) are left to that delivery.
func (w *OutboxWorker) RunOnce(ctx context.Context) (int, error) {
	var r runTally
	for range 1000 {
		before := r.count()
		started, err := w.dispatch(ctx, &r)
		r.wg.Wait()
		if err == nil {
			err = r.firstErr()
		}
		if err != nil {
			return r.count(), err
		}
		if started == 0 || r.count() == before {
			break
		}
	}
	return r.count(), nil
}

// runTally collects what the deliveries started by one RunOnce did.
type runTally struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	attempts int
	err      error
}

func (r *runTally) add(n int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts += n
	if r.err == nil {
		r.err = err
	}
}

func (r *runTally) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

func (r *runTally) firstErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (w *OutboxWorker) init() {
	w.initOnce.Do(func() {
		n := w.Concurrency
		if n <= 0 {
			n = DefaultConcurrency
		}
		w.slots = make(chan struct{}, n)
		w.busy = make(map[string]bool)
	})
}

// dispatch looks at the due messages of the customers not being served and starts serving
// them, each customer on a goroutine of its own with its messages in order. With a tally
// (RunOnce) it waits for free slots and the tally learns what the deliveries did; without (Run)
// it serves as many customers as there are free slots and returns. It returns how many
// customers it started serving.
func (w *OutboxWorker) dispatch(ctx context.Context, r *runTally) (int, error) {
	w.init()
	w.mu.Lock()
	busy := make([]string, 0, len(w.busy))
	for id := range w.busy {
		busy = append(busy, id)
	}
	w.mu.Unlock()
	due, err := w.Store.DueOutboxExcept(ctx, w.Clock.Now(), dueBatch, busy)
	if err != nil {
		return 0, err
	}
	var order []string
	groups := map[string][]complaintbot.OutboxMessage{}
	for _, m := range due {
		if _, ok := groups[m.OpenID]; !ok {
			order = append(order, m.OpenID)
		}
		groups[m.OpenID] = append(groups[m.OpenID], m)
	}
	started := 0
	for _, openID := range order {
		if r != nil {
			select {
			case w.slots <- struct{}{}:
			case <-ctx.Done():
				return started, ctx.Err()
			}
		} else {
			select {
			case w.slots <- struct{}{}:
			default:
				return started, nil // all slots in use: a delivery that ends pokes the worker
			}
		}
		w.mu.Lock()
		if w.busy[openID] {
			w.mu.Unlock()
			<-w.slots
			continue
		}
		w.busy[openID] = true
		w.mu.Unlock()
		started++
		w.serving.Add(1)
		if r != nil {
			r.wg.Add(1)
		}
		go w.serve(ctx, openID, groups[openID], r)
	}
	return started, nil
}

// serve delivers one customer's due messages in order, then frees the customer's slot.
func (w *OutboxWorker) serve(ctx context.Context, openID string, msgs []complaintbot.OutboxMessage, r *runTally) {
	attempts := 0
	var err error
	defer func() {
		w.mu.Lock()
		delete(w.busy, openID)
		w.mu.Unlock()
		<-w.slots
		if r != nil {
			r.add(attempts, err)
			r.wg.Done()
		} else if err != nil && ctx.Err() == nil {
			w.Log.Error("outbox delivery", "id", logID(&msgs[0]), "err", err)
		}
		w.serving.Done()
		w.Poke() // the customer's next messages, a template fallback, customers waiting for a slot
	}()
	for i := range msgs {
		if ctx.Err() != nil {
			return
		}
		var ok bool
		ok, err = w.deliver(ctx, &msgs[i])
		if err != nil {
			return
		}
		if ok {
			attempts++
		}
	}
}

// deliver makes the next attempt at m; false means another worker holds it, or ctx ended before
// it was made.
func (w *OutboxWorker) deliver(ctx context.Context, m *complaintbot.OutboxMessage) (bool, error) {
	n := m.Attempts + 1
	channel, why, err := w.channel(ctx, m, w.Clock.Now())
	if err != nil {
		return false, err
	}
	if channel != "" {
		// Paced before the claim: a claimed attempt is one that is being made.
		if err := w.pace.wait(ctx, w.PerSecond); err != nil {
			return false, nil // shutting down: the message stays due
		}
	}
	now := w.Clock.Now()
	claimed, err := w.Store.ClaimAttempt(ctx, m.ID, n, w.Owner, now)
	if err != nil {
		return false, err
	}
	// From here on the outcome must be recorded even if ctx is cancelled.
	rctx := context.WithoutCancel(ctx)
	if !claimed {
		at, err := w.Store.AttemptClaimedAt(ctx, m.ID, n)
		if err != nil {
			return false, err
		}
		if now.Sub(at) < w.staleClaim() {
			return false, nil // under way elsewhere
		}
		// The worker that claimed it died between claiming and recording: WeChat may or may not
		// have the message.
		o := w.unknownOutcome(m, n, m.Channel, now, "an attempt was cut off mid-send")
		w.count(o.Status)
		w.Log.Warn("outbox delivery cut off mid-send", "id", logID(m), "purpose", m.Purpose, "attempt", n, "status", o.Status)
		return true, w.record(rctx, m, n, o)
	}
	if channel == "" {
		o := storage.OutboxOutcome{Status: complaintbot.OutboxUndeliverable, At: now, Error: why}
		if m.Purpose == complaintbot.PurposeSystem || m.Purpose == complaintbot.PurposeReply {
			o.Status = complaintbot.OutboxFailed
		}
		w.count(o.Status)
		w.Log.Info("outbox message has no channel", "id", logID(m), "purpose", m.Purpose, "status", o.Status, "reason", why)
		return true, w.record(rctx, m, n, o)
	}
	// The send is not cut short by a shutdown (that would make its outcome unknown): it has
	// SendTimeout, and the WeChat client's own timeout per request.
	sctx, cancel := context.WithTimeout(rctx, w.sendTimeout())
	defer cancel()
	var sendErr error
	if channel == ChannelCustom {
		sendErr = w.Sender.SendText(sctx, m.OpenID, m.Text)
	} else {
		var data map[string]string
		data, err = w.templateData(rctx, m)
		if err != nil {
			return true, err
		}
		if id := w.Templates[templateKind(m.Purpose)]; w.Subscribe {
			sendErr = w.Sender.SendSubscribe(sctx, m.OpenID, id, "", data)
		} else {
			_, sendErr = w.Sender.SendTemplate(sctx, m.OpenID, id, "", data)
		}
	}
	o := w.outcome(rctx, m, n, channel, sendErr)
	w.count(o.Status)
	if o.Status != complaintbot.OutboxSent {
		w.Log.Warn("outbox delivery", "id", logID(m), "purpose", m.Purpose, "channel", channel, "attempt", n, "status", o.Status, "class", wechatapi.Classify(sendErr))
	}
	return true, w.record(rctx, m, n, o)
}

// unknownOutcome is what follows attempt n at m on channel when it may or may not have reached
// the customer (why says how that came about). WeChat cannot be asked, so it is decided by
// purpose:
//   - a late bot reply (PurposeReply) is sent once more, after the usual backoff: the customer
//     has just written and waits for it, nobody could act on it in time, and seeing the bot's
//     answer twice is harmless, while missing it (it may hold the case number) stalls the
//     conversation. A second unknown outcome of the same reply is not sent again.
//   - an agent's reply, a case notice, a survey question: not sent again. They are marked
//     unknown and listed for a person (storage.UndeliverableOutbox), who checks with the
//     customer and resends (storage.RequeueOutbox) or closes them: a duplicate of a person's
//     words or of a decision about a case looks careless, and a survey question is asked again
//     by its reminder anyway.
//   - a system message (PurposeSystem) is marked unknown and not listed.
func (w *OutboxWorker) unknownOutcome(m *complaintbot.OutboxMessage, n int, channel string, now time.Time, why string) storage.OutboxOutcome {
	o := storage.OutboxOutcome{At: now, Channel: channel, Unknown: true}
	if m.Purpose == complaintbot.PurposeReply && m.Unknowns == 0 && n < w.MaxAttempts {
		o.Status, o.NextAt = complaintbot.OutboxPending, now.Add(backoff(n))
		o.Error = why + ": WeChat may have delivered it; sent once more, as the customer waits for the reply"
		return o
	}
	o.Status = complaintbot.OutboxUnknown
	o.Error = why + ": WeChat may have delivered it; not sent again (it could show twice): check with the customer, then resend or mark handled"
	return o
}

// logID is the message's id for logs: some ids hold the customer's openid, which is masked.
func logID(m *complaintbot.OutboxMessage) string {
	if m.OpenID == "" {
		return m.ID
	}
	return strings.ReplaceAll(m.ID, m.OpenID, complaintbot.MaskOpenID(m.OpenID))
}

func (w *OutboxWorker) count(s complaintbot.OutboxStatus) {
	w.Metrics.OutboxDeliveries.WithLabelValues(string(s)).Inc()
}

// channel picks how m may go now: ChannelCustom, ChannelTemplate, or "" with the reason when no
// channel is allowed.
func (w *OutboxWorker) channel(ctx context.Context, m *complaintbot.OutboxMessage, now time.Time) (string, string, error) {
	if m.Channel == ChannelTemplate { // an earlier attempt found the window closed
		if w.template(m.Purpose) {
			return ChannelTemplate, "", nil
		}
		return "", "the customer-service window is closed and no template is configured for " + templateKind(m.Purpose) + " notices: call the customer", nil
	}
	if m.OpenID == "" { // a case an agent registered from a call, a letter …: no WeChat customer
		return "", "the customer has no WeChat account on the case (registered from another channel): call them", nil
	}
	if m.Purpose == complaintbot.PurposeReply {
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
	if !win.Closed(now) {
		why = fmt.Sprintf("the customer-service message allowance (%d per customer message) is used up", storage.WindowAllowance)
	}
	switch {
	case w.template(m.Purpose):
		return ChannelTemplate, "", nil
	case m.Purpose == complaintbot.PurposeAgent:
		return "", why + " and agent replies never go as template messages: call the customer", nil
	case m.Purpose == complaintbot.PurposeNotice || m.Purpose == complaintbot.PurposeSurvey:
		return "", why + " and no template is configured for " + templateKind(m.Purpose) + " notices: call the customer", nil
	case m.Purpose == complaintbot.PurposeHandoff:
		return "", why + ": call the customer", nil
	}
	return "", why, nil
}

// templateKind is the template kind a purpose's messages use outside the window.
func templateKind(purpose string) string {
	if purpose == complaintbot.PurposeSurvey {
		return "survey"
	}
	return "progress"
}

// template reports whether messages of the purpose may go as a template message.
func (w *OutboxWorker) template(purpose string) bool {
	return (purpose == complaintbot.PurposeNotice || purpose == complaintbot.PurposeSurvey) && w.Templates[templateKind(purpose)] != ""
}

// outcome turns the result of attempt n on channel into what to record.
func (w *OutboxWorker) outcome(ctx context.Context, m *complaintbot.OutboxMessage, n int, channel string, sendErr error) storage.OutboxOutcome {
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
	callable := m.Purpose != complaintbot.PurposeSystem && m.Purpose != complaintbot.PurposeReply
	giveUp := func(why string) {
		o.Status = complaintbot.OutboxFailed
		if callable {
			o.Status = complaintbot.OutboxUndeliverable
			why += ": call the customer"
		}
		o.Error = why + " (" + o.Error + ")"
	}
	switch class {
	case wechatapi.ClassOK:
		o.Status, o.Error = complaintbot.OutboxSent, ""
		w.sent(ctx, m, channel, now)
	case wechatapi.ClassUnknown:
		return w.unknownOutcome(m, n, channel, now, "the send went out but no answer came ("+o.Error+")")
	case wechatapi.ClassOutOfWindow, wechatapi.ClassTooMany, wechatapi.ClassQuota:
		if channel == ChannelCustom && w.template(m.Purpose) {
			// Fall back to a template message: the next attempt, due now.
			o.Status, o.NextAt, o.Channel = complaintbot.OutboxPending, now, ChannelTemplate
			return o
		}
		if class == wechatapi.ClassQuota && n < w.MaxAttempts {
			// The daily quota resets at midnight (Beijing time).
			o.Status, o.NextAt = complaintbot.OutboxPending, nextDay(now)
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
			o.Status = complaintbot.OutboxFailed
		}
	default: // busy, token after its one refresh: try again later
		if n >= w.MaxAttempts {
			giveUp(fmt.Sprintf("gave up after %d attempts", n))
		} else {
			o.Status, o.NextAt = complaintbot.OutboxPending, now.Add(backoff(n))
		}
	}
	return o
}

// sent records what a delivered message did: its transcript line, and for an agent's reply about
// a case, that the case was replied to.
func (w *OutboxWorker) sent(ctx context.Context, m *complaintbot.OutboxMessage, channel string, at time.Time) {
	if m.Purpose != complaintbot.PurposeReply { // late bot replies are in the transcript with their turn already
		text := m.Text
		if channel == ChannelTemplate {
			text = "[模板消息] " + text
		}
		if err := w.Store.AppendLine(ctx, storage.Line{ID: m.ID, OpenID: m.OpenID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: text, At: at, By: m.By,
			Case: m.CaseNumber}); err != nil {
			w.Log.Error("record sent message in transcript", "id", logID(m), "err", err)
		}
	}
	if m.Purpose == complaintbot.PurposeAgent && m.CaseNumber != "" {
		if err := w.Store.MarkReplied(ctx, m.CaseNumber, at); err != nil {
			w.Log.Error("record reply on case", "case", m.CaseNumber, "err", err)
		}
	}
}

// templateData fills the template's fields for m from the message and its case.
func (w *OutboxWorker) templateData(ctx context.Context, m *complaintbot.OutboxMessage) (map[string]string, error) {
	values := map[string]string{"{text}": m.Text, "{number}": m.CaseNumber}
	if m.CaseNumber != "" {
		c, err := w.Store.ScanCase(ctx, m.CaseNumber)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		if c != nil {
			names := w.Names
			if names == nil {
				names = flows.DefaultDefinition()
			}
			values["{kind}"], values["{status}"], values["{branch}"] = names.KindName(c.Kind), names.StatusName(c.Status), c.Branch.Name
			values["{date}"] = flows.FormatDate(cases.ExpectedBy(c, w.Clock.Now()))
		}
	}
	data := make(map[string]string, len(w.TemplateData))
	for field, tmpl := range w.TemplateData {
		if tmpl != "" { // "" leaves out a field the defaults name
			data[field] = wechatapi.FillKeyword(tmpl, values)
		}
	}
	return data, nil
}

func (w *OutboxWorker) sendTimeout() time.Duration {
	if w.SendTimeout > 0 {
		return w.SendTimeout
	}
	return DefaultSendTimeout
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

// record stores the outcome of attempt n at m.
func (w *OutboxWorker) record(ctx context.Context, m *complaintbot.OutboxMessage, n int, o storage.OutboxOutcome) error {
	o.OpenID = m.OpenID
	if err := w.Store.RecordOutcome(ctx, m.ID, n, o); err != nil {
		return err
	}
	if m.Purpose == complaintbot.PurposeSurvey && (o.Status == complaintbot.OutboxUndeliverable || (o.Status == complaintbot.OutboxSent && strings.HasSuffix(m.ID, ":remind"))) {
		// A survey undeliverable is counted apart in the reports; one delivered after all (its
		// reminder) is counted as asked again.
		return w.Store.MarkCaseReport(ctx, m.CaseNumber, strings.TrimSuffix(strings.TrimPrefix(m.ID, "survey:"), ":remind"), o.At)
	}
	return nil
}
