// Package bot is the WeChat edge of the service: the Gin router of the public listener, the
// webhook that checks, opens and dedupes WeChat's callbacks, answers within WeChat's deadline, and
// hands each customer message to the conversation service.
package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/metrics"
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
	convs   *Conversations
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
	// KF, when set and enabled, hands customers who ask for a person to WeChat's own
	// customer-service system instead of this service's agents.
	KF WeChatKF
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

// NewWebhook builds the webhook.
func NewWebhook(cfg WebhookConfig, convs *Conversations, clock complaintbot.Clock, log *slog.Logger, m *metrics.Metrics) *Webhook {
	h := &Webhook{cfg: cfg, wire: wire{cfg: cfg.Wire, clock: clock}, convs: convs, clock: clock, log: log, metrics: m, workTimeout: 30 * time.Second}
	h.idle = sync.NewCond(&h.busyMu)
	return h
}

// Wait blocks until no message is being processed, also those answered "success" at the reply
// deadline whose processing goes on.
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
	if err := h.wire.checkTimestamp(ts); err != nil {
		c.String(http.StatusForbidden, "forbidden")
		return
	}
	if err := h.wire.checkURL(c.Query("signature"), ts, c.Query("nonce")); err != nil {
		c.String(http.StatusForbidden, "forbidden")
		return
	}
	c.String(http.StatusOK, c.Query("echostr"))
}

func (h *Webhook) receive(c *gin.Context) {
	start := time.Now() // for the latency histogram only
	q := query{signature: c.Query("signature"), msgSignature: c.Query("msg_signature"), timestamp: c.Query("timestamp"), nonce: c.Query("nonce")}
	if err := h.wire.checkTimestamp(q.timestamp); err != nil {
		h.reject(c, http.StatusForbidden, "stale", err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(c, http.StatusRequestEntityTooLarge, "too_large", err)
			return
		}
		h.reject(c, http.StatusBadRequest, "unreadable", err)
		return
	}
	cb, err := h.wire.open(body, q)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errBadSignature) || errors.Is(err, errNoKey) {
			status = http.StatusForbidden
		}
		h.reject(c, status, "rejected", err)
		return
	}
	msgType := string(cb.msg.MsgType)
	if h.kfEnabled() && cb.msg.MsgType == message.MsgTypeEvent && cb.msg.Event == "kf_close_session" {
		if err := h.KF.Closed(c.Request.Context(), string(cb.msg.FromUserName)); err != nil {
			h.log.Error("record the end of a WeChat customer-service session", "openid", complaintbot.MaskOpenID(string(cb.msg.FromUserName)), "err", err)
		}
		h.metrics.Messages.WithLabelValues(msgType, "silent").Inc()
		c.String(http.StatusOK, "success")
		return
	}
	if !h.worthAnswering(&cb.msg) {
		h.metrics.Messages.WithLabelValues(msgType, "silent").Inc()
		c.String(http.StatusOK, "success")
		return
	}
	m := Message{OpenID: string(cb.msg.FromUserName), Dedupe: dedupeKey(&cb.msg), Input: toInput(&cb.msg, h.clock.Now())}
	out, answered, err := h.process(c, m)
	if answered { // the reply budget ran out: WeChat has had its "success"
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
		h.writeText(c, cb, "抱歉，系统暂时繁忙，请稍后再发一次。如情况紧急，请拨打客服热线。")
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

// process applies the message. When it takes longer than the reply budget, WeChat is answered
// "success" at the budget, while the processing goes on (answered is then true, and the
// message's replies go out through the outbox). The processing runs on the request's own
// goroutine: handing it to another one costs a thread wake-up per message, a good share of the
// whole time of a quick answer.
func (h *Webhook) process(c *gin.Context, m Message) (out Outcome, answered bool, err error) {
	var gate atomic.Int32
	passive := func() bool {
		return gate.CompareAndSwap(gateOpen, gateCommitted) || gate.Load() == gateCommitted
	}
	watchdogDone := make(chan struct{})
	watchdog := time.AfterFunc(h.cfg.ReplyBudget, func() {
		defer close(watchdogDone)
		if gate.CompareAndSwap(gateOpen, gateExpired) {
			writeSuccessNow(c.Writer)
		}
	})
	defer func() { // also on a panic: the watchdog must not write once the handler is gone
		if !watchdog.Stop() {
			<-watchdogDone // it fired: the response writer is ours again once it is done
		}
		answered = gate.Load() == gateExpired
	}()
	h.working(1)
	defer h.working(-1)
	ctx, cancel := context.WithTimeout(context.Background(), h.workTimeout)
	defer cancel()
	out, err = h.convs.Handle(ctx, m, passive)
	return out, false, err
}

// writeSuccessNow sends a complete "success" response while the handler is still running: with
// its length declared and flushed, WeChat has the whole answer and does not wait for the rest of
// the processing.
func writeSuccessNow(w gin.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "7")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("success"))
	w.Flush()
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
	c.Data(http.StatusOK, "application/xml; charset=utf-8", body)
}

func (h *Webhook) reject(c *gin.Context, status int, outcome string, err error) {
	h.metrics.Messages.WithLabelValues("unknown", outcome).Inc()
	h.log.Warn("webhook request refused", "status", status, "remote", c.ClientIP(), "reason", err.Error())
	c.String(status, http.StatusText(status))
}
