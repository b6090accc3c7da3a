// Package fakewechat is a fake of the WeChat Official Account API (api.weixin.qq.com) for tests and
// for the service's sandbox mode: it issues access tokens, accepts customer-service and template
// messages, records them, and lets a terminal customer simulator read them back.
//
// Mount a Server at the root of an HTTP server and point wechatapi's Config.APIBase at it. It checks
// the AppID and AppSecret it was made with and the access token on every send, like WeChat. The
// /sandbox/messages path, where a customer simulator reads what was sent to its customer, lists
// anyone's messages unless RequireInboxKey is called: the service's sandbox mode calls it, so that
// a simulator reads only the customer it holds the key of.
package fakewechat

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
)

// MaxRecorded is how many sent messages a Server keeps; older ones are forgotten.
const MaxRecorded = 10000

// The API paths a Server answers.
const (
	PathStableToken  = "/cgi-bin/stable_token"
	PathToken        = "/cgi-bin/token"
	PathCustomSend   = "/cgi-bin/message/custom/send"
	PathTemplateSend = "/cgi-bin/message/template/send"
	// PathSubscribeSend is the subscribe message (订阅通知) API of a 服务号.
	PathSubscribeSend = "/cgi-bin/message/subscribe/bizsend"
	PathSandbox       = "/sandbox/messages"
)

// TokenLifetime is the expires_in a Server announces for its tokens (which in fact never expire).
const TokenLifetime = 7200

// Sent is a message a Server accepted.
type Sent struct {
	// Seq numbers accepted messages from 1 in order; a template message's msgid is its Seq.
	Seq int64 `json:"seq"`
	// Kind is "custom", "template" or "subscribe".
	Kind string `json:"kind"`
	// ToUser is the recipient's openid.
	ToUser string `json:"touser"`
	// MsgType is the customer-service msgtype ("text", "image", ...); empty for templates.
	MsgType string `json:"msgtype,omitempty"`
	// Text is the content of a text message.
	Text string `json:"text,omitempty"`
	// TemplateID, URL and Data are a template message's template, link and field values.
	TemplateID string            `json:"template_id,omitempty"`
	URL        string            `json:"url,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
	// At is when the Server accepted the message.
	At time.Time `json:"at"`
}

type failure struct {
	code int64
	n    int
}

// Server is a fake api.weixin.qq.com: an http.Handler with the same paths. It is safe for concurrent
// use.
type Server struct {
	appID, appSecret string

	mu           sync.Mutex
	clock        complaintbot.Clock
	stable       string // current stable_token token
	plain        string // current /cgi-bin/token token
	tokenSeq     int64
	tokenFetches int
	fail         map[string]*failure
	seq          int64
	sent         []Sent

	// Faults of the network kind (see HangNext, HangTo, Delay, Release).
	hangNext map[string]int           // path → calls left that hang
	hangTo   map[string]bool          // openid → its sends hang
	delay    map[string]time.Duration // path → wait before handling
	release  chan struct{}            // closed by Release
	hanging  int
	// inboxSecret, when set, keys each customer's /sandbox/messages (see RequireInboxKey).
	inboxSecret string
	// subscribeRefused are the customers who did not accept subscribe messages.
	subscribeRefused map[string]bool
	// media are the temporary media files served (see AddMedia).
	media mediaFiles
}

// New returns a Server for the Official Account appID with secret appSecret.
func New(appID, appSecret string) *Server {
	return &Server{
		appID:     appID,
		appSecret: appSecret,
		clock:     complaintbot.SystemClock{},
		fail:      make(map[string]*failure),
		hangNext:  make(map[string]int),
		hangTo:    make(map[string]bool),
		delay:     make(map[string]time.Duration),
		release:   make(chan struct{}),
	}
}

// HangNext makes the next n calls to the API path hang: each is handled as usual (a message is
// accepted and recorded: WeChat has it) but its answer is held back until the client gives up
// or Release is called, as a WeChat that delivers and then never answers. n <= 0 cancels.
func (s *Server) HangNext(path string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.hangNext, path)
		return
	}
	s.hangNext[path] = n
}

// HangTo makes every send to openid hang as HangNext does, until Release.
func (s *Server) HangTo(openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangTo[openid] = true
}

// Delay makes every call to the API path wait d before it is handled (a slow WeChat; the client
// may give up first, and then nothing is recorded). d <= 0 cancels.
func (s *Server) Delay(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delay, path)
		return
	}
	s.delay[path] = d
}

// Release ends every hang and delay: requests held now get their answers, and no later one is
// held back.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.hangNext)
	clear(s.hangTo)
	clear(s.delay)
	close(s.release)
	s.release = make(chan struct{})
}

// Hanging counts the requests whose answers are held back now.
func (s *Server) Hanging() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hanging
}

// held answers w's request once the hang ends: the buffered answer when the hang was released,
// nothing when the client gave up.
func (s *Server) held(w http.ResponseWriter, r *http.Request, answer *bufferedAnswer) {
	s.mu.Lock()
	s.hanging++
	release := s.release
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.hanging--
		s.mu.Unlock()
	}()
	select {
	case <-r.Context().Done():
	case <-release:
		answer.copyTo(w)
	}
}

// faults returns the delay before handling r and whether its answer hangs; r's body stays
// readable.
func (s *Server) faults(r *http.Request) (time.Duration, bool) {
	var to string
	if r.URL.Path == PathCustomSend || r.URL.Path == PathTemplateSend || r.URL.Path == PathSubscribeSend {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var peek struct {
			ToUser string `json:"touser"`
		}
		_ = json.Unmarshal(raw, &peek)
		to = peek.ToUser
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hang := to != "" && s.hangTo[to]
	if n := s.hangNext[r.URL.Path]; n > 0 {
		hang = true
		if n == 1 {
			delete(s.hangNext, r.URL.Path)
		} else {
			s.hangNext[r.URL.Path] = n - 1
		}
	}
	return s.delay[r.URL.Path], hang
}

// bufferedAnswer is a ResponseWriter that keeps the answer for later.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header { return b.header }
func (b *bufferedAnswer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedAnswer) WriteHeader(status int) { b.status = status }

func (b *bufferedAnswer) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// SetClock makes the Server stamp recorded messages with clock's time.
func (s *Server) SetClock(clock complaintbot.Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = clock
}

// FailNext makes the next n calls to the API path (e.g. "/cgi-bin/message/custom/send") answer with
// errcode code, before any other check. n <= 0 cancels a pending failure.
func (s *Server) FailNext(path string, code int64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.fail, path)
		return
	}
	s.fail[path] = &failure{code: code, n: n}
}

// TokenFetches counts the requests to the token paths (stable_token and token), failed ones included.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenFetches
}

// Sent returns the recorded messages, oldest first (at most MaxRecorded).
func (s *Server) Sent() []Sent {
	return s.find("", 0)
}

// SentTo returns the recorded messages to openid, oldest first.
func (s *Server) SentTo(openid string) []Sent {
	return s.find(openid, 0)
}

// find returns copies of the recorded messages with Seq > after, to openid when it is not "".
func (s *Server) find(openid string, after int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Sent{}
	for _, m := range s.sent {
		if m.Seq <= after || (openid != "" && m.ToUser != openid) {
			continue
		}
		if m.Data != nil {
			d := make(map[string]string, len(m.Data))
			for k, v := range m.Data {
				d[k] = v
			}
			m.Data = d
		}
		out = append(out, m)
	}
	return out
}

// ServeHTTP answers the API paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	delay, hang := s.faults(r)
	if delay > 0 {
		s.mu.Lock()
		release := s.release
		s.mu.Unlock()
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return // the client gave up before WeChat handled it
		case <-release:
		case <-t.C:
		}
	}
	if hang {
		answer := &bufferedAnswer{header: make(http.Header)}
		s.handle(answer, r)
		s.held(w, r, answer)
		return
	}
	s.handle(w, r)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if code, ok := s.injectedFailure(r.URL.Path); ok {
		writeErr(w, code)
		return
	}
	switch r.URL.Path {
	case PathStableToken:
		s.stableToken(w, r)
	case PathToken:
		s.token(w, r)
	case PathCustomSend:
		s.customSend(w, r)
	case PathTemplateSend:
		s.templateSend(w, r)
	case PathSubscribeSend:
		s.subscribeSend(w, r)
	case PathSandbox:
		s.sandbox(w, r)
	case PathMediaGet:
		s.mediaGet(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) injectedFailure(path string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == PathStableToken || path == PathToken {
		s.tokenFetches++
	}
	if path == PathMediaGet {
		s.media.gets++
	}
	f := s.fail[path]
	if f == nil {
		return 0, false
	}
	f.n--
	if f.n <= 0 {
		delete(s.fail, path)
	}
	return f.code, true
}

// errMsgs are WeChat's texts for the codes the fake answers or tests commonly inject.
var errMsgs = map[int64]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40008: "invalid message type",
	40013: "invalid appid",
	40014: "invalid access_token",
	40037: "invalid template_id",
	40125: "invalid appsecret",
	41001: "access_token missing",
	42001: "access_token expired",
	43004: "require subscribe",
	43019: "require remove blacklist",
	43101: "user refuse to accept the msg",
	44004: "empty content",
	45009: "reach max api daily quota limit",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	40007: "invalid media_id",
	47001: "data format error",
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int64) {
	msg, ok := errMsgs[code]
	if !ok {
		msg = fmt.Sprintf("fakewechat error %d", code)
	}
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg + " rid: fakewechat"})
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method != method {
		w.Header().Set("Allow", method)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeErr(w, 47001)
		return false
	}
	return true
}

// checkApp answers an error and returns false unless grant type, appid and secret are right.
func (s *Server) checkApp(w http.ResponseWriter, grantType, appID, secret string) bool {
	switch {
	case grantType != "client_credential":
		writeErr(w, 40002)
	case appID != s.appID:
		writeErr(w, 40013)
	case secret != s.appSecret:
		writeErr(w, 40125)
	default:
		return true
	}
	return false
}

// newTokenLocked makes a fresh token; s.mu must be held.
func (s *Server) newTokenLocked(kind string) string {
	s.tokenSeq++
	return fmt.Sprintf("FAKE_%s_%s_%d", kind, s.appID, s.tokenSeq)
}

func (s *Server) stableToken(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if !decodeBody(w, r, &req) || !s.checkApp(w, req.GrantType, req.AppID, req.Secret) {
		return
	}
	s.mu.Lock()
	if s.stable == "" || req.ForceRefresh {
		s.stable = s.newTokenLocked("STABLE") // invalidates the previous one
	}
	tok := s.stable
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": TokenLifetime})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	if !s.checkApp(w, q.Get("grant_type"), q.Get("appid"), q.Get("secret")) {
		return
	}
	s.mu.Lock()
	s.plain = s.newTokenLocked("PLAIN") // every fetch invalidates the previous one
	tok := s.plain
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": TokenLifetime})
}

// checkToken answers an error and returns false unless the request carries a current token.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		writeErr(w, 41001)
		return false
	}
	s.mu.Lock()
	ok := tok == s.stable || tok == s.plain
	s.mu.Unlock()
	if !ok {
		writeErr(w, 40001)
	}
	return ok
}

// record stores m with the next Seq and returns that Seq.
func (s *Server) record(m Sent) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	m.Seq = s.seq
	m.At = s.clock.Now()
	if len(s.sent) >= MaxRecorded {
		n := copy(s.sent, s.sent[len(s.sent)-MaxRecorded+1:])
		clear(s.sent[n:])
		s.sent = s.sent[:n]
	}
	s.sent = append(s.sent, m)
	return m.Seq
}

func (s *Server) customSend(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) || !s.checkToken(w, r) {
		return
	}
	var req struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	m := Sent{Kind: "custom", ToUser: req.ToUser, MsgType: req.MsgType}
	switch {
	case req.ToUser == "":
		writeErr(w, 40003)
		return
	case req.MsgType == "":
		writeErr(w, 40008)
		return
	case req.MsgType == "text":
		if req.Text == nil || req.Text.Content == "" {
			writeErr(w, 44004)
			return
		}
		m.Text = req.Text.Content
	}
	s.record(m)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (s *Server) templateSend(w http.ResponseWriter, r *http.Request) {
	s.keywordSend(w, r, "template")
}

// subscribeSend accepts a subscribe message as WeChat does: 43101 for a customer who refused
// that template (RefuseSubscribe).
func (s *Server) subscribeSend(w http.ResponseWriter, r *http.Request) {
	s.keywordSend(w, r, "subscribe")
}

// keywordSend accepts a message of template keywords, kind "template" (its link in url, answered
// with a msgid) or "subscribe" (its page in page; 43101 for a customer who refused it).
func (s *Server) keywordSend(w http.ResponseWriter, r *http.Request, kind string) {
	if !allow(w, r, http.MethodPost) || !s.checkToken(w, r) {
		return
	}
	var req struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		URL        string `json:"url"`
		Page       string `json:"page"`
		Data       map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.ToUser == "":
		writeErr(w, 40003)
		return
	case req.TemplateID == "":
		writeErr(w, 40037)
		return
	}
	s.mu.Lock()
	refused := kind == "subscribe" && s.subscribeRefused[req.ToUser]
	s.mu.Unlock()
	if refused {
		writeErr(w, 43101)
		return
	}
	m := Sent{Kind: kind, ToUser: req.ToUser, TemplateID: req.TemplateID, URL: req.URL + req.Page,
		Data: make(map[string]string, len(req.Data))}
	for k, v := range req.Data {
		m.Data[k] = v.Value
	}
	seq := s.record(m)
	if kind == "subscribe" {
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": seq})
}

// RefuseSubscribe makes the Server answer 43101 (the customer did not accept the subscribe
// message) to every subscribe message for openID.
func (s *Server) RefuseSubscribe(openID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subscribeRefused == nil {
		s.subscribeRefused = map[string]bool{}
	}
	s.subscribeRefused[openID] = true
}

// RequireInboxKey makes /sandbox/messages answer only for one customer at a time, and only with
// that customer's key (InboxKey(secret, openid)): a request without both is refused with 403.
func (s *Server) RequireInboxKey(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inboxSecret = secret
}

// InboxKey returns the key of the customer's sandbox inbox on a Server that requires keys made
// with secret.
func InboxKey(secret, openID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("sandbox-inbox:" + openID))
	return hex.EncodeToString(m.Sum(nil))
}

// sandbox answers GET /sandbox/messages?openid=X&after=N: the recorded messages (to X, when given)
// with Seq > N, oldest first, as a JSON array. With RequireInboxKey, X and its key=… are required.
func (s *Server) sandbox(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	secret := s.inboxSecret
	s.mu.Unlock()
	if secret != "" {
		openID := q.Get("openid")
		want := InboxKey(secret, openID)
		if openID == "" || !hmac.Equal([]byte(q.Get("key")), []byte(want)) {
			http.Error(w, "a customer's openid and its inbox key are required", http.StatusForbidden)
			return
		}
	}
	var after int64
	if a := q.Get("after"); a != "" {
		var err error
		if after, err = strconv.ParseInt(a, 10, 64); err != nil {
			http.Error(w, "after must be an integer", http.StatusBadRequest)
			return
		}
	}
	writeJSON(w, s.find(q.Get("openid"), after))
}
