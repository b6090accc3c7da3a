package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/config"
)

// tasksJSON is GET /api/v1/tasks as a client reads it.
type tasksJSON struct {
	Cases []struct {
		Number    string
		Deadlines []struct {
			Kind, Name string
			Overdue    bool
		}
	}
	FollowUps []struct{ ID string } `json:"follow_ups"`
	Calls     []struct{ ID string }
	Count     int
}

// A case assigned to alice shows in her tasks once its reply date is less than a day away, with
// the deadline named, and as overdue after it; the count is on every page; carol of another
// branch sees none of it.
func TestTasksCaseNearReplyDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	sue := e.token("sue")
	if st, body := sue.doJSON("POST", "/api/v1/cases/"+number+"/assign", map[string]string{"assignee": "alice"}); st != 200 {
		t.Fatalf("assign: %d %s", st, body)
	}
	e.Deliver()
	cs, err := e.App.Store.Case(ctx, number)
	if err != nil || cs.ReplyDue.IsZero() {
		t.Fatalf("case: %+v %v", cs, err)
	}
	var got tasksJSON
	if early := cs.ReplyDue.Sub(e.Clock.Now()); early > 25*time.Hour {
		if st := e.token("alice").getJSON("/api/v1/tasks", &got); st != 200 || len(got.Cases) != 0 {
			t.Fatalf("tasks %v before the reply date: %d %+v", early, st, got)
		}
	}
	e.Clock.Advance(cs.ReplyDue.Sub(e.Clock.Now()) - 12*time.Hour)
	alice := e.token("alice")
	if st := alice.getJSON("/api/v1/tasks", &got); st != 200 || len(got.Cases) != 1 || got.Cases[0].Number != number ||
		len(got.Cases[0].Deadlines) == 0 || got.Cases[0].Deadlines[0].Name != "答复期限" || got.Cases[0].Deadlines[0].Overdue {
		t.Fatalf("alice's tasks half a day before the reply date: %d %+v", st, got)
	}
	if got.Count < 1 {
		t.Fatalf("count: %+v", got)
	}
	browser := e.login("alice")
	if _, sign := browser.do("GET", "/tasks/sign", nil); !strings.Contains(sign, "任务 ") {
		t.Fatalf("tasks sign: %q", sign)
	}
	if _, page := browser.do("GET", "/tasks", nil); !strings.Contains(page, number) || !strings.Contains(page, "答复期限") {
		t.Fatalf("tasks page: %s", page)
	}
	e.Clock.Advance(13 * time.Hour)
	alice = e.token("alice")
	if alice.getJSON("/api/v1/tasks", &got); len(got.Cases) != 1 || !got.Cases[0].Deadlines[0].Overdue {
		t.Fatalf("alice's tasks after the reply date: %+v", got)
	}
	carol := e.token("carol")
	if st := carol.getJSON("/api/v1/tasks", &got); st != 200 || got.Count != 0 || len(got.Cases)+len(got.FollowUps)+len(got.Calls) != 0 {
		t.Fatalf("carol's tasks: %d %+v", st, got)
	}
	if _, sign := e.login("carol").do("GET", "/tasks/sign", nil); strings.Contains(sign, "任务") {
		t.Fatalf("carol's sign: %q", sign)
	}
}

// The task list looks as far ahead as the reminders do (scheduler.remind_before): with two days,
// a case is alice's task a day and a half before its reply date, and not three days before.
func TestTasksLookAheadAsFarAsTheReminders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Scheduler.RemindBefore = config.Duration(48 * time.Hour) })
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	cs, err := e.App.Store.Case(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	var got tasksJSON
	if early := cs.ReplyDue.Sub(e.Clock.Now()); early > 49*time.Hour {
		if e.token("alice").getJSON("/api/v1/tasks", &got); len(got.Cases) != 0 {
			t.Fatalf("tasks %v before the reply date: %+v", early, got)
		}
	}
	e.Clock.Advance(cs.ReplyDue.Sub(e.Clock.Now()) - 36*time.Hour)
	if e.token("alice").getJSON("/api/v1/tasks", &got); len(got.Cases) != 1 || got.Cases[0].Number != number || got.Cases[0].Deadlines[0].Name != "答复期限" {
		t.Fatalf("alice's tasks 36 hours before the reply date, with reminders 48 hours before: %+v", got)
	}
}

// A low rating's follow-up and the undeliverable notice of its reopened case (the customer's
// window closed) are sue's tasks and not carol's.
func TestTasksFollowUpsAndCallsByBranch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rateLow(t, e)
	e.Deliver()
	e.Clock.Advance(49 * time.Hour)
	sue := e.token("sue")
	var got tasksJSON
	if st := sue.getJSON("/api/v1/tasks", &got); st != 200 || len(got.FollowUps) != 1 {
		t.Fatalf("sue's tasks: %d %+v", st, got)
	}
	if st, body := sue.doJSON("POST", "/api/v1/followups/"+url.PathEscape(got.FollowUps[0].ID), map[string]string{"action": "reopen"}); st != 200 {
		t.Fatalf("reopen: %d %s", st, body)
	}
	e.Deliver()
	if st := sue.getJSON("/api/v1/tasks", &got); st != 200 || len(got.FollowUps) != 1 || len(got.Calls) == 0 || got.Count < 2 {
		t.Fatalf("sue's tasks after the reopen: %d %+v", st, got)
	}
	var carol tasksJSON
	if st := e.token("carol").getJSON("/api/v1/tasks", &carol); st != 200 || carol.Count != 0 {
		t.Fatalf("carol's tasks: %d %+v", st, carol)
	}
	if st, body := e.token("carol").doJSON("POST", "/api/v1/calls/"+url.PathEscape(got.Calls[0].ID), map[string]string{"action": "called", "note": "x"}); st != http.StatusNotFound {
		t.Fatalf("carol marks sue's call: %d %s", st, body)
	}
}

// A case nobody has taken is a task of every agent of its branch as its reply date nears; once
// bob takes it, it is his and leaves alice's tasks.
func TestTasksHoldTheBranchsCasesNobodyTook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.Deliver()
	cs, err := e.App.Store.Case(ctx, number)
	if err != nil || cs.ReplyDue.IsZero() || cs.Assignee() != "" {
		t.Fatalf("case: %+v %v", cs, err)
	}
	e.Clock.Advance(cs.ReplyDue.Sub(e.Clock.Now()) - 12*time.Hour)
	var got tasksJSON
	for _, who := range []string{"alice", "bob"} {
		if st := e.token(who).getJSON("/api/v1/tasks", &got); st != 200 || len(got.Cases) != 1 || got.Cases[0].Number != number {
			t.Fatalf("%s's tasks with the case untaken: %d %+v", who, st, got)
		}
	}
	if _, page := e.login("alice").do("GET", "/tasks", nil); !strings.Contains(page, number) || !strings.Contains(page, "未指派") {
		t.Fatalf("alice's tasks page shows the untaken case as such: %s", page)
	}
	if st, body := e.token("sue").doJSON("POST", "/api/v1/cases/"+number+"/assign", map[string]string{"assignee": "bob"}); st != 200 {
		t.Fatalf("assign: %d %s", st, body)
	}
	if st := e.token("alice").getJSON("/api/v1/tasks", &got); st != 200 || len(got.Cases) != 0 {
		t.Fatalf("alice's tasks once bob has the case: %d %+v", st, got)
	}
	if st := e.token("bob").getJSON("/api/v1/tasks", &got); st != 200 || len(got.Cases) != 1 {
		t.Fatalf("bob's tasks once he has the case: %d %+v", st, got)
	}
	if st := e.token("carol").getJSON("/api/v1/tasks", &got); st != 200 || got.Count != 0 {
		t.Fatalf("carol's tasks: %d %+v", st, got)
	}
}

// A follow-up call is worked by supervisors; an agent, who may only read it, does not have it
// among their tasks or in their count.
func TestTasksLeaveFollowUpsToSupervisors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	rateLow(t, e)
	e.Deliver()
	var sue, alice tasksJSON
	if st := e.token("sue").getJSON("/api/v1/tasks", &sue); st != 200 || len(sue.FollowUps) != 1 {
		t.Fatalf("sue's tasks: %d %+v", st, sue)
	}
	if st := e.token("alice").getJSON("/api/v1/tasks", &alice); st != 200 || len(alice.FollowUps) != 0 || alice.Count != len(alice.Cases)+len(alice.Calls) {
		t.Fatalf("alice's tasks: %d %+v", st, alice)
	}
}
