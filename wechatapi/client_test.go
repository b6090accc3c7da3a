package wechatapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/wechatapi"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
)

const (
	appID     = "wx_test_app"
	appSecret = "test_secret"
	openID    = "oABCD_customer_openid_WXYZ"
	otherID   = "oEFGH_another_openid_1234"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, complaintbot.Shanghai)

type env struct {
	fake  *fakewechat.Server
	srv   *httptest.Server
	store *wechatapi.MemoryTokenStore
	clock *complaintbot.ManualClock
}

// newEnv starts a fake WeChat behind a real HTTP server; wrap, when not nil, wraps its handler.
func newEnv(t *testing.T, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	e := &env{
		fake:  fakewechat.New(appID, appSecret),
		store: &wechatapi.MemoryTokenStore{},
		clock: complaintbot.NewManualClock(t0),
	}
	var h http.Handler = e.fake
	if wrap != nil {
		h = wrap(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) client(t *testing.T, mod func(*wechatapi.Config)) *wechatapi.Client {
	t.Helper()
	cfg := wechatapi.Config{AppID: appID, AppSecret: appSecret, APIBase: e.srv.URL}
	if mod != nil {
		mod(&cfg)
	}
	c, err := wechatapi.New(cfg, e.store, e.clock)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// storedToken returns the token in the env's store.
func (e *env) storedToken(t *testing.T) string {
	t.Helper()
	tok, _, err := e.store.LoadToken(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forceRefresh fetches a new stable token behind the clients' backs, invalidating theirs.
func (e *env) forceRefresh(t *testing.T) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": appSecret, "force_refresh": true,
	})
	resp, err := http.Post(e.srv.URL+fakewechat.PathStableToken, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// assertClean fails when err's text leaks an openid, a message text or an access token.
func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range append(secrets, openID, otherID, "access_token=", "FAKE_") {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q leaks %q", msg, s)
		}
	}
}

func TestSendText(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	if err := c.SendText(context.Background(), openID, "您的投诉已受理，编号 TS20250301001。"); err != nil {
		t.Fatalf("SendText: %v", err)
	}
	got := e.fake.SentTo(openID)
	if len(got) != 1 {
		t.Fatalf("SentTo = %+v, want one message", got)
	}
	m := got[0]
	if m.Kind != "custom" || m.MsgType != "text" || m.ToUser != openID || m.Text != "您的投诉已受理，编号 TS20250301001。" {
		t.Errorf("recorded %+v", m)
	}
	if len(e.fake.SentTo(otherID)) != 0 {
		t.Error("SentTo(other) not empty")
	}
}

func TestSendTemplate(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	data := map[string]string{"first": "您的投诉有新进展", "keyword1": "TS20250301001", "remark": "感谢您的耐心"}
	id, err := c.SendTemplate(context.Background(), openID, "TPL_progress", "https://example.com/c/1", data)
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	got := e.fake.SentTo(openID)
	if len(got) != 1 {
		t.Fatalf("SentTo = %+v, want one message", got)
	}
	m := got[0]
	if m.Kind != "template" || m.TemplateID != "TPL_progress" || m.URL != "https://example.com/c/1" || m.ToUser != openID {
		t.Errorf("recorded %+v", m)
	}
	if id != m.Seq {
		t.Errorf("msgID = %d, want %d", id, m.Seq)
	}
	if len(m.Data) != len(data) {
		t.Errorf("data = %v, want %v", m.Data, data)
	}
	for k, v := range data {
		if m.Data[k] != v {
			t.Errorf("data[%s] = %q, want %q", k, m.Data[k], v)
		}
	}
}

// A subscribe message (订阅通知) reaches a customer who accepted it; one who did not is
// answered 43101, which the outbox reads as "call the customer".
func TestSendSubscribe(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	data := map[string]string{"character_string1": "TS20261202-0001", "thing2": "调查处理中", "time3": "2026年12月16日"}
	if err := c.SendSubscribe(context.Background(), openID, "SUB_progress", "", data); err != nil {
		t.Fatalf("SendSubscribe: %v", err)
	}
	got := e.fake.SentTo(openID)
	if len(got) != 1 || got[0].Kind != "subscribe" || got[0].TemplateID != "SUB_progress" || got[0].Data["thing2"] != "调查处理中" {
		t.Fatalf("recorded %+v", got)
	}
	e.fake.RefuseSubscribe(otherID)
	err := c.SendSubscribe(context.Background(), otherID, "SUB_progress", "", data)
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassRefused {
		t.Fatalf("a customer who did not subscribe: Classify = %v (%v), want refused", cl, err)
	}
}

func TestTokenFetchedOnceAndShared(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.client(t, nil), e.client(t, nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := a.SendText(ctx, openID, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.SendTemplate(ctx, otherID, "TPL", "", map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.fake.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1", n)
	}
	if len(e.fake.Sent()) != 6 {
		t.Errorf("sent %d messages, want 6", len(e.fake.Sent()))
	}
}

func TestTokenExpiresByClock(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	if err := c.SendText(ctx, openID, "1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(7200*time.Second - 6*time.Minute) // still inside the safety margin
	if err := c.SendText(ctx, openID, "2"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokenFetches(); n != 1 {
		t.Fatalf("TokenFetches = %d before expiry, want 1", n)
	}
	e.clock.Advance(2 * time.Minute) // past expires_in minus the margin
	if err := c.SendText(ctx, openID, "3"); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d after expiry, want 2", n)
	}
}

func TestInvalidTokenRefreshedAndRetriedOnce(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	if err := c.SendText(ctx, openID, "first"); err != nil {
		t.Fatal(err)
	}
	before := e.storedToken(t)
	e.fake.FailNext(fakewechat.PathCustomSend, 40001, 1)
	if err := c.SendText(ctx, openID, "second"); err != nil {
		t.Fatalf("SendText after one 40001: %v", err)
	}
	if n := e.fake.TokenFetches(); n != 2 {
		t.Errorf("TokenFetches = %d, want 2 (initial + forced refresh)", n)
	}
	if after := e.storedToken(t); after == before || after == "" {
		t.Errorf("stored token %q not replaced (was %q)", after, before)
	}
	if got := e.fake.SentTo(openID); len(got) != 2 || got[1].Text != "second" {
		t.Errorf("recorded %+v", got)
	}
}

func TestInvalidTokenTwiceIsClassToken(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	e.fake.FailNext(fakewechat.PathTemplateSend, 40001, 2)
	_, err := c.SendTemplate(context.Background(), openID, "TPL", "", nil)
	if err == nil {
		t.Fatal("no error after two 40001")
	}
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassToken || !cl.Retryable() {
		t.Errorf("Classify = %v (retryable %v), want token, retryable", cl, cl.Retryable())
	}
	var apiErr *wechatapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 40001 || apiErr.API != "template/send" {
		t.Errorf("errors.As APIError = %+v", apiErr)
	}
	assertClean(t, err)
	if len(e.fake.Sent()) != 0 {
		t.Error("a message was recorded")
	}
}

// A token invalidated by another instance is picked up from the store without another fetch.
func TestTokenRefreshedByAnotherInstance(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.client(t, nil), e.client(t, nil)
	ctx := context.Background()
	if err := a.SendText(ctx, openID, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := b.SendText(ctx, openID, "b1"); err != nil {
		t.Fatal(err)
	}
	e.forceRefresh(t) // both now hold a dead token in memory
	if err := b.SendText(ctx, openID, "b2"); err != nil {
		t.Fatalf("b after refresh: %v", err)
	}
	if err := a.SendText(ctx, openID, "a2"); err != nil {
		t.Fatalf("a after refresh: %v", err)
	}
	// 1 initial + 1 behind their backs + 1 forced by b; a reuses b's from the store.
	if n := e.fake.TokenFetches(); n != 3 {
		t.Errorf("TokenFetches = %d, want 3", n)
	}
	if got := len(e.fake.SentTo(openID)); got != 4 {
		t.Errorf("recorded %d, want 4", got)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		path      string
		code      int64
		want      wechatapi.Class
		retryable bool
	}{
		{fakewechat.PathCustomSend, 45015, wechatapi.ClassOutOfWindow, false},
		{fakewechat.PathCustomSend, 45047, wechatapi.ClassTooMany, false},
		{fakewechat.PathCustomSend, 43004, wechatapi.ClassRefused, false},
		{fakewechat.PathCustomSend, 43019, wechatapi.ClassRefused, false},
		{fakewechat.PathTemplateSend, 43101, wechatapi.ClassRefused, false},
		{fakewechat.PathCustomSend, 45009, wechatapi.ClassQuota, false},
		{fakewechat.PathTemplateSend, 45009, wechatapi.ClassQuota, false},
		{fakewechat.PathCustomSend, -1, wechatapi.ClassBusy, true},
		{fakewechat.PathCustomSend, 40003, wechatapi.ClassInvalid, false},
		{fakewechat.PathTemplateSend, 40037, wechatapi.ClassInvalid, false},
	}
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	for _, tc := range cases {
		e.fake.FailNext(tc.path, tc.code, 1)
		var err error
		if tc.path == fakewechat.PathCustomSend {
			err = c.SendText(ctx, openID, "secret complaint text")
		} else {
			_, err = c.SendTemplate(ctx, openID, "TPL", "", map[string]string{"k": "secret complaint text"})
		}
		if err == nil {
			t.Errorf("%s %d: no error", tc.path, tc.code)
			continue
		}
		if cl := wechatapi.Classify(err); cl != tc.want || cl.Retryable() != tc.retryable {
			t.Errorf("%s %d: Classify = %v retryable %v, want %v %v (%v)", tc.path, tc.code, cl, cl.Retryable(), tc.want, tc.retryable, err)
		}
		var apiErr *wechatapi.APIError
		if !errors.As(err, &apiErr) || apiErr.Code != tc.code {
			t.Errorf("%s %d: APIError = %+v", tc.path, tc.code, apiErr)
		}
		assertClean(t, err, "secret complaint text")
		if !strings.Contains(err.Error(), complaintbot.MaskOpenID(openID)) {
			t.Errorf("error %q does not name the masked openid", err)
		}
	}
	// FailNext is used up: the next sends go through.
	if err := c.SendText(ctx, openID, "ok"); err != nil {
		t.Errorf("after the failures: %v", err)
	}
	if n := e.fake.TokenFetches(); n != 1 {
		t.Errorf("TokenFetches = %d, want 1 (no refresh for non-token errors)", n)
	}
	if wechatapi.Classify(nil) != wechatapi.ClassOK {
		t.Error("Classify(nil) != ClassOK")
	}
}

// hangOn makes requests to path hang until the client gives up or release is closed.
func hangOn(path string, release <-chan struct{}) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path {
				// The server notices a closed connection only once the body has been read.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestSendTimesOut(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, hangOn(fakewechat.PathCustomSend, release))
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	c := e.client(t, func(cfg *wechatapi.Config) { cfg.Timeout = 200 * time.Millisecond })
	start := time.Now()
	err := c.SendText(context.Background(), openID, "hello")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("SendText took %v with a 200ms timeout", took)
	}
	if err == nil {
		t.Fatal("no error from a hanging server")
	}
	// The request went out: WeChat may have the message.
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassUnknown {
		t.Errorf("Classify = %v, want unknown (%v)", cl, err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v is not a deadline", err)
	}
	assertClean(t, err, "hello")
}

// A WeChat that takes the message and never answers: the send ends at the timeout with an unknown
// outcome, and the message was delivered once. A WeChat that cannot be reached: nothing went
// out, so the error is a busy one, safe to retry.
func TestHungAndUnreachableWeChat(t *testing.T) {
	e := newEnv(t, nil)
	t.Cleanup(e.fake.Release)
	c := e.client(t, func(cfg *wechatapi.Config) { cfg.Timeout = 200 * time.Millisecond })
	ctx := context.Background()
	if err := c.SendText(ctx, openID, "warm-up"); err != nil { // the token is fetched
		t.Fatal(err)
	}
	e.fake.HangNext(fakewechat.PathCustomSend, 1)
	err := c.SendText(ctx, openID, "您的投诉已受理")
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassUnknown {
		t.Fatalf("hung send: Classify = %v (%v)", cl, err)
	}
	assertClean(t, err, "您的投诉已受理")
	e.fake.HangTo(otherID)
	_, err = c.SendTemplate(ctx, otherID, "TPL", "", map[string]string{"k": "v"})
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassUnknown {
		t.Fatalf("hung template: Classify = %v (%v)", cl, err)
	}
	if got := e.fake.SentTo(openID); len(got) != 2 || got[1].Text != "您的投诉已受理" {
		t.Fatalf("the hung send was not delivered once: %+v", got)
	}
	if got := e.fake.SentTo(otherID); len(got) != 1 {
		t.Fatalf("the hung template was not delivered once: %+v", got)
	}
	// A slow WeChat (slower than the timeout) that has not handled it yet: unknown too, from
	// where the client stands, and nothing arrived.
	e.fake.Release()
	e.fake.Delay(fakewechat.PathCustomSend, time.Minute)
	err = c.SendText(ctx, openID, "slow")
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassUnknown {
		t.Fatalf("slow send: Classify = %v (%v)", cl, err)
	}
	e.fake.Release()
	if got := e.fake.SentTo(openID); len(got) != 2 {
		t.Fatalf("a send given up before WeChat handled it arrived: %+v", got)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	store := &wechatapi.MemoryTokenStore{}
	_ = store.SaveToken(ctx, appID, "T", t0.Add(time.Hour))
	c2, err := wechatapi.New(wechatapi.Config{AppID: appID, AppSecret: appSecret, APIBase: dead, Timeout: 200 * time.Millisecond}, store, e.clock)
	if err != nil {
		t.Fatal(err)
	}
	err = c2.SendText(ctx, openID, "unreachable complaint text")
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassBusy || !cl.Retryable() {
		t.Fatalf("unreachable WeChat: Classify = %v (%v)", cl, err)
	}
	assertClean(t, err, "unreachable complaint text")
}

func TestTokenFetchTimesOut(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, hangOn(fakewechat.PathStableToken, release))
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	c := e.client(t, func(cfg *wechatapi.Config) { cfg.Timeout = 200 * time.Millisecond })
	start := time.Now()
	err := c.SendText(context.Background(), openID, "hello")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("SendText took %v with a 200ms timeout", took)
	}
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassBusy {
		t.Errorf("Classify = %v, want busy (%v)", cl, err)
	}
	assertClean(t, err, appSecret)
}

func TestHTTPStatusErrorsHideTheToken(t *testing.T) {
	status := http.StatusBadGateway
	e := newEnv(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == fakewechat.PathCustomSend {
				http.Error(w, "upstream", status)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	c := e.client(t, nil)
	err := c.SendText(context.Background(), openID, "hello")
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassBusy {
		t.Errorf("502: Classify = %v, want busy (%v)", cl, err)
	}
	assertClean(t, err, "hello")
	status = http.StatusNotFound
	err = c.SendText(context.Background(), openID, "hello")
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassInvalid {
		t.Errorf("404: Classify = %v, want invalid (%v)", cl, err)
	}
	assertClean(t, err, "hello")
}

func TestBadSecret(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, func(cfg *wechatapi.Config) { cfg.AppSecret = "wrong" })
	err := c.SendText(context.Background(), openID, "hello")
	var apiErr *wechatapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 40125 || apiErr.API != "stable_token" {
		t.Fatalf("err = %v, want stable_token 40125", err)
	}
	if cl := wechatapi.Classify(err); cl != wechatapi.ClassInvalid {
		t.Errorf("Classify = %v, want invalid", cl)
	}
	assertClean(t, err, "wrong")
}

func TestCancelledContextSendsNothing(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.SendText(ctx, openID, "hello")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(e.fake.Sent()) != 0 || e.fake.TokenFetches() != 0 {
		t.Error("something was sent")
	}
}

func TestBadArguments(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	for name, err := range map[string]error{
		"empty openid": c.SendText(ctx, "", "x"),
		"empty text":   c.SendText(ctx, openID, ""),
		"empty template": func() error {
			_, err := c.SendTemplate(ctx, openID, "", "", nil)
			return err
		}(),
	} {
		if cl := wechatapi.Classify(err); cl != wechatapi.ClassInvalid {
			t.Errorf("%s: Classify = %v (%v), want invalid", name, cl, err)
		}
	}
	if e.fake.TokenFetches() != 0 {
		t.Error("bad arguments fetched a token")
	}
}

func TestNewValidates(t *testing.T) {
	store, clock := &wechatapi.MemoryTokenStore{}, complaintbot.NewManualClock(t0)
	for name, cfg := range map[string]wechatapi.Config{
		"no app id":        {AppSecret: "s"},
		"no secret":        {AppID: "a"},
		"bad base":         {AppID: "a", AppSecret: "s", APIBase: "ftp://x"},
		"relative base":    {AppID: "a", AppSecret: "s", APIBase: "/x"},
		"negative timeout": {AppID: "a", AppSecret: "s", Timeout: -time.Second},
		"huge timeout":     {AppID: "a", AppSecret: "s", Timeout: time.Hour},
	} {
		if _, err := wechatapi.New(cfg, store, clock); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	if _, err := wechatapi.New(wechatapi.Config{AppID: "a", AppSecret: "s"}, nil, clock); err == nil {
		t.Error("New accepted a nil store")
	}
}

func TestGlobalsInstalled(t *testing.T) {
	e := newEnv(t, nil)
	e.client(t, nil)
	if util.DefaultHTTPClient == http.DefaultClient {
		t.Error("util.DefaultHTTPClient is still http.DefaultClient")
	}
	if util.DefaultHTTPClient.Timeout == 0 {
		t.Error("the SDK's client has no timeout")
	}
	if http.DefaultClient.Timeout != 0 || http.DefaultClient.Transport != nil {
		t.Error("http.DefaultClient was mutated")
	}
}

func TestSandboxMessages(t *testing.T) {
	e := newEnv(t, nil)
	c := e.client(t, nil)
	ctx := context.Background()
	for _, s := range []struct{ to, text string }{{openID, "1"}, {otherID, "x"}, {openID, "2"}, {openID, "3"}} {
		if err := c.SendText(ctx, s.to, s.text); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(e.srv.URL + "/sandbox/messages?openid=" + openID + "&after=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []fakewechat.Sent
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Text != "2" || got[1].Text != "3" || got[0].Seq != 3 || got[1].Seq != 4 {
		t.Errorf("sandbox after=1 = %+v", got)
	}
}

func TestConcurrentSends(t *testing.T) {
	e := newEnv(t, nil)
	clients := []*wechatapi.Client{e.client(t, nil), e.client(t, nil)}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[i%2]
			if i%5 == 0 {
				_, err := c.SendTemplate(context.Background(), openID, "TPL", "", map[string]string{"n": "x"})
				errs <- err
				return
			}
			errs <- c.SendText(context.Background(), openID, "x")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(e.fake.Sent()); n != 40 {
		t.Errorf("recorded %d, want 40", n)
	}
	// Each Client fetches at most once; stable_token hands both the same token.
	if n := e.fake.TokenFetches(); n > 2 {
		t.Errorf("TokenFetches = %d, want at most 2", n)
	}
}

func TestMemoryTokenStoreDropOnlyMatching(t *testing.T) {
	var s wechatapi.MemoryTokenStore
	ctx := context.Background()
	exp := t0.Add(time.Hour)
	if err := s.SaveToken(ctx, appID, "T2", exp); err != nil {
		t.Fatal(err)
	}
	_ = s.DropToken(ctx, appID, "T1")
	if tok, e, _ := s.LoadToken(ctx, appID); tok != "T2" || !e.Equal(exp) {
		t.Errorf("after dropping another token: %q %v", tok, e)
	}
	_ = s.DropToken(ctx, appID, "T2")
	if tok, _, _ := s.LoadToken(ctx, appID); tok != "" {
		t.Errorf("after dropping it: %q", tok)
	}
}
