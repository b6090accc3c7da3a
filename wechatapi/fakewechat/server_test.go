package fakewechat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

type answer struct {
	ErrCode     int64  `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	MsgID       int64  `json:"msgid"`
}

func call(t *testing.T, h http.Handler, method, target string, body any) (int, answer) {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, &buf))
	var a answer
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("%s %s: %v in %q", method, target, err, rec.Body.String())
		}
	}
	return rec.Code, a
}

func stable(t *testing.T, s *Server, secret string, force bool) answer {
	t.Helper()
	_, a := call(t, s, http.MethodPost, PathStableToken, map[string]any{
		"grant_type": "client_credential", "appid": "app", "secret": secret, "force_refresh": force,
	})
	return a
}

func sendText(t *testing.T, s *Server, token, to, text string) answer {
	t.Helper()
	_, a := call(t, s, http.MethodPost, PathCustomSend+"?access_token="+token, map[string]any{
		"touser": to, "msgtype": "text", "text": map[string]string{"content": text},
	})
	return a
}

func TestStableToken(t *testing.T) {
	s := New("app", "secret")
	if a := stable(t, s, "wrong", false); a.ErrCode != 40125 {
		t.Errorf("wrong secret: %+v", a)
	}
	a := stable(t, s, "secret", false)
	if a.ErrCode != 0 || a.AccessToken == "" || a.ExpiresIn != TokenLifetime {
		t.Fatalf("stable_token: %+v", a)
	}
	if b := stable(t, s, "secret", false); b.AccessToken != a.AccessToken {
		t.Errorf("without force_refresh the token changed: %q → %q", a.AccessToken, b.AccessToken)
	}
	if r := sendText(t, s, a.AccessToken, "o1", "hi"); r.ErrCode != 0 {
		t.Errorf("send with a good token: %+v", r)
	}
	b := stable(t, s, "secret", true)
	if b.AccessToken == a.AccessToken {
		t.Fatal("force_refresh kept the token")
	}
	if r := sendText(t, s, a.AccessToken, "o1", "hi"); r.ErrCode != 40001 {
		t.Errorf("send with the old token: %+v", r)
	}
	if r := sendText(t, s, b.AccessToken, "o1", "hi"); r.ErrCode != 0 {
		t.Errorf("send with the new token: %+v", r)
	}
	if r := sendText(t, s, "", "o1", "hi"); r.ErrCode != 41001 {
		t.Errorf("send without a token: %+v", r)
	}
	if n := s.TokenFetches(); n != 4 {
		t.Errorf("TokenFetches = %d, want 4", n)
	}
}

func TestPlainToken(t *testing.T) {
	s := New("app", "secret")
	_, a := call(t, s, http.MethodGet, PathToken+"?grant_type=client_credential&appid=app&secret=secret", nil)
	_, b := call(t, s, http.MethodGet, PathToken+"?grant_type=client_credential&appid=app&secret=secret", nil)
	if a.AccessToken == "" || a.AccessToken == b.AccessToken {
		t.Fatalf("tokens %q %q", a.AccessToken, b.AccessToken)
	}
	if r := sendText(t, s, a.AccessToken, "o1", "hi"); r.ErrCode != 40001 {
		t.Errorf("old plain token: %+v", r)
	}
	if r := sendText(t, s, b.AccessToken, "o1", "hi"); r.ErrCode != 0 {
		t.Errorf("new plain token: %+v", r)
	}
	if _, c := call(t, s, http.MethodGet, PathToken+"?grant_type=client_credential&appid=other&secret=secret", nil); c.ErrCode != 40013 {
		t.Errorf("wrong appid: %+v", c)
	}
}

func TestFailNextAndValidation(t *testing.T) {
	s := New("app", "secret")
	tok := stable(t, s, "secret", false).AccessToken
	s.FailNext(PathCustomSend, 45015, 2)
	for i := 0; i < 2; i++ {
		if r := sendText(t, s, tok, "o1", "hi"); r.ErrCode != 45015 || r.ErrMsg == "" {
			t.Errorf("failure %d: %+v", i, r)
		}
	}
	if r := sendText(t, s, tok, "o1", "hi"); r.ErrCode != 0 {
		t.Errorf("after the failures: %+v", r)
	}
	s.FailNext(PathCustomSend, 45015, 1)
	s.FailNext(PathCustomSend, 0, 0) // cancelled
	if r := sendText(t, s, tok, "o1", "hi"); r.ErrCode != 0 {
		t.Errorf("after cancelling: %+v", r)
	}
	if r := sendText(t, s, tok, "", "hi"); r.ErrCode != 40003 {
		t.Errorf("no touser: %+v", r)
	}
	if r := sendText(t, s, tok, "o1", ""); r.ErrCode != 44004 {
		t.Errorf("empty text: %+v", r)
	}
	_, r := call(t, s, http.MethodPost, PathTemplateSend+"?access_token="+tok, map[string]any{"touser": "o1"})
	if r.ErrCode != 40037 {
		t.Errorf("no template_id: %+v", r)
	}
	if code, _ := call(t, s, http.MethodGet, PathCustomSend, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET send: %d", code)
	}
	if code, _ := call(t, s, http.MethodGet, "/cgi-bin/nope", nil); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	if n := len(s.Sent()); n != 2 {
		t.Errorf("recorded %d, want 2", n)
	}
}

func TestTemplateAndSandbox(t *testing.T) {
	s := New("app", "secret")
	tok := stable(t, s, "secret", false).AccessToken
	sendText(t, s, tok, "o1", "one")
	_, r := call(t, s, http.MethodPost, PathTemplateSend+"?access_token="+tok, map[string]any{
		"touser": "o1", "template_id": "TPL", "url": "https://x", "data": map[string]any{"k": map[string]string{"value": "v"}},
	})
	if r.ErrCode != 0 || r.MsgID != 2 {
		t.Fatalf("template: %+v", r)
	}
	sendText(t, s, tok, "o2", "two")

	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathSandbox+"?openid=o1&after=1", nil))
	var got []Sent
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != "template" || got[0].Data["k"] != "v" || got[0].URL != "https://x" {
		t.Errorf("sandbox = %+v", got)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathSandbox+"?after=9", nil))
	if rec.Body.String() != "[]\n" {
		t.Errorf("empty sandbox = %q, want []", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathSandbox+"?after=x", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("bad after: %d", rec.Code)
	}
	// Returned data is a copy.
	s.SentTo("o1")[1].Data["k"] = "changed"
	if s.SentTo("o1")[1].Data["k"] != "v" {
		t.Error("SentTo shares its maps")
	}
}

func TestRecordedListIsBounded(t *testing.T) {
	s := New("app", "secret")
	for i := 0; i < MaxRecorded+5; i++ {
		s.record(Sent{Kind: "custom", ToUser: "o", Text: fmt.Sprint(i)})
	}
	got := s.Sent()
	if len(got) != MaxRecorded || got[0].Seq != 6 || got[len(got)-1].Seq != MaxRecorded+5 {
		t.Errorf("kept %d, first %d, last %d", len(got), got[0].Seq, got[len(got)-1].Seq)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New("app", "secret")
	srv := httptest.NewServer(s)
	defer srv.Close()
	tok := stable(t, s, "secret", false).AccessToken
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"touser":"o%d","msgtype":"text","text":{"content":"x"}}`, i%3)
			resp, err := http.Post(srv.URL+PathCustomSend+"?access_token="+tok, "application/json", bytes.NewBufferString(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			_ = s.SentTo("o1")
			s.FailNext("/other", 1, 1)
		}()
	}
	wg.Wait()
	if n := len(s.Sent()); n != 20 {
		t.Errorf("recorded %d, want 20", n)
	}
}

// With inbox keys required, a simulator reads its own customer's messages and nobody lists anyone
// else's: no key, another customer's key or no openid is refused.
func TestSandboxInboxNeedsTheCustomersKey(t *testing.T) {
	s := New("app", "secret")
	s.RequireInboxKey("webhook-token")
	tok := stable(t, s, "secret", false).AccessToken
	sendText(t, s, tok, "o1", "您的案件已受理")
	sendText(t, s, tok, "o2", "另一位客户的通知")

	get := func(query string) (int, []Sent) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PathSandbox+"?"+query, nil))
		var got []Sent
		if rec.Code == http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code, got
	}
	for _, q := range []string{"", "after=0", "openid=o1", "openid=o1&key=" + InboxKey("webhook-token", "o2"),
		"key=" + InboxKey("webhook-token", ""), "openid=o1&key=" + InboxKey("other-token", "o1")} {
		if code, got := get(q); code != http.StatusForbidden {
			t.Errorf("?%s: %d %+v, want 403", q, code, got)
		}
	}
	code, got := get("openid=o1&key=" + InboxKey("webhook-token", "o1"))
	if code != http.StatusOK || len(got) != 1 || got[0].ToUser != "o1" || got[0].Text != "您的案件已受理" {
		t.Fatalf("own inbox: %d %+v", code, got)
	}
}
