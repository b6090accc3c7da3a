package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/gin-gonic/gin"
)

// fill puts sample values into a route's parameters.
func fill(path, number string) string {
	r := strings.NewReplacer(":openid", custA, ":number", number, ":action", "claim", ":name", "alice", "*filepath", "app.js")
	return r.Replace(path)
}

func TestEveryEndpointRefusesWithoutASession(t *testing.T) {
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	r := gin.New()
	e.App.Console.Register(r)
	anon := e.anonymous()
	checked := 0
	for _, rt := range r.Routes() {
		switch {
		case strings.HasPrefix(rt.Path, "/static/"), rt.Path == "/login", rt.Path == "/api/v1/session" && rt.Method == "POST":
			continue
		}
		path := fill(rt.Path, number)
		for _, bearer := range []string{"", "not-a-token"} {
			anon.bearer = bearer
			st, body := anon.do(rt.Method, path, url.Values{})
			if strings.HasPrefix(rt.Path, "/api/") {
				if st != http.StatusUnauthorized {
					t.Errorf("%s %s without a session: %d %s", rt.Method, path, st, body)
				}
			} else if st != http.StatusSeeOther && st != http.StatusUnauthorized {
				t.Errorf("%s %s without a session: %d", rt.Method, path, st)
			}
			if strings.Contains(body, "柜员态度") {
				t.Errorf("%s %s leaked case text", rt.Method, path)
			}
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("only %d routes checked", checked)
	}
	// The login page and the assets need no session.
	if st, _ := anon.do("GET", "/static/vendor/htmx.min.js", nil); st != 200 {
		t.Fatalf("htmx asset: %d", st)
	}
}

func TestAgentOfAnotherBranchGets404Everywhere(t *testing.T) {
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "城东的柜员态度很差")
	e.say(custA, "人工")
	carol := e.token("carol") // 0201
	alice := e.token("alice") // 0101
	carolPage := e.login("carol")
	for _, p := range []string{
		"/api/v1/cases/" + number, "/api/v1/cases/" + strings.ToLower(number), "/api/v1/conversations/" + custA,
	} {
		if st, body := carol.do("GET", p, nil); st != http.StatusNotFound || strings.Contains(body, "城东的柜员") {
			t.Errorf("carol GET %s: %d %s", p, st, body)
		}
		if st := alice.getJSON(p, nil); st != 200 {
			t.Errorf("alice GET %s: %d", p, st)
		}
	}
	for _, p := range []string{"/cases/" + number, "/cases/" + number + "/timeline", "/conversations/" + custA, "/conversations/" + custA + "/messages",
		"/events?openid=" + custA, "/events?case=" + number} {
		if st, body := carolPage.do("GET", p, nil); st != http.StatusNotFound || strings.Contains(body, "城东的柜员") {
			t.Errorf("carol page %s: %d", p, st)
		}
	}
	for _, action := range []string{"accept", "note", "status", "assign", "resolve", "extend", "malicious", "departments"} {
		if st, _ := carol.doJSON("POST", "/api/v1/cases/"+number+"/"+action, map[string]string{"text": "x", "to": "escalated"}); st != http.StatusNotFound {
			t.Errorf("carol %s: %d", action, st)
		}
		if st, _ := carolPage.do("POST", "/cases/"+number+"/"+action, url.Values{"text": {"x"}}); st != http.StatusNotFound {
			t.Errorf("carol page %s: %d", action, st)
		}
	}
	for _, action := range []string{"claim", "reply", "release", "end", "transfer", "queue", "take"} {
		if st, _ := carol.doJSON("POST", "/api/v1/conversations/"+custA+"/"+action, map[string]string{"text": "x"}); st != http.StatusNotFound {
			t.Errorf("carol conversation %s: %d", action, st)
		}
	}
	// Lists, searches and exports.
	for _, q := range []string{"", "?q=" + number, "?q=13812345678", "?q=" + url.QueryEscape("城东的柜员"), "?branch=0101", "?status=received"} {
		var res struct{ Cases []struct{ Number string } }
		if st := carol.getJSON("/api/v1/cases"+q, &res); st != 200 || len(res.Cases) != 0 {
			t.Errorf("carol list %s: %d %+v", q, st, res)
		}
		if st, body := carol.do("GET", "/export/cases.csv"+q, nil); st != 200 || strings.Contains(body, number) {
			t.Errorf("carol export %s: %d %s", q, st, body)
		}
		if st, body := carolPage.do("GET", "/cases"+q, nil); st != 200 || strings.Contains(body, `href="/cases/`+number) {
			t.Errorf("carol page list %s: %d", q, st)
		}
		var mine struct{ Cases []struct{ Number string } }
		if alice.getJSON("/api/v1/cases"+q, &mine); len(mine.Cases) != 1 {
			t.Errorf("alice list %s: %+v", q, mine)
		}
		if _, body := alice.do("GET", "/export/cases.csv"+q, nil); !strings.Contains(body, number) || strings.Contains(body, "13812345678") {
			t.Errorf("alice export %s: %s", q, body)
		}
	}
	var in inbox
	if carol.getJSON("/api/v1/inbox", &in); len(in.Waiting) != 0 {
		t.Errorf("carol's inbox: %+v", in)
	}
	// Reports and the audit trail are for supervisors, users for admins.
	for p, who := range map[string]*client{"/api/v1/reports/summary": carol, "/api/v1/audit": carol, "/api/v1/users": e.token("sue")} {
		if st, _ := who.do("GET", p, nil); st != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", p, st)
		}
	}
	var rep struct{ Total int }
	if st := e.token("sue").getJSON("/api/v1/reports/summary", &rep); st != 200 || rep.Total != 1 {
		t.Errorf("sue's report: %d %+v", st, rep)
	}
}

func TestCSRFIsRequiredForCookieSessions(t *testing.T) {
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	alice := e.login("alice")
	path := "/conversations/" + custA + "/claim"
	if st, _ := alice.postRaw(path, url.Values{}); st != http.StatusForbidden {
		t.Fatalf("no token: %d", st)
	}
	if st, _ := alice.postRaw(path, url.Values{"_csrf": {"forged"}}); st != http.StatusForbidden {
		t.Fatalf("wrong token: %d", st)
	}
	if st, _ := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != http.StatusForbidden {
		t.Fatalf("API call with the cookie and no token: %d", st)
	}
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(url.Values{"_csrf": {alice.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := alice.http.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site origin: %v %v", resp.StatusCode, err)
	}
	if st, _ := alice.do("POST", path, url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("with the token: %d", st)
	}
	// The login form has its own token.
	anon := e.anonymous()
	if st, _ := anon.postRaw("/login", url.Values{"username": {"alice"}, "password": {password}}); st != http.StatusForbidden {
		t.Fatalf("login without the form's token: %d", st)
	}
}

func TestLoginLockOutSessionsAndLogout(t *testing.T) {
	e := newEnv(t, nil)
	anon := e.anonymous()
	try := func(user, pw string) int {
		st, _ := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": user, "password": pw})
		return st
	}
	for i := range 5 {
		if st := try("alice", "wrong"); st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	if st := try("alice", password); st != http.StatusTooManyRequests {
		t.Fatalf("locked account with the right password: %d", st)
	}
	// The address is locked too: another account from it is refused.
	if st := try("bob", password); st != http.StatusTooManyRequests {
		t.Fatalf("locked address: %d", st)
	}
	e.Clock.Advance(16 * time.Minute)
	if st := try("alice", password); st != http.StatusCreated {
		t.Fatalf("after the lock-out: %d", st)
	}
	// Sessions expire when idle, and end on logout.
	c := e.login("bob")
	e.Clock.Advance(29 * time.Minute)
	if st, _ := c.do("GET", "/inbox", nil); st != 200 {
		t.Fatalf("active session: %d", st)
	}
	e.Clock.Advance(29 * time.Minute)
	if st, _ := c.do("GET", "/inbox", nil); st != 200 {
		t.Fatalf("session kept alive by use: %d", st)
	}
	e.Clock.Advance(31 * time.Minute)
	if st, _ := c.do("GET", "/inbox", nil); st != http.StatusSeeOther {
		t.Fatalf("idle session: %d", st)
	}
	tok := e.token("bob")
	if st, _ := tok.do("DELETE", "/api/v1/session", nil); st != http.StatusNoContent {
		t.Fatalf("api logout: %d", st)
	}
	if st, _ := tok.do("GET", "/api/v1/me", nil); st != http.StatusUnauthorized {
		t.Fatalf("token after logout: %d", st)
	}
	c = e.login("bob")
	if st, _ := c.do("POST", "/logout", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("logout: %d", st)
	}
	if st, _ := c.do("GET", "/inbox", nil); st != http.StatusSeeOther {
		t.Fatalf("cookie after logout: %d", st)
	}
	// A disabled user is logged out and cannot log in.
	sue := e.login("sue")
	root := e.token("root")
	if st, body := root.doJSON("POST", "/api/v1/users/sue/disable", nil); st != 200 {
		t.Fatalf("disable: %d %s", st, body)
	}
	if st, _ := sue.do("GET", "/inbox", nil); st != http.StatusSeeOther {
		t.Fatalf("disabled user's session: %d", st)
	}
	if st := try("sue", password); st != http.StatusUnauthorized {
		t.Fatalf("disabled user's login: %d", st)
	}
}

func TestFirstStartCreatesTheAdminFromTheEnvironment(t *testing.T) {
	t.Setenv("COMPLAINTBOT_ADMIN_PASSWORD", "first-admin-pw")
	h := apptest.New(t, nil)
	e := &env{Harness: h, t: t, url: h.App.ConsoleURL()}
	anon := e.anonymous()
	if st, body := anon.doJSON("POST", "/api/v1/session", map[string]string{"username": "admin", "password": "first-admin-pw"}); st != http.StatusCreated {
		t.Fatalf("admin login: %d %s", st, body)
	}
}
