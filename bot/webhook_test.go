package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

const testAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

func safeMode(c *config.Config) { c.WeChat.EncodingAESKey = testAESKey }

func transcript(t *testing.T, h *apptest.Harness, openID string) []storage.Line {
	t.Helper()
	lines, err := h.App.Store.Transcript(context.Background(), openID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// Tencent's published sample callback, POSTed as WeChat would, opens and is answered.
func TestOfficialVectorIsDecryptedAndAnswered(t *testing.T) {
	raw, err := os.ReadFile("testdata/wechat-official-vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Token, AppID, Key, MsgSignature, Timestamp, Nonce, PostBody string
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	v.Token, v.AppID, v.Key, v.MsgSignature, v.Timestamp, v.Nonce, v.PostBody = m["token"], m["app_id"], m["encoding_aes_key"], m["msg_signature"], m["timestamp"], m["nonce"], m["post_body"]
	h := apptest.New(t, func(c *config.Config) {
		c.WeChat.Token, c.WeChat.AppID, c.WeChat.EncodingAESKey = v.Token, v.AppID, v.Key
	})
	ts, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	h.Clock.Set(time.Unix(ts, 0).Add(30 * time.Second)) // the sample is from 2014
	q := url.Values{"msg_signature": {v.MsgSignature}, "timestamp": {v.Timestamp}, "nonce": {v.Nonce}, "encrypt_type": {"aes"}}
	r, err := h.Sim.PostRaw(h.Sim.URL+"?"+q.Encode(), []byte(v.PostBody))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.Text == "" {
		t.Fatalf("answer: %d %q %s", r.Status, r.Text, r.Body)
	}
	if !strings.Contains(string(r.Body), "<Encrypt>") {
		t.Fatalf("the answer to an encrypted message must be encrypted: %s", r.Body)
	}
	lines := transcript(t, h, "mycreate")
	if len(lines) < 2 || lines[0].Text != "hello" || lines[0].Dir != storage.Inbound {
		t.Fatalf("transcript: %+v", lines)
	}

	// The same sample with one character of the signature changed is refused and stores nothing.
	h2 := apptest.New(t, func(c *config.Config) {
		c.WeChat.Token, c.WeChat.AppID, c.WeChat.EncodingAESKey = v.Token, v.AppID, v.Key
	})
	h2.Clock.Set(time.Unix(ts, 0))
	q.Set("msg_signature", "0"+v.MsgSignature[1:])
	r, _ = h2.Sim.PostRaw(h2.Sim.URL+"?"+q.Encode(), []byte(v.PostBody))
	if r.Status != http.StatusForbidden {
		t.Fatalf("forged msg_signature: HTTP %d", r.Status)
	}
	if n := len(transcript(t, h2, "mycreate")); n != 0 {
		t.Fatalf("a refused message stored %d lines", n)
	}
}

func TestSafeModeRoundTrip(t *testing.T) {
	h := apptest.New(t, safeMode)
	r, err := h.Sim.Text("oSafe0001", "你好")
	if err != nil || r.Status != 200 || r.Text == "" {
		t.Fatalf("%v %+v", err, r)
	}
	// During a key change, messages encrypted with the previous key still open.
	h2 := apptest.New(t, func(c *config.Config) {
		c.WeChat.EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		c.WeChat.PreviousEncodingAESKey = testAESKey
	})
	h2.Sim.AESKey = testAESKey
	r, err = h2.Sim.Text("oSafe0002", "你好")
	if err != nil || r.Status != 200 {
		t.Fatalf("previous key: %v %+v", err, r)
	}
	// A key nobody configured does not open.
	h2.Sim.AESKey = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
	r, _ = h2.Sim.Text("oSafe0003", "你好")
	if r.Status != http.StatusForbidden {
		t.Fatalf("unknown key: HTTP %d", r.Status)
	}
}

func TestRefusedRequestsStoreNothing(t *testing.T) {
	h := apptest.New(t, nil)
	sim := h.Sim
	ts := strconv.FormatInt(h.Clock.Now().Unix(), 10)
	body := sim.XML(wechatsim.Message{From: "oRefused01", Type: message.MsgTypeText, Content: "你好", CreateTime: h.Clock.Now().Unix(), MsgID: 77})
	signed := func(ts string) string {
		return sim.URL + "?" + url.Values{"timestamp": {ts}, "nonce": {"42"}, "signature": {util.Signature(sim.Token, ts, "42")}}.Encode()
	}
	cases := []struct {
		name string
		url  string
		body []byte
		want int
	}{
		{"no signature", sim.URL + "?timestamp=" + ts + "&nonce=42", body, http.StatusForbidden},
		{"bad signature", sim.URL + "?timestamp=" + ts + "&nonce=42&signature=" + strings.Repeat("a", 40), body, http.StatusForbidden},
		{"stale timestamp", signed(strconv.FormatInt(h.Clock.Now().Add(-6*time.Minute).Unix(), 10)), body, http.StatusForbidden},
		{"future timestamp", signed(strconv.FormatInt(h.Clock.Now().Add(6*time.Minute).Unix(), 10)), body, http.StatusForbidden},
		{"no timestamp", sim.URL + "?nonce=42&signature=x", body, http.StatusForbidden},
		{"malformed XML", signed(ts), []byte("<xml><FromUserName>"), http.StatusBadRequest},
		{"no sender", signed(ts), []byte("<xml><MsgType>text</MsgType></xml>"), http.StatusBadRequest},
		{"too large", signed(ts), []byte("<xml>" + strings.Repeat("很", 70<<10/3) + "</xml>"), http.StatusRequestEntityTooLarge},
		{"encrypted without a key", signed(ts), []byte("<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>"), http.StatusForbidden},
	}
	for _, c := range cases {
		r, err := sim.PostRaw(c.url, c.body)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Status != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, r.Status, c.want)
		}
	}
	if n := len(transcript(t, h, "oRefused01")); n != 0 {
		t.Fatalf("refused requests stored %d transcript lines", n)
	}
	// The same message, properly signed, is accepted: the refusals were about the request.
	if r, _ := sim.PostRaw(signed(ts), body); r.Status != 200 || r.Text == "" {
		t.Fatalf("valid request: %+v", r)
	}
}

func TestURLCheck(t *testing.T) {
	h := apptest.New(t, nil)
	ts := strconv.FormatInt(h.Clock.Now().Unix(), 10)
	get := func(sig string) (int, string) {
		u := h.Sim.URL + "?" + url.Values{"timestamp": {ts}, "nonce": {"9"}, "signature": {sig}, "echostr": {"echo123"}}.Encode()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(resp))
		return resp.StatusCode, b.String()
	}
	if code, body := get(util.Signature(h.Sim.Token, ts, "9")); code != 200 || body != "echo123" {
		t.Fatalf("good check: %d %q", code, body)
	}
	if code, _ := get("bad"); code != http.StatusForbidden {
		t.Fatalf("bad check: %d", code)
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

func TestRetriedAndConcurrentDuplicatesAnswerOnce(t *testing.T) {
	h := apptest.New(t, nil)
	m := wechatsim.Message{From: "oDup000001", Type: message.MsgTypeText, Content: "你好", CreateTime: h.Clock.Now().Unix(), MsgID: 9001}
	var wg sync.WaitGroup
	answers := make([]string, 10)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.Sim.Send(m)
			if err != nil || r.Status != 200 {
				t.Errorf("copy %d: %v %+v", i, err, r)
				return
			}
			answers[i] = r.Text
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a == "" || a != answers[0] {
			t.Fatalf("copy %d answered %q, copy 0 %q", i, a, answers[0])
		}
	}
	// A retry after a restart gets the same answer too: the dedupe record is in the database.
	h.Restart()
	r, err := h.Sim.Send(m)
	if err != nil || r.Text != answers[0] {
		t.Fatalf("retry after restart: %v %q, want %q", err, r.Text, answers[0])
	}
	in := 0
	for _, l := range transcript(t, h, m.From) {
		if l.Dir == storage.Inbound {
			in++
		}
	}
	if in != 1 {
		t.Fatalf("12 copies of one message stored %d times", in)
	}
	// Events carry no MsgId: sender + CreateTime identify them.
	ev := wechatsim.Message{From: "oDup000001", Type: message.MsgTypeEvent, Event: message.EventSubscribe, CreateTime: h.Clock.Now().Unix()}
	r1, _ := h.Sim.Send(ev)
	r2, _ := h.Sim.Send(ev)
	if r1.Text == "" || r1.Text != r2.Text {
		t.Fatalf("subscribe event and its retry: %q / %q", r1.Text, r2.Text)
	}
	if n := len(transcript(t, h, m.From)); n != 4 { // message+reply, event+reply
		t.Fatalf("transcript has %d lines, want 4", n)
	}
}

// holdConversation has something other than the customer hold who's conversation for d (an
// agent's action still being written): the customer's message waits that long. The returned
// channel gives the holder's error once it is done.
func holdConversation(t *testing.T, h *apptest.Harness, who string, d time.Duration) <-chan error {
	t.Helper()
	holding := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		_, err := h.App.Convs.Control(context.Background(), who, "test: held", func(st *complaintbot.ConversationState) ([]string, error) {
			close(holding)
			time.Sleep(d)
			return nil, nil
		})
		held <- err
	}()
	<-holding
	return held
}

func TestSlowAnswerGoesThroughCustomerServiceAPI(t *testing.T) {
	h := apptest.New(t, func(c *config.Config) { c.Server.ReplyBudget = config.Duration(50 * time.Millisecond) })
	who := "oLate00001"
	// Something else holds the conversation (an agent's action still being written) until well
	// past the reply budget, while WeChat still waits: the message is then stored, its replies
	// queued, and only then is WeChat answered "success".
	held := holdConversation(t, h, who, 300*time.Millisecond)
	m := wechatsim.Message{From: who, Type: message.MsgTypeText, Content: "你好", CreateTime: h.Clock.Now().Unix(), MsgID: 5005}
	r, err := h.Sim.Send(m)
	if err != nil || !r.Success {
		t.Fatalf("past the budget the webhook must answer success: %v %+v", err, r)
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	h.App.Webhook.Wait() // the message's work went on in the background
	// Should WeChat retry anyway, it must not get the reply passively as well.
	r, _ = h.Sim.Send(m)
	if !r.Success {
		t.Fatalf("retry of a late message: %+v", r)
	}
	h.Deliver()
	sent := h.App.Sandbox.SentTo(who)
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "欢迎") || sent[0].Kind != "custom" {
		t.Fatalf("late reply delivered as %+v, want one customer-service message with the welcome", sent)
	}
}

func TestMessageTypesGetAnAnswer(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oTypes0001"
	for _, m := range []wechatsim.Message{
		{Type: message.MsgTypeVoice, MediaID: "v1"},
		{Type: message.MsgTypeVoice, MediaID: "v2", Recognition: "我要投诉"},
		{Type: message.MsgTypeLocation},
		{Type: message.MsgTypeLink},
		{Type: message.MsgTypeVideo, MediaID: "vid"},
		{Type: message.MsgTypeEvent, Event: message.EventClick, EventKey: "PROGRESS"},
	} {
		m.From = who
		r, err := h.Sim.Send(m)
		if err != nil || r.Status != 200 || strings.TrimSpace(r.Text) == "" {
			t.Fatalf("%s %s: %v %+v", m.Type, m.Event, err, r)
		}
	}
	// A template-delivery receipt needs no answer and starts no conversation.
	r, _ := h.Sim.Send(wechatsim.Message{From: "oTypes0002", Type: message.MsgTypeEvent, Event: "TEMPLATESENDJOBFINISH"})
	if !r.Success {
		t.Fatalf("receipt: %+v", r)
	}
	// Unsubscribing is recorded; there is no one to answer.
	r, _ = h.Sim.Send(wechatsim.Message{From: who, Type: message.MsgTypeEvent, Event: message.EventUnsubscribe})
	if !r.Success {
		t.Fatalf("unsubscribe: %+v", r)
	}
	if sub, err := storagetest.Subscribed(context.Background(), h.App.Store, who); err != nil || sub {
		t.Fatalf("unsubscribe not recorded: %v %v", sub, err)
	}
}

func TestHealthOnBothListeners(t *testing.T) {
	h := apptest.New(t, nil)
	for _, base := range []string{h.App.WebhookURL(), h.App.ConsoleURL()} {
		for _, p := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(base + p)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s%s: %v %v", base, p, err, resp)
			}
			resp.Body.Close()
		}
	}
	// Metrics only on the internal listener.
	resp, _ := http.Get(h.App.WebhookURL() + "/metrics")
	if resp.StatusCode != 404 {
		t.Fatalf("webhook listener serves /metrics: %d", resp.StatusCode)
	}
	resp.Body.Close()
	h.Say("oMetrics01", "你好")
	resp, _ = http.Get(h.App.ConsoleURL() + "/metrics")
	body := readAll(resp)
	resp.Body.Close()
	for _, want := range []string{`complaintbot_webhook_messages_total{outcome="replied",type="text"} 1`, "complaintbot_webhook_reply_seconds_bucket"} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// The early "success" at the reply budget ends the exchange: a keep-alive client's next request
// (here on the one connection the client may have to the host) is answered while the slow
// message is still being processed, instead of waiting behind it.
func TestEarlySuccessFreesTheConnection(t *testing.T) {
	h := apptest.New(t, func(c *config.Config) { c.Server.ReplyBudget = config.Duration(50 * time.Millisecond) })
	var mu sync.Mutex
	var reused []bool
	tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	h.Sim.HTTP = &http.Client{Timeout: 20 * time.Second, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
			mu.Lock()
			defer mu.Unlock()
			reused = append(reused, i.Reused)
		}}
		return tr.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	})}
	receipt := wechatsim.Message{From: "oKeep00002", Type: message.MsgTypeEvent, Event: "TEMPLATESENDJOBFINISH"}
	// Quick exchanges keep the connection: the client is a keep-alive one.
	for range 2 {
		if r, err := h.Sim.Send(receipt); err != nil || !r.Success {
			t.Fatalf("receipt: %v %+v", err, r)
		}
	}
	mu.Lock()
	if len(reused) != 2 || !reused[1] {
		t.Fatalf("connections reused: %v, want the second request on the first's connection", reused)
	}
	mu.Unlock()

	who := "oKeep00001"
	held := holdConversation(t, h, who, 300*time.Millisecond) // well past the reply budget
	r, err := h.Sim.Send(wechatsim.Message{From: who, Type: message.MsgTypeText, Content: "在吗", CreateTime: h.Clock.Now().Unix(), MsgID: 5101})
	if err != nil || !r.Success {
		t.Fatalf("slow message: %v %+v", err, r)
	}
	// The early "success" closed its connection (the handler may still be carrying out the
	// turn's effects): the next request is answered on a new one instead of waiting behind it.
	if r, err := h.Sim.Send(receipt); err != nil || !r.Success {
		t.Fatalf("the request after the early success: %v %+v", err, r)
	}
	mu.Lock()
	if len(reused) != 4 || reused[3] {
		t.Fatalf("connections reused: %v, want the request after the early success on a new connection", reused)
	}
	mu.Unlock()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	h.App.Webhook.Wait()
	h.Deliver()
	if sent := h.App.Sandbox.SentTo(who); len(sent) != 1 {
		t.Fatalf("the slow message's reply: %+v, want one customer-service message", sent)
	}
}
