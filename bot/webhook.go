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
	wg      sync.WaitGroup
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
	return &Webhook{cfg: cfg, wire: wire{cfg: cfg.Wire, clock: clock}, convs: convs, clock: clock, log: log, metrics: m, workTimeout: 30 * time.Second}
}

// Wait blocks until the processing of every message received so far has finished.
func (h *Webhook) Wait() { h.wg.Wait() }

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
	out, err := h.process(m)
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
	case out.Late:
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

// process applies the message within the reply budget. When the budget runs out first, it
// returns a late outcome; the processing goes on in the background and its replies go out
// through the outbox.
func (h *Webhook) process(m Message) (Outcome, error) {
	var gate atomic.Int32
	passive := func() bool {
		return gate.CompareAndSwap(gateOpen, gateCommitted) || gate.Load() == gateCommitted
	}
	type result struct {
		out Outcome
		err error
	}
	done := make(chan result, 1)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), h.workTimeout)
		defer cancel()
		out, err := h.convs.Handle(ctx, m, passive)
		if err != nil && gate.Load() == gateExpired {
			h.log.Error("handle message after the reply deadline", "openid", complaintbot.MaskOpenID(m.OpenID), "err", err)
		}
		done <- result{out, err}
	}()
	timer := time.NewTimer(h.cfg.ReplyBudget)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.out, r.err
	case <-timer.C:
		if gate.CompareAndSwap(gateOpen, gateExpired) {
			return Outcome{Late: true}, nil
		}
		r := <-done // the turn is being written with a passive answer: wait for it
		return r.out, r.err
	}
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
