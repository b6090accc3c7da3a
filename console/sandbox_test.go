package console_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
)

// In sandbox mode an admin moves the service's clock forward, and what falls due happens at once:
// a case left unanswered past its decision deadline is marked overdue and escalated, visibly.
func TestSandboxAdminMovesTheClockAndDeadlinesPass(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	root, alice := e.token("root"), e.token("alice")

	var clock struct {
		Now    time.Time `json:"now"`
		Offset string    `json:"offset"`
	}
	if st := root.getJSON("/api/v1/sandbox/clock", &clock); st != 200 || !clock.Now.Equal(apptest.Start) {
		t.Fatalf("clock: %d %+v, want %v", st, clock, apptest.Start)
	}
	if st, body := alice.doJSON("POST", "/api/v1/sandbox/clock", map[string]string{"advance": "72h"}); st != 403 {
		t.Errorf("an agent moved the clock: %d %s", st, body)
	}
	for _, bad := range []string{"-1h", "0s", "abc", "", "100d"} {
		if st, body := root.doJSON("POST", "/api/v1/sandbox/clock", map[string]string{"advance": bad}); st != 400 || !strings.Contains(body, "向前调整") {
			t.Errorf("advance %q: %d %s, want 400 with a plain reason", bad, st, body)
		}
	}

	st, body := root.doJSON("POST", "/api/v1/sandbox/clock", map[string]string{"advance": "16d"})
	if st != 200 || json.Unmarshal([]byte(body), &clock) != nil || !clock.Now.Equal(apptest.Start.Add(16*24*time.Hour)) {
		t.Fatalf("advance 16d: %d %s", st, body)
	}
	var got struct {
		Case     complaintbot.Case `json:"case"`
		Overdue  bool              `json:"overdue"`
		Missed   []string          `json:"missed_deadlines"`
		Timeline []struct{ Kind, Title string }
	}
	if st := alice.getJSON("/api/v1/cases/"+number, &got); st != 200 {
		t.Fatalf("case: %d", st)
	}
	if !got.Overdue || got.Case.Status != complaintbot.StatusEscalated {
		t.Errorf("16 days on, the unanswered case is overdue=%v, status %s; want overdue and escalated", got.Overdue, got.Case.Status)
	}
	if strings.Join(got.Missed, ",") != "reply,decision" {
		t.Errorf("the API names the missed deadlines %q, want reply,decision", got.Missed)
	}
	// The scheduler's marks are on the case's timeline.
	var titles []string
	for _, it := range got.Timeline {
		titles = append(titles, it.Title)
	}
	for _, want := range []string{"超期：答复期限已过", "超期：处理期限已过", "自动提交总行处理（"} {
		if !strings.Contains(strings.Join(titles, "|"), want) {
			t.Errorf("the timeline lacks %q: %q", want, titles)
		}
	}
	// The customer still writes: WeChat's timestamps are checked against the real clock.
	if reply := e.say(custA, "你好"); reply == "" || strings.Contains(reply, "success") {
		t.Errorf("after the clock moved the customer gets %q", reply)
	}
	// The page says where the clock stands; the move is in the audit trail.
	web := e.login("root")
	if st, page := web.do("GET", "/sandbox", nil); st != 200 || !strings.Contains(page, "2026-12-13") {
		t.Errorf("sandbox page: %d, no service time 2026-12-13:\n%s", st, page)
	}
	if st, page := web.do("POST", "/sandbox/clock", url.Values{"advance": {"1d"}}); st != 303 {
		t.Errorf("form advance: %d %s", st, page)
	}
	if st, audit := root.do("GET", "/api/v1/audit?type=sandbox", nil); st != 200 || strings.Count(audit, "sandbox.clock") != 2 {
		t.Errorf("audit of the clock moves: %d %s", st, audit)
	}
}

// Outside sandbox mode the clock cannot be moved, not even by an admin.
func TestClockCannotBeMovedOutsideSandboxMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.WeChat.AppSecret = "a-real-secret"
		c.WeChat.APIBase = "http://127.0.0.1:9" // nothing is sent in this test
	})
	root := e.token("root")
	for _, r := range []struct{ method, path string }{{"GET", "/api/v1/sandbox/clock"}, {"POST", "/api/v1/sandbox/clock"}} {
		if st, body := root.doJSON(r.method, r.path, map[string]string{"advance": "72h"}); st != 403 || !strings.Contains(body, "沙箱模式") {
			t.Errorf("%s %s outside sandbox mode: %d %s", r.method, r.path, st, body)
		}
	}
	if st, page := e.login("root").do("GET", "/sandbox", nil); st != 403 || strings.Contains(page, "向前 1 天") {
		t.Errorf("sandbox page outside sandbox mode: %d", st)
	}
}
