package console_test

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/config"
	"github.com/gin-gonic/gin"
)

// loginForm logs in through the login form with next and returns the client and the answer's
// status and Location.
func (e *env) loginForm(name, pw, next string) (*client, int, string) {
	e.t.Helper()
	c := e.anonymous()
	_, body := c.do("GET", "/login", nil)
	m := formCSRF.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("login page: %s", body)
	}
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(url.Values{"_csrf": {m[1]}, "username": {name},
		"password": {pw}, "next": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return c, resp.StatusCode, resp.Header.Get("Location")
}

// After login the browser goes back only to a plain path of this site.
func TestLoginGoesBackOnlyToAPathOfThisSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	anon := e.anonymous()
	for next, want := range map[string]string{
		"/\t/evil.example":       "/inbox",
		"/\n/evil.example":       "/inbox",
		"/\r\n/evil.example":     "/inbox",
		"//evil.example":         "/inbox",
		"/\\evil.example":        "/inbox",
		"/cases//evil":           "/inbox",
		"https://evil.example/":  "/inbox",
		"evil.example":           "/inbox",
		"/ /evil.example":        "/inbox",
		"/\u200b/evil.example":   "/inbox",
		"/cases?status=open":     "/cases?status=open",
		"/conversations/oTest01": "/conversations/oTest01",
	} {
		// The login page carries only a safe next into its form …
		_, body := anon.do("GET", "/login?next="+url.QueryEscape(next), nil)
		if !strings.Contains(body, `name="next" value="`+template.HTMLEscapeString(want)+`"`) {
			t.Errorf("login page with next=%q does not go to %q", next, want)
		}
	}
	// … and the login itself sends the browser only there, whatever the form says.
	for next, want := range map[string]string{"/\t/evil.example": "/inbox", "/cases?status=open": "/cases?status=open"} {
		_, st, loc := e.loginForm("alice", password, next)
		if st != http.StatusSeeOther || loc != want {
			t.Errorf("next=%q: %d Location %q, want %q", next, st, loc, want)
		}
	}
}

// withHeaders sends a request with extra headers and returns the status, body and answer headers.
func (c *client) withHeaders(method, path string, body any, headers map[string]string) (int, string, http.Header) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// Behind the recommended reverse proxy every user connects from the proxy's address: with the
// proxy listed in console.trusted_proxies, one user's failed logins lock that user and their own
// address, not everyone.
func TestLockOutBehindATrustedProxyIsPerClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Console.TrustedProxies = []string{"127.0.0.1", "::1"} })
	anon := e.anonymous()
	try := func(user, pw, from string) int {
		st, _, _ := anon.withHeaders("POST", "/api/v1/session", map[string]string{"username": user, "password": pw},
			map[string]string{"X-Forwarded-For": from})
		return st
	}
	for i := range 5 {
		if st := try("alice", "wrong", "10.1.1.1"); st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	if st := try("bob", password, "10.1.1.2"); st != http.StatusCreated {
		t.Fatalf("another user at another desk behind the proxy: %d", st)
	}
	if st := try("alice", password, "10.1.1.2"); st != http.StatusTooManyRequests {
		t.Fatalf("the locked account from another desk: %d", st)
	}
	if st := try("carol", password, "10.1.1.1"); st != http.StatusTooManyRequests {
		t.Fatalf("another account from the locked desk: %d", st)
	}
	// The proxy appends the address it saw: a client cannot dodge the lock-out by sending its own.
	if st := try("carol", password, "10.7.7.7, 10.1.1.1"); st != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For dodged the lock-out: %d", st)
	}
}

// Without trusted proxies X-Forwarded-For is ignored: it cannot be forged to dodge the lock-out.
func TestForwardedForIsIgnoredFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	anon := e.anonymous()
	for i := range 5 {
		st, _, _ := anon.withHeaders("POST", "/api/v1/session", map[string]string{"username": "alice", "password": "wrong"},
			map[string]string{"X-Forwarded-For": "10.2.2." + string(rune('1'+i))})
		if st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	st, _, _ := anon.withHeaders("POST", "/api/v1/session", map[string]string{"username": "bob", "password": password},
		map[string]string{"X-Forwarded-For": "10.2.2.99"})
	if st != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For dodged the address lock-out: %d", st)
	}
}

// An admin sees who is locked out on 用户管理 and unlocks them there or through the API; the unlock
// is in the audit trail, and only admins may do it.
func TestAnAdminUnlocksALockedOutAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root, page, bob := e.token("root"), e.login("root"), e.token("bob")
	anon := e.anonymous()
	for range 5 {
		anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": "wrong"})
	}
	if st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": password}); st != http.StatusTooManyRequests {
		t.Fatalf("alice is not locked out: %d", st)
	}
	var list struct {
		LockedUntil map[string]string `json:"locked_until"`
	}
	if st := root.getJSON("/api/v1/users", &list); st != 200 || list.LockedUntil["alice"] == "" || list.LockedUntil["bob"] != "" {
		t.Fatalf("locked accounts: %d %+v", st, list)
	}
	st, body := page.do("GET", "/users", nil)
	if st != 200 || !strings.Contains(body, `action="/users/alice/unlock"`) || !strings.Contains(body, "登录已锁定") {
		t.Fatalf("users page does not offer the unlock: %d", st)
	}
	if strings.Contains(body, `action="/users/bob/unlock"`) {
		t.Fatal("users page offers to unlock an account that is not locked")
	}
	if st, _ := bob.doJSON("POST", "/api/v1/users/alice/unlock", nil); st != http.StatusForbidden {
		t.Fatalf("an agent unlocks: %d", st)
	}
	if st, _ := page.do("POST", "/users/alice/unlock", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("unlock from the page: %d", st)
	}
	if st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": password}); st != http.StatusCreated {
		t.Fatalf("alice after the unlock: %d", st)
	}
	if _, body := page.do("GET", "/users", nil); strings.Contains(body, `action="/users/alice/unlock"`) {
		t.Fatal("the unlock is still offered after it")
	}
	var trail struct {
		Entries []struct{ Action, User, Target string } `json:"entries"`
	}
	if st := root.getJSON("/api/v1/audit?type=user&target=alice", &trail); st != 200 {
		t.Fatalf("audit: %d", st)
	}
	found := false
	for _, en := range trail.Entries {
		found = found || (en.Action == "user.unlock" && en.User == "root")
	}
	if !found {
		t.Fatalf("the unlock is not in the audit trail: %+v", trail)
	}
	// The API unlocks too.
	for range 5 {
		anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": "wrong"})
	}
	if st, body := root.doJSON("POST", "/api/v1/users/alice/unlock", nil); st != 200 {
		t.Fatalf("unlock through the API: %d %s", st, body)
	}
	if st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": password}); st != http.StatusCreated {
		t.Fatalf("alice after the API unlock: %d", st)
	}
}

// Common and trivial passwords are refused when an admin creates or resets an account and when a
// user changes their own.
func TestCommonPasswordsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root, alice := e.token("root"), e.token("alice")
	for _, pw := range []string{"12345678", "password", "aaaaaaaa", "abcdefgh", "qwertyui", "woaini1314", "%s2026!"} {
		st, body := root.doJSON("POST", "/api/v1/users", map[string]string{"username": "dave", "role": "agent", "branches": "0101",
			"password": strings.ReplaceAll(pw, "%s", "dave")})
		if st != http.StatusBadRequest || !strings.Contains(body, "密码") {
			t.Errorf("new account with %q: %d %s", pw, st, body)
		}
		pw = strings.ReplaceAll(pw, "%s", "alice")
		if st, body := root.doJSON("POST", "/api/v1/users/alice/password", map[string]string{"password": pw}); st != http.StatusBadRequest {
			t.Errorf("reset to %q: %d %s", pw, st, body)
		}
		if st, body := alice.doJSON("POST", "/api/v1/password", map[string]string{"current_password": password, "new_password": pw}); st != http.StatusBadRequest {
			t.Errorf("own change to %q: %d %s", pw, st, body)
		}
	}
	if st, body := root.doJSON("POST", "/api/v1/users", map[string]string{"username": "dave", "role": "agent", "branches": "0101", "password": "Kettle-orbit-77"}); st != http.StatusCreated {
		t.Fatalf("a good password: %d %s", st, body)
	}
}

// Every user can change their own password, with their current one.
func TestEveryUserChangesTheirOwnPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.token("alice")
	if st, _ := alice.doJSON("POST", "/api/v1/password", map[string]string{"current_password": "not-it-at-all", "new_password": "Kettle-orbit-77"}); st != http.StatusBadRequest {
		t.Fatalf("with a wrong current password: %d", st)
	}
	if st, body := alice.doJSON("POST", "/api/v1/password", map[string]string{"current_password": password, "new_password": "Kettle-orbit-77"}); st != http.StatusNoContent {
		t.Fatalf("change: %d %s", st, body)
	}
	anon := e.anonymous()
	if st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": password}); st != http.StatusUnauthorized {
		t.Fatalf("the old password still works: %d", st)
	}
	if st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "alice", "password": "Kettle-orbit-77"}); st != http.StatusCreated {
		t.Fatalf("the new password: %d", st)
	}
	// The page: every user has it in the menu.
	bob := e.login("bob")
	st, body := bob.do("GET", "/inbox", nil)
	if st != 200 || !strings.Contains(body, `href="/password"`) {
		t.Fatalf("no 修改密码 in the menu: %d", st)
	}
	form := url.Values{"current_password": {password}, "new_password": {"Tidal-lantern-4"}, "confirm_password": {"Tidal-lantern-5"}}
	if st, body := bob.do("POST", "/password", form); st != http.StatusBadRequest || !strings.Contains(body, "不一致") {
		t.Fatalf("mismatched confirmation: %d", st)
	}
	form.Set("confirm_password", "Tidal-lantern-4")
	if st, _ := bob.do("POST", "/password", form); st != http.StatusSeeOther {
		t.Fatalf("change on the page: %d", st)
	}
	if st, body := bob.do("GET", "/inbox", nil); st != 200 || !strings.Contains(body, "密码已修改") {
		t.Fatalf("after the change, the session goes on: %d", st)
	}
}

// A user an admin created, or whose password an admin reset, must set their own before any other
// page or API call works.
func TestAGivenPasswordMustBeChangedBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	root := e.token("root")
	if st, body := root.doJSON("POST", "/api/v1/users", map[string]string{"username": "dave", "display_name": "赵伟", "role": "agent",
		"branches": "0101", "password": "Given-by-root-1"}); st != http.StatusCreated {
		t.Fatalf("add dave: %d %s", st, body)
	}
	dave, st, loc := e.loginForm("dave", "Given-by-root-1", "/cases")
	if st != http.StatusSeeOther || loc != "/password?next=%2Fcases" {
		t.Fatalf("first login: %d %q", st, loc)
	}
	api := e.anonymous()
	st, body := api.doJSON("POST", "/api/v1/session", map[string]string{"username": "dave", "password": "Given-by-root-1"})
	var res struct {
		Token    string
		Required bool `json:"password_change_required"`
	}
	if st != http.StatusCreated || json.Unmarshal([]byte(body), &res) != nil || !res.Required {
		t.Fatalf("api login: %d %s", st, body)
	}
	api.bearer = res.Token
	// Every route but the password page, "me" and logout is closed.
	_, body = dave.do("GET", "/password", nil)
	m := metaCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("password page: %s", body)
	}
	dave.csrf = m[1]
	r := gin.New()
	e.App.Console.Register(r)
	open := map[string]bool{"GET /password": true, "POST /password": true, "POST /logout": true, "GET /api/v1/me": true,
		"POST /api/v1/password": true, "DELETE /api/v1/session": true, "GET /static/*filepath": true, "GET /login": true,
		"POST /login": true, "POST /api/v1/session": true}
	checked := 0
	for _, rt := range r.Routes() {
		if open[rt.Method+" "+rt.Path] {
			continue
		}
		path := fill(rt.Path, number)
		if strings.HasPrefix(rt.Path, "/api/") {
			st, body := api.do(rt.Method, path, url.Values{})
			if st != http.StatusForbidden || !strings.Contains(body, "password_change_required") {
				t.Errorf("%s %s before the change: %d %s", rt.Method, path, st, body)
			}
		} else {
			st, body, loc := dave.raw(rt.Method, path)
			if rt.Path == "/events" {
				if st != http.StatusForbidden {
					t.Errorf("%s %s before the change: %d", rt.Method, path, st)
				}
			} else if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/password?next=") {
				t.Errorf("%s %s before the change: %d %q", rt.Method, path, st, loc)
			}
			if strings.Contains(body, "柜员态度") {
				t.Errorf("%s %s showed case text", rt.Method, path)
			}
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("only %d routes checked", checked)
	}
	if st := api.getJSON("/api/v1/me", nil); st != 200 {
		t.Fatalf("me: %d", st)
	}
	// The password page works; after the change, so does everything else.
	if st, body := dave.do("GET", "/password?next=%2Fcases", nil); st != 200 || !strings.Contains(body, `id="must-change"`) {
		t.Fatalf("password page: %d", st)
	}
	if st, body := dave.do("POST", "/password", url.Values{"current_password": {"Given-by-root-1"}, "new_password": {"12345678"},
		"confirm_password": {"12345678"}, "next": {"/cases"}}); st != http.StatusBadRequest || !strings.Contains(body, `id="password-error"`) {
		t.Fatalf("a common password on the page: %d", st)
	}
	if st, _ := dave.do("POST", "/password", url.Values{"current_password": {"Given-by-root-1"}, "new_password": {"Daves-own-pass-8"},
		"confirm_password": {"Daves-own-pass-8"}, "next": {"/cases"}}); st != http.StatusSeeOther {
		t.Fatalf("change: %d", st)
	}
	if st, _ := dave.do("GET", "/cases", nil); st != 200 {
		t.Fatalf("cases after the change: %d", st)
	}
	if st := api.getJSON("/api/v1/me", nil); st != http.StatusUnauthorized {
		t.Fatalf("the other session after the change: %d", st)
	}
	// An admin's reset makes it a given password again.
	if st, body := root.doJSON("POST", "/api/v1/users/dave/password", map[string]string{"password": "Reset-by-root-2"}); st != 200 {
		t.Fatalf("reset: %d %s", st, body)
	}
	if st, _ := dave.do("GET", "/cases", nil); st != http.StatusSeeOther {
		t.Fatalf("the session after the reset: %d", st)
	}
	if _, st, loc := e.loginForm("dave", "Reset-by-root-2", "/inbox"); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/password") {
		t.Fatalf("login after the reset: %d %q", st, loc)
	}
}

// raw sends a request as the browser's client (a form POST with the CSRF token) and returns the
// status, the body and the Location header.
func (c *client) raw(method, path string) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if method != "GET" {
		body = strings.NewReader(url.Values{"_csrf": {c.csrf}}.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header.Get("Location")
}

// Strict-Transport-Security is sent when the console is served over HTTPS: a trusted proxy says
// so (X-Forwarded-Proto: https). An untrusted peer's word is not taken.
func TestHSTSWhenServedOverHTTPS(t *testing.T) {
	t.Parallel()
	hsts := func(e *env, headers map[string]string) string {
		_, _, h := e.anonymous().withHeaders("GET", "/login", nil, headers)
		return h.Get("Strict-Transport-Security")
	}
	proxied := newEnv(t, func(c *config.Config) { c.Console.TrustedProxies = []string{"127.0.0.0/8", "::1"} })
	if got := hsts(proxied, map[string]string{"X-Forwarded-Proto": "https"}); !strings.HasPrefix(got, "max-age=") {
		t.Fatalf("behind a trusted HTTPS proxy: %q", got)
	}
	if got := hsts(proxied, nil); got != "" {
		t.Fatalf("over plain HTTP: %q", got)
	}
	direct := newEnv(t, nil)
	if got := hsts(direct, map[string]string{"X-Forwarded-Proto": "https"}); got != "" {
		t.Fatalf("an untrusted X-Forwarded-Proto: %q", got)
	}
}
