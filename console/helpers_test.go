package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

// password is every test user's password.
const password = "correct-horse-1"

// The console's tests add and sign in hundreds of users: with bcrypt's real work factor that was
// half of their time (cmd/complaintbot's tests check the service uses the real one).
func init() { users.UseQuickHashesInTests() }

// The customers of the tests: one complains about 城东支行 (0101), one about 城西支行 (0201).
const (
	custA = "oTestCustomerA0001"
	custB = "oTestCustomerB0002"
)

// env is a running service with console users: alice and bob (agents of 0101), carol (agent of
// 0201), sue (supervisor of 0101), root (admin, head office).
type env struct {
	*apptest.Harness
	t   *testing.T
	url string
}

func newEnv(t *testing.T, edit func(*config.Config)) *env {
	t.Helper()
	h := apptest.New(t, edit)
	e := &env{Harness: h, t: t, url: h.App.ConsoleURL()}
	for _, u := range []users.NewUser{
		{Name: "alice", DisplayName: "王丽", Role: storage.RoleAgent, Branches: []string{"0101"}},
		{Name: "bob", DisplayName: "李强", Role: storage.RoleAgent, Branches: []string{"0101"}},
		{Name: "carol", DisplayName: "陈静", Role: storage.RoleAgent, Branches: []string{"0201"}},
		{Name: "sue", DisplayName: "苏主管", Role: storage.RoleSupervisor, Branches: []string{"0101"}},
		{Name: "root", DisplayName: "管理员", Role: storage.RoleAdmin, Branches: []string{storage.HeadOffice}},
	} {
		u.Password = password
		addUser(t, h, u)
	}
	return e
}

// addUser creates the account as an admin does and then marks its password as the user's own,
// as if they had already set it at their first login.
func addUser(t testing.TB, h *apptest.Harness, u users.NewUser) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.App.Console.Users().AddUser(ctx, complaintbot.CLI, u); err != nil {
		t.Fatal(err)
	}
	own := false
	if err := h.App.Store.UpdateUser(ctx, u.Name, storage.UserChange{MustChangePassword: &own}, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// say sends a customer's text and returns the passive reply.
func (e *env) say(openID, text string) string {
	e.t.Helper()
	return e.Say(openID, text)
}

// askForPerson walks a customer into a complaint about the branch and asks for a person.
func (e *env) askForPerson(openID, branch string) {
	e.t.Helper()
	e.say(openID, "我要投诉")
	e.say(openID, "1")
	if got := e.say(openID, branch); !strings.Contains(got, "什么时候") {
		e.t.Fatalf("branch answer: %s", got)
	}
	if got := e.say(openID, "人工"); !strings.Contains(got, "排队") {
		e.t.Fatalf("人工: %s", got)
	}
}

// registerCase walks a customer through a whole complaint about the branch; it returns the number.
func (e *env) registerCase(openID, branch, story string) string {
	e.t.Helper()
	e.say(openID, "我要投诉")
	e.say(openID, "1")
	e.say(openID, branch)
	e.say(openID, "昨天下午3点")
	e.say(openID, story+"，让我在窗口等了一个小时也没人理")
	e.say(openID, "希望支行道歉并改进服务")
	e.say(openID, "13812345678")
	got := e.say(openID, "确认")
	m := regexp.MustCompile(`TS\d{8}-\d{4}`).FindString(got)
	if m == "" {
		e.t.Fatalf("no case number in %q", got)
	}
	return m
}

// client is a browser-like HTTP client with a cookie jar, logged in as a user.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
	// bearer, when set, is sent instead of cookies.
	bearer string
}

func (e *env) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.url, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
var formCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login logs in through the login form, as a browser does.
func (e *env) login(name string) *client {
	e.t.Helper()
	c := e.anonymous()
	status, body := c.do("GET", "/login", nil)
	m := formCSRF.FindStringSubmatch(body)
	if status != 200 || m == nil {
		e.t.Fatalf("login page: %d %s", status, body)
	}
	status, body = c.do("POST", "/login", url.Values{"_csrf": {m[1]}, "username": {name}, "password": {password}})
	if status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", name, status, body)
	}
	status, body = c.do("GET", "/inbox", nil)
	mm := metaCSRF.FindStringSubmatch(body)
	if status != 200 || mm == nil {
		e.t.Fatalf("inbox after login: %d", status)
	}
	c.csrf = mm[1]
	return c
}

// token logs in through the API and returns a client that sends the bearer token.
func (e *env) token(name string) *client {
	e.t.Helper()
	c := e.anonymous()
	status, body := c.doJSON("POST", "/api/v1/session", map[string]string{"username": name, "password": password})
	var res struct{ Token string }
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &res) != nil || res.Token == "" {
		e.t.Fatalf("api login %s: %d %s", name, status, body)
	}
	c.bearer = res.Token
	return c
}

func (c *client) request(method, path string, body io.Reader, ctype string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// do sends a GET, or a form POST with the CSRF token added (unless the form has one or is nil).
func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	if method == "GET" {
		return c.request(method, path, nil, "")
	}
	if form != nil && form.Get("_csrf") == "" && c.csrf != "" {
		form.Set("_csrf", c.csrf)
	}
	return c.request(method, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// post sends a form without adding the CSRF token.
func (c *client) postRaw(path string, form url.Values) (int, string) {
	c.t.Helper()
	return c.request("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (c *client) doJSON(method, path string, v any) (int, string) {
	c.t.Helper()
	data, _ := json.Marshal(v)
	return c.request(method, path, strings.NewReader(string(data)), "application/json")
}

func (c *client) getJSON(path string, v any) int {
	c.t.Helper()
	status, body := c.do("GET", path, nil)
	if status == 200 && v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			c.t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return status
}
