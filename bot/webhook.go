// Package bot is the WeChat edge of the service: the Gin router of the public listener, the
// webhook that checks, opens and dedupes WeChat's callbacks, answers within WeChat's deadline, and
// hands each customer message to the conversation service (package conversations).
package bot

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// WebhookConfig configures the webhook.
type WebhookConfig struct {
	Wire WireConfig
	// Path is where WeChat calls us, e.g. /wechat.
	Path string
	// ReplyBudget is how long a message may take before the webhook answers "success" and the
	// replies go out through the outbox instead.
	ReplyBudget time.Duration
	// MaxBodyBytes refuses larger requests with 413.
	MaxBodyBytes int64
}

// Webhook serves WeChat's callbacks. Its background work stops with Wait.
type Webhook struct {
	cfg     WebhookConfig
	wire    wire
	convs   *conversations.Service
	clock   complaintbot.Clock
	log     *slog.Logger
	metrics *metrics.Metrics
	// busy counts the messages being processed (see Wait). Not a WaitGroup: a message may
	// arrive while Wait waits, which a WaitGroup does not allow.
	busyMu sync.Mutex
	busy   int
	idle   *sync.Cond
	// work bounds the time a message's processing may go on after its request was answered.
	workTimeout time.Duration
	// replay refuses plaintext callbacks that reuse a signature (nil: no check).
	replay *replayGuard
	// refusals keeps refused requests from flooding the log.
	refusals logLimiter
	// KF, when set and enabled, hands customers who ask for a person to WeChat's own
	// customer-service system instead of this service's agents.
	KF WeChatKF
	// Media, when set, is told of every picture a customer sends, to keep (see requestMedia).
	Media MediaRequester
	// ServiceClock, when set, is the service's time for what the webhook records (a picture's
	// expiry); the clock given to NewWebhook checks WeChat's timestamps. They differ in sandbox
	// mode once an admin moved the service's clock forward.
	ServiceClock complaintbot.Clock
}

// WeChatKF is WeChat's own customer-service system (多客服), used instead of the console's agents
// when the operator configures it.
type WeChatKF interface {
	// Enabled reports whether customers are handed to WeChat's customer service.
	Enabled() bool
	// Transfer records that the customer is now with WeChat's customer service.
	Transfer(ctx context.Context, openID string) error
	// Closed records that WeChat's customer service ended the session (kf_close_session).
	Closed(ctx context.Context, openID string) error
}

// NewWebhook builds the webhook, which hands customer messages to convs. Plaintext callbacks are
// checked for replayed signatures against callbacks (see replayGuard; nil: no check).
func NewWebhook(cfg WebhookConfig, convs *conversations.Service, callbacks CallbackStore, clock complaintbot.Clock, log *slog.Logger, m *metrics.Metrics) *Webhook {
	h := &Webhook{cfg: cfg, wire: wire{cfg: cfg.Wire, clock: clock}, convs: convs, clock: clock, log: log, metrics: m, workTimeout: 30 * time.Second}
	h.idle = sync.NewCond(&h.busyMu)
	h.refusals.clock = clock
	h.SetCallbackStore(callbacks)
	return h
}

// SetCallbackStore makes the webhook remember plaintext callbacks' signed (timestamp, nonce)
// pairs in store, and refuse a pair used again with another body; nil turns the check off. Call
// it before serving.
func (h *Webhook) SetCallbackStore(store CallbackStore) {
	if store == nil {
		h.replay = nil
		return
	}
	h.replay = &replayGuard{store: store, clock: h.clock, skew: h.cfg.Wire.MaxClockSkew, log: h.log, spawn: h.background}
}

// background runs fn on a goroutine of its own that Wait waits for.
func (h *Webhook) background(fn func()) {
	h.working(1)
	go func() {
		defer h.working(-1)
		fn()
	}()
}

// Wait blocks until no message is being processed, also those answered "success" at the reply
// deadline whose processing goes on, and those answered whose effects are still being applied.
func (h *Webhook) Wait() {
	h.busyMu.Lock()
	defer h.busyMu.Unlock()
	for h.busy > 0 {
		h.idle.Wait()
	}
}

func (h *Webhook) working(delta int) {
	h.busyMu.Lock()
	defer h.busyMu.Unlock()
	h.busy += delta
	if h.busy == 0 {
		h.idle.Broadcast()
	}
}

// Register adds the webhook's routes to r.
func (h *Webhook) Register(r gin.IRoutes) {
	r.GET(h.cfg.Path, h.verifyURL)
	r.POST(h.cfg.Path, h.receive)
}

func (h *Webhook) verifyURL(c *gin.Context) {
	ts := c.Query("timestamp")
	if _, err := h.wire.checkTimestamp(ts); err != nil {
		h.reject(c, http.StatusForbidden, reasonStale, err)
		return
	}
	if err := h.wire.checkURL(c.Query("signature"), ts, c.Query("nonce")); err != nil {
		h.reject(c, http.StatusForbidden, reasonBadSignature, err)
		return
	}
	c.String(http.StatusOK, c.Query("echostr"))
}

func (h *Webhook) receive(c *gin.Context) {
	start := time.Now() // for the latency histogram and WeChat's deadline (both wall-clock)
	deadline := start.Add(h.cfg.ReplyBudget)
	q := query{signature: c.Query("signature"), msgSignature: c.Query("msg_signature"), timestamp: c.Query("timestamp"), nonce: c.Query("nonce")}
	ts, err := h.wire.checkTimestamp(q.timestamp)
	if err != nil {
		h.reject(c, http.StatusForbidden, reasonStale, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(c, http.StatusRequestEntityTooLarge, reasonTooLarge, err)
			return
		}
		h.reject(c, http.StatusBadRequest, reasonUnreadable, err)
		return
	}
	cb, err := h.wire.open(body, q)
	if err != nil {
		if errors.Is(err, errBadSignature) || errors.Is(err, errNoKey) {
			h.reject(c, http.StatusForbidden, reasonBadSignature, err)
		} else {
			h.reject(c, http.StatusBadRequest, reasonMalformed, err)
		}
		return
	}
	msgType := string(cb.msg.MsgType)
	kfClose := h.kfEnabled() && cb.msg.MsgType == message.MsgTypeEvent && cb.msg.Event == "kf_close_session"
	if !kfClose && !h.worthAnswering(&cb.msg) { // nothing happens: no need to check for a replay
		h.metrics.Messages.WithLabelValues(msgType, "silent").Inc()
		c.String(http.StatusOK, "success")
		return
	}
	if h.replay != nil {
		if cb.encrypted {
			h.replay.maybeMaintain(false) // no record needed: msg_signature covers the body
		} else if !h.checkReplay(c, deadline, ts, q.nonce, body) {
			return
		}
	}
	if kfClose {
		if err := h.KF.Closed(c.Request.Context(), string(cb.msg.FromUserName)); err != nil {
			h.log.Error("record the end of a WeChat customer-service session", "openid", complaintbot.MaskOpenID(string(cb.msg.FromUserName)), "err", err)
		}
		h.metrics.Messages.WithLabelValues(msgType, "silent").Inc()
		c.String(http.StatusOK, "success")
		return
	}
	m := conversations.Message{OpenID: string(cb.msg.FromUserName), Dedupe: dedupeKey(&cb.msg), Input: toInput(&cb.msg, h.clock.Now()),
		AfterReply: true}
	h.working(1)
	defer h.working(-1) // after the aftermath below
	out, answered, err := h.process(c, m, deadline)
	defer h.answered(c, out) // once the answer is written: the turn's aftermath is complete
	if answered {            // the reply budget ran out: the replies are queued and WeChat has had its "success"
		if err != nil {
			h.log.Error("handle message after the reply deadline", "openid", complaintbot.MaskOpenID(m.OpenID), "type", msgType, "err", err)
		}
		h.metrics.Messages.WithLabelValues(msgType, "late").Inc()
		h.metrics.ReplySeconds.Observe(h.cfg.ReplyBudget.Seconds()) // when WeChat had its answer
		return
	}
	outcome := "replied"
	switch {
	case err != nil:
		outcome = "error"
		h.log.Error("handle message", "openid", complaintbot.MaskOpenID(m.OpenID), "type", msgType, "err", err)
		h.writeText(c, cb, h.convs.BusyText())
	case out.Duplicate && !out.Late:
		outcome = "duplicate"
		h.metrics.DedupeHits.Inc()
		h.writeReplies(c, cb, out.Replies)
	case out.Duplicate:
		outcome = "duplicate"
		h.metrics.DedupeHits.Inc()
		c.String(http.StatusOK, "success")
	case out.Late: // its replies go through the outbox
		outcome = "late"
		c.String(http.StatusOK, "success")
	case h.kfEnabled() && (out.Queued || out.Handoff == "agent"):
		// WeChat's customer service takes the conversation: answer with the transfer reply.
		outcome = "transferred"
		if out.Queued {
			if err := h.KF.Transfer(c.Request.Context(), m.OpenID); err != nil {
				h.log.Error("hand over to WeChat customer service", "openid", complaintbot.MaskOpenID(m.OpenID), "err", err)
			}
		}
		h.writeTransfer(c, cb)
	case len(out.Replies) == 0:
		outcome = "silent"
		c.String(http.StatusOK, "success")
	default:
		h.writeReplies(c, cb, out.Replies)
	}
	h.metrics.Messages.WithLabelValues(msgType, outcome).Inc()
	h.metrics.ReplySeconds.Observe(time.Since(start).Seconds())
	if h.log.Enabled(c.Request.Context(), slog.LevelDebug) { // customer text: debug level only
		h.log.Debug("message", "openid", complaintbot.MaskOpenID(m.OpenID), "type", msgType, "outcome", outcome, "text", m.Input.Text)
	}
}

// worthAnswering filters out the events that need no conversation (menu links, location reports,
// template delivery receipts).
func (h *Webhook) worthAnswering(m *message.MixMessage) bool {
	if m.MsgType != message.MsgTypeEvent {
		return true
	}
	switch m.Event {
	case message.EventSubscribe, message.EventUnsubscribe, message.EventClick:
		return true
	}
	return false
}

// Gate states of a message's passive answer.
const (
	gateOpen int32 = iota
	gateCommitted
	gateExpired
)

// checkReplay refuses (403) a plaintext callback whose signed timestamp and nonce came before
// with another body, and reports whether the callback may go on. The check shares the reply
// deadline; when the database cannot answer in time the callback goes on unchecked (counted and
// logged): refusing it would lose a customer's message to a slow database, while a replay needs a
// signed URL captured in the last few minutes.
func (h *Webhook) checkReplay(c *gin.Context, deadline time.Time, ts int64, nonce string, body []byte) bool {
	ctx, cancel := context.WithDeadline(c.Request.Context(), deadline)
	defer cancel()
	seen, err := h.replay.seen(ctx, ts, nonce, body)
	switch {
	case err != nil:
		h.metrics.ReplayCheckErrors.Inc()
		if ok, n := h.refusals.allow("replay_check_failed"); ok {
			h.log.Error("webhook replay check failed; message processed unchecked", "err", err, "suppressed", n)
		}
		return true
	case seen == storage.CallbackReused:
		h.reject(c, http.StatusForbidden, reasonReplay, errReplay)
		return false
	}
	return true
}

// process applies the message. WeChat is never told "success" before the message's answer is
// stored: when the turn is stored after deadline (the reply budget after the request came), its
// replies are queued for the outbox and only then is WeChat answered "success" (answered is then
// true), while the rest of the processing goes on; that answer also ends the request's
// connection, so that the next request does not wait behind the processing. Until the turn is
// stored nothing is answered: a crash then leaves WeChat to retry the message, which is found
// again by its dedupe key. The processing runs on the request's own goroutine: handing it to
// another one costs a thread wake-up per message, a good share of the whole time of a quick answer.
func (h *Webhook) process(c *gin.Context, m conversations.Message, deadline time.Time) (out conversations.Outcome, answered bool, err error) {
	var gate atomic.Int32
	passive := func() bool {
		return gate.CompareAndSwap(gateOpen, gateCommitted) || gate.Load() == gateCommitted
	}
	var conn io.Closer // the connection, taken over by the early answer
	m.OnLate = func() {
		if !answered {
			answered = true
			conn = writeSuccessNow(c.Writer)
		}
	}
	watchdog := time.AfterFunc(time.Until(deadline), func() { gate.CompareAndSwap(gateOpen, gateExpired) })
	defer func() {
		watchdog.Stop()
		if conn != nil {
			_ = conn.Close()
			// The server's writer is gone with the connection (a Flush would panic): whatever
			// runs after the answer writes to nothing.
			c.Writer = answeredWriter{c.Writer}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), h.workTimeout)
	defer cancel()
	h.requestMedia(ctx, m)
	out, err = h.convs.Handle(ctx, m, passive)
	return out, answered, err
}

// writeSuccessNow sends a complete "success" response while the handler is still running: with
// its length declared and flushed, WeChat has the whole answer and does not wait for the rest of
// the processing. The server would read the connection's next request only once the handler
// returns, so the response says "Connection: close" and the connection is taken from the server
// and closed for writing: the client sees the end at once and sends its next request on a new
// connection. It returns the connection for the handler to close when it is done (nil when the
// writer cannot give it up).
func writeSuccessNow(w gin.ResponseWriter) io.Closer {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "7")
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("success"))
	w.Flush()
	conn, buf, err := w.Hijack()
	if err != nil {
		return nil
	}
	_ = buf.Flush()
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	return conn
}

// answeredWriter stands for a response writer whose connection the early answer took over:
// the answer is complete, and writing, flushing or hijacking again does nothing.
type answeredWriter struct{ gin.ResponseWriter }

func (answeredWriter) Write([]byte) (int, error)       { return 0, http.ErrHijacked }
func (answeredWriter) WriteString(string) (int, error) { return 0, http.ErrHijacked }
func (answeredWriter) WriteHeader(int)                 {}
func (answeredWriter) WriteHeaderNow()                 {}
func (answeredWriter) Flush()                          {}
func (answeredWriter) Written() bool                   { return true }
func (answeredWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrHijacked
}

func (h *Webhook) kfEnabled() bool { return h.KF != nil && h.KF.Enabled() }

// writeTransfer answers with a transfer_customer_service reply, which hands the message to
// WeChat's customer-service system.
func (h *Webhook) writeTransfer(c *gin.Context, cb *callback) {
	reply := message.NewTransferCustomer("")
	reply.SetMsgType(message.MsgTypeTransfer)
	body, err := h.wire.reply(cb, reply)
	if err != nil {
		h.log.Error("render transfer reply", "err", err)
		c.String(http.StatusOK, "success")
		return
	}
	// Its length declared, the answer is whole once flushed: WeChat need not wait for the
	// effects applied after it (see answered).
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Data(http.StatusOK, "application/xml; charset=utf-8", body)
}

func (h *Webhook) writeReplies(c *gin.Context, cb *callback, replies []string) {
	h.writeText(c, cb, strings.Join(replies, "\n\n"))
}

func (h *Webhook) writeText(c *gin.Context, cb *callback, text string) {
	if strings.TrimSpace(text) == "" {
		c.String(http.StatusOK, "success") // an empty text shows the customer an error
		return
	}
	body, err := h.wire.textReply(cb, text)
	if err != nil {
		h.log.Error("render reply", "err", err)
		c.String(http.StatusOK, "success")
		return
	}
	// Its length declared, the answer is whole once flushed: WeChat need not wait for the
	// effects applied after it (see answered).
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Data(http.StatusOK, "application/xml; charset=utf-8", body)
}

// reject refuses the request with status: counted by reason, and logged at most once a minute
// per reason (with the number held back since), so that a flood of forged requests does not
// flood the log.
func (h *Webhook) reject(c *gin.Context, status int, reason string, err error) {
	h.metrics.Messages.WithLabelValues("unknown", "rejected").Inc()
	h.metrics.Refused.WithLabelValues(reason).Inc()
	if ok, n := h.refusals.allow(reason); ok {
		h.log.Warn("webhook request refused", "reason", reason, "status", status, "remote", c.ClientIP(), "err", err.Error(), "suppressed", n)
	}
	c.String(status, http.StatusText(status))
}
