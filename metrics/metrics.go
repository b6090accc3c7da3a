// Package metrics holds the service's Prometheus metrics, registered on one registry that the
// console listener serves at /metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the service's counters and histograms. The zero value is not usable: call New.
type Metrics struct {
	Registry *prometheus.Registry
	// Messages counts webhook messages by WeChat type and outcome (replied, late, duplicate,
	// silent, rejected, error).
	Messages *prometheus.CounterVec
	// Refused counts webhook requests refused before they reached a conversation, by reason:
	// bad_signature, stale (timestamp outside wechat.max_clock_skew), replay (a signed
	// timestamp and nonce used again with another body), too_large, unreadable, malformed.
	Refused *prometheus.CounterVec
	// ReplayCheckErrors counts plaintext callbacks whose replay check could not be made (the
	// database did not answer in time); they were processed anyway.
	ReplayCheckErrors prometheus.Counter
	// ReplySeconds is the time from receiving a webhook message to writing its answer.
	ReplySeconds prometheus.Histogram
	// DedupeHits counts retried or doubled messages answered from the stored first answer.
	DedupeHits prometheus.Counter
	// WeChatAPIErrors counts error answers from the WeChat API by errcode.
	WeChatAPIErrors *prometheus.CounterVec
	// OutboxDeliveries counts outbox delivery attempts by result.
	OutboxDeliveries *prometheus.CounterVec
}

// New creates the metrics on a fresh registry, together with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintbot_webhook_messages_total", Help: "Webhook messages by WeChat message type and outcome.",
		}, []string{"type", "outcome"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintbot_webhook_refused_total", Help: "Webhook requests refused, by reason.",
		}, []string{"reason"}),
		ReplayCheckErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "complaintbot_webhook_replay_check_errors_total", Help: "Plaintext callbacks processed without a replay check (database error).",
		}),
		ReplySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "complaintbot_webhook_reply_seconds", Help: "Time from receiving a webhook message to answering it.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5},
		}),
		DedupeHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "complaintbot_webhook_dedupe_hits_total", Help: "Retried or doubled messages answered from the first answer.",
		}),
		WeChatAPIErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintbot_wechat_api_errors_total", Help: "Error answers from the WeChat API by errcode.",
		}, []string{"code"}),
		OutboxDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "complaintbot_outbox_deliveries_total", Help: "Outbox delivery attempts by result.",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.Messages, m.Refused, m.ReplayCheckErrors, m.ReplySeconds, m.DedupeHits, m.WeChatAPIErrors, m.OutboxDeliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
