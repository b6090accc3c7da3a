package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// The 回访 list shows a page at a time with the totals: 30 open follow-ups of 城东支行 and one
// done are 25 on the first page (oldest first), the other 5 and the done one on the second; the
// task list counts only the 30 open ones and shows the oldest 20; 陈静 of another branch sees
// none of them.
func TestFollowUpsPageByPageWithTotals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	t0 := e.Clock.Now()
	for i := range 31 {
		sv := complaintbot.Survey{ID: fmt.Sprintf("TS20261101-%04d#1", i+1), Case: fmt.Sprintf("TS20261101-%04d", i+1), OpenID: fmt.Sprintf("oFU%04d", i),
			Branch: "0101", BranchName: "城东支行", Rating: 1}
		if err := e.App.Store.RaiseFollowUp(ctx, &sv, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	doneID := storage.FollowUpID("TS20261101-0031#1")
	if err := e.App.Store.RecordFollowUp(ctx, doneID, "sue", storage.FollowUpCall{Reached: true}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	type page struct {
		followUpsJSON
		Open, Done, Page, Pages int
	}
	sue := e.token("sue")
	var p1, p2 page
	if st := sue.getJSON("/api/v1/followups", &p1); st != 200 || len(p1.FollowUps) != 25 || p1.Open != 30 || p1.Done != 1 || p1.Pages != 2 {
		t.Fatalf("first page: %d %d rows, %+v", st, len(p1.FollowUps), p1)
	}
	if p1.FollowUps[0].ID != storage.FollowUpID("TS20261101-0001#1") || p1.FollowUps[0].State == "done" {
		t.Fatalf("first row (the oldest open): %+v", p1.FollowUps[0])
	}
	if st := sue.getJSON("/api/v1/followups?p=2", &p2); st != 200 || len(p2.FollowUps) != 6 || p2.FollowUps[5].ID != doneID || p2.FollowUps[5].State != "done" {
		t.Fatalf("second page: %d %+v", st, p2)
	}
	if _, html := e.login("sue").do("GET", "/followups", nil); !strings.Contains(html, "待回访 30 条（其中回访超期 0 条），已回访 1 条") || !strings.Contains(html, "/followups?p=2") {
		t.Fatalf("follow-ups page: %s", html)
	}
	var got struct {
		tasksJSON
		FollowUpsTotal int `json:"follow_ups_total"`
	}
	if st := sue.getJSON("/api/v1/tasks", &got); st != 200 || got.FollowUpsTotal != 30 || len(got.FollowUps) != 20 || got.Count != 30 {
		t.Fatalf("sue's tasks: %d total %d shown %d count %d", st, got.FollowUpsTotal, len(got.FollowUps), got.Count)
	}
	if _, sign := e.login("sue").do("GET", "/tasks/sign", nil); !strings.Contains(sign, "30") {
		t.Fatalf("sue's sign: %q", sign)
	}
	var other page
	if st := e.token("carol").getJSON("/api/v1/followups", &other); st != 200 || len(other.FollowUps) != 0 || other.Open != 0 || other.Done != 0 {
		t.Fatalf("carol's follow-ups: %d %+v", st, other)
	}

	// A week on, the 30 open ones are overdue; two raised now are due. The list is limited to a
	// state by ?state=, page by page.
	e.Clock.Advance(7 * 24 * time.Hour)
	for i := range 2 {
		sv := complaintbot.Survey{ID: fmt.Sprintf("TS20261108-%04d#1", i+1), Case: fmt.Sprintf("TS20261108-%04d", i+1), OpenID: fmt.Sprintf("oFV%04d", i),
			Branch: "0101", BranchName: "城东支行", Rating: 2}
		if err := e.App.Store.RaiseFollowUp(ctx, &sv, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sue = e.token("sue")
	for _, c := range []struct {
		state       string
		rows, pages int
		first       string
	}{
		{"overdue", 25, 2, "overdue"}, {"due", 2, 1, "due"}, {"done", 1, 1, "done"}, {"open", 25, 2, "overdue"}, {"", 25, 2, "overdue"},
	} {
		var p page
		var counts struct{ Overdue int }
		st, body := sue.do("GET", "/api/v1/followups?state="+c.state, nil)
		if st != 200 || json.Unmarshal([]byte(body), &p) != nil || json.Unmarshal([]byte(body), &counts) != nil {
			t.Fatalf("state %q: %d %s", c.state, st, body)
		}
		if len(p.FollowUps) != c.rows || p.Pages != c.pages || p.FollowUps[0].State != c.first || p.Open != 32 || counts.Overdue != 30 || p.Done != 1 {
			t.Errorf("state %q: %d rows of %d pages, first %s, open %d overdue %d done %d; want %d rows of %d pages, first %s, 32 open, 30 overdue, 1 done",
				c.state, len(p.FollowUps), p.Pages, p.FollowUps[0].State, p.Open, counts.Overdue, p.Done, c.rows, c.pages, c.first)
		}
		for _, r := range p.FollowUps {
			if c.state != "" && c.state != "open" && r.State != c.state {
				t.Errorf("state %q lists a follow-up that is %s", c.state, r.State)
			}
		}
	}
	if st, body := sue.do("GET", "/api/v1/followups?state=late", nil); st != 400 || !strings.Contains(body, "回访状态只能是") {
		t.Errorf("unknown state: %d %s", st, body)
	}
	web := e.login("sue")
	if _, html := web.do("GET", "/followups?state=overdue", nil); !strings.Contains(html, "<strong>回访超期</strong>") ||
		!strings.Contains(html, "/followups?p=2&amp;state=overdue") || !strings.Contains(html, "其中回访超期 30 条") {
		t.Errorf("the page limited to overdue follow-ups: %s", html)
	}
	if _, html := web.do("GET", "/followups?state=due", nil); strings.Count(html, `data-state="due"`) != 2 || strings.Contains(html, `data-state="overdue"`) {
		t.Errorf("the page limited to due follow-ups shows others")
	}
}

// A case whose customer got a person's reply no longer shows its reply deadline (答复期限) in the
// assignee's tasks, though the deadline is near.
func TestTasksReplyDeadlineMetOnceReplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	if st, body := e.token("sue").doJSON("POST", "/api/v1/cases/"+number+"/assign", map[string]string{"assignee": "alice"}); st != 200 {
		t.Fatalf("assign: %d %s", st, body)
	}
	e.Deliver()
	cs, err := e.App.Store.Case(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(cs.ReplyDue.Sub(e.Clock.Now()) - 12*time.Hour)
	var got tasksJSON
	if e.token("alice").getJSON("/api/v1/tasks", &got); len(got.Cases) != 1 || got.Cases[0].Deadlines[0].Name != "答复期限" {
		t.Fatalf("alice's tasks before the reply: %+v", got)
	}
	// What the outbox worker records when an agent's message about the case was delivered.
	if err := e.App.Store.MarkReplied(ctx, number, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	got = tasksJSON{}
	e.token("alice").getJSON("/api/v1/tasks", &got)
	for _, c := range got.Cases {
		for _, d := range c.Deadlines {
			if d.Name == "答复期限" {
				t.Fatalf("the reply deadline is still a task after the reply: %+v", got)
			}
		}
	}
}
