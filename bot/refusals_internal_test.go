package bot

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// recordingHandler keeps the records logged through it.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// refusals returns the "request refused" lines logged so far as reason → suppressed counts.
func (h *recordingHandler) refusals() map[string][]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]int64{}
	for _, r := range h.records {
		if r.Message != "webhook request refused" {
			continue
		}
		var reason string
		var n int64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "reason":
				reason = a.Value.String()
			case "suppressed":
				n = a.Value.Int64()
			}
			return true
		})
		out[reason] = append(out[reason], n)
	}
	return out
}

// A flood of forged requests is counted by reason but logged once a minute per reason, with the
// number held back; the minute is the injected clock's.
func TestRefusalsAreCountedAndLoggedOncePerMinute(t *testing.T) {
	clock := complaintbot.NewManualClock(time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai))
	logs := &recordingHandler{}
	m := metrics.New()
	h := NewWebhook(WebhookConfig{Wire: WireConfig{AppID: "wx1", Token: "QDG6eK", MaxClockSkew: 5 * time.Minute},
		Path: "/wechat", ReplyBudget: time.Second, MaxBodyBytes: 1 << 10}, nil, nil, clock, slog.New(logs), m)
	r := NewEngine()
	h.Register(r)
	post := func(query, body string) int {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/wechat?"+query, strings.NewReader(body)))
		return w.Code
	}
	ts := func() string { return strconv.FormatInt(clock.Now().Unix(), 10) }
	forged := func() int {
		return post("timestamp="+ts()+"&nonce=1&signature="+strings.Repeat("0", 40), "<xml></xml>")
	}
	for range 1000 {
		if code := forged(); code != http.StatusForbidden {
			t.Fatalf("forged request: HTTP %d", code)
		}
	}
	// Other reasons have their own minute.
	post("timestamp=1&nonce=1&signature=x", "<xml></xml>")
	post("timestamp="+ts()+"&nonce=1&signature=x", strings.Repeat("x", 2<<10))
	got := logs.refusals()
	if len(got["bad_signature"]) != 1 || len(got["stale"]) != 1 || len(got["too_large"]) != 1 {
		t.Fatalf("log lines in the first minute: %v", got)
	}
	clock.Advance(59 * time.Second)
	forged()
	if n := len(logs.refusals()["bad_signature"]); n != 1 {
		t.Fatalf("%d lines within a minute", n)
	}
	clock.Advance(2 * time.Second)
	forged()
	if got := logs.refusals()["bad_signature"]; len(got) != 2 || got[1] != 1000 {
		t.Fatalf("after the minute: %v, want a second line with 1000 held back", got)
	}
	if n := counter(t, m.Refused.WithLabelValues("bad_signature")); n != 1002 {
		t.Fatalf("counted %v bad signatures, want 1002", n)
	}
	for _, reason := range []string{"stale", "too_large"} {
		if n := counter(t, m.Refused.WithLabelValues(reason)); n != 1 {
			t.Fatalf("counted %v %s, want 1", n, reason)
		}
	}
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
