package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

func metricsText(t *testing.T, h *apptest.Harness) string {
	t.Helper()
	resp, err := http.Get(h.App.ConsoleURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return readAll(resp)
}

// In plaintext mode the signature covers only token, timestamp and nonce: a captured signed URL
// replayed with other bodies is refused, also after a restart, while WeChat repeating the same
// callback (same URL, same body) still gets its answer.
func TestReplayedSignatureIsRefused(t *testing.T) {
	h := apptest.New(t, nil)
	sim := h.Sim
	ts := strconv.FormatInt(h.Clock.Now().Unix(), 10)
	signed := sim.URL + "?" + url.Values{"timestamp": {ts}, "nonce": {"5150"}, "signature": {util.Signature(sim.Token, ts, "5150")}}.Encode()
	first := sim.XML(wechatsim.Message{From: "oReplay001", Type: message.MsgTypeText, Content: "你好", CreateTime: h.Clock.Now().Unix(), MsgID: 6001})
	r, err := sim.PostRaw(signed, first)
	if err != nil || r.Status != 200 || r.Text == "" {
		t.Fatalf("genuine callback: %v %+v", err, r)
	}
	answer := r.Text

	forged := func(i int) []byte {
		return sim.XML(wechatsim.Message{From: "oVictim001", Type: message.MsgTypeText, Content: "我要投诉" + strconv.Itoa(i),
			CreateTime: h.Clock.Now().Unix(), MsgID: int64(7000 + i)})
	}
	for i := range 3 {
		if r, _ := sim.PostRaw(signed, forged(i)); r.Status != http.StatusForbidden {
			t.Fatalf("replay %d with another body: HTTP %d", i, r.Status)
		}
	}
	// WeChat sending the same callback again is not a replay: the same answer.
	if r, _ := sim.PostRaw(signed, first); r.Status != 200 || r.Text != answer {
		t.Fatalf("the same callback again: %+v, want %q", r, answer)
	}
	h.Clock.Advance(2 * time.Minute)
	h.Restart()
	sim = h.Sim
	signed = sim.URL + signed[strings.Index(signed, "?"):]
	if r, _ := sim.PostRaw(signed, forged(9)); r.Status != http.StatusForbidden {
		t.Fatalf("replay after a restart: HTTP %d", r.Status)
	}
	if r, _ := sim.PostRaw(signed, first); r.Status != 200 || r.Text != answer {
		t.Fatalf("the same callback again after a restart: %+v, want %q", r, answer)
	}
	if n := len(transcript(t, h, "oVictim001")); n != 0 {
		t.Fatalf("replayed bodies stored %d transcript lines", n)
	}
	if m := metricsText(t, h); !strings.Contains(m, `complaintbot_webhook_refused_total{reason="replay"} 1`) {
		t.Fatalf("the replay after the restart is not counted:\n%s", grepLines(m, "refused"))
	}
	// Fresh nonces are fresh callbacks.
	if reply := h.Say("oReplay002", "你好"); reply == "" {
		t.Fatal("a fresh callback was not answered")
	}
}

// In safe mode the encrypted body is signed: a captured URL with another encrypted body fails
// msg_signature, and with the Encrypt element taken out (a plaintext body) it is refused too.
func TestSafeModeSignatureCoversTheBody(t *testing.T) {
	h := apptest.New(t, safeMode)
	sim := h.Sim
	var captured string
	sim.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		captured = r.URL.String()
		return http.DefaultTransport.RoundTrip(r)
	})}
	if r, err := sim.Text("oSafeRpl01", "你好"); err != nil || r.Status != 200 {
		t.Fatalf("genuine callback: %v %+v", err, r)
	}
	other := wechatsim.Client{URL: sim.URL, Token: sim.Token, AppID: sim.AppID, AESKey: sim.AESKey, Clock: h.Clock}
	var otherBody []byte
	other.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		otherBody = b.Bytes()
		return &http.Response{StatusCode: 599, Body: http.NoBody, Request: r}, nil
	})}
	_, _ = other.Text("oVictim002", "我要投诉")
	if r, _ := sim.PostRaw(captured, otherBody); r.Status != http.StatusForbidden {
		t.Fatalf("captured URL, another encrypted body: HTTP %d", r.Status)
	}
	plain := sim.XML(wechatsim.Message{From: "oVictim002", Type: message.MsgTypeText, Content: "我要投诉", CreateTime: h.Clock.Now().Unix(), MsgID: 8001})
	if r, _ := sim.PostRaw(captured, plain); r.Status != http.StatusForbidden {
		t.Fatalf("captured URL, plaintext body: HTTP %d", r.Status)
	}
	if n := len(transcript(t, h, "oVictim002")); n != 0 {
		t.Fatalf("forged bodies stored %d transcript lines", n)
	}
}

// The replay records are kept an hour at a time and old hours go by themselves: once the clock
// has moved on, the first callback of the hour leaves only the hours still in use.
func TestReplayRecordsOfPastHoursAreDropped(t *testing.T) {
	h := apptest.New(t, nil)
	ctx := context.Background()
	h.Say("oHours0001", "你好")
	h.App.Webhook.Wait() // the hour's maintenance runs in the background
	before, err := h.App.Store.CallbackBuckets(ctx)
	if err != nil || len(before) == 0 {
		t.Fatalf("no replay records after a callback: %v %v", before, err)
	}
	h.Clock.Advance(3 * time.Hour)
	h.Say("oHours0001", "我要投诉")
	h.App.Webhook.Wait()
	after, _ := h.App.Store.CallbackBuckets(ctx)
	for _, b := range before {
		if slices.Contains(after, b) {
			t.Fatalf("hour %s still kept 3 hours later: %v", b, after)
		}
	}
	now := h.Clock.Now().UTC().Format("2006010215")
	if !slices.Contains(after, "webhook_nonces_"+now) {
		t.Fatalf("the current hour %s is missing: %v", now, after)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
