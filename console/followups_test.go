package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// followUpsJSON is GET /api/v1/followups as a client reads it.
type followUpsJSON struct {
	FollowUps []struct {
		ID, Case, State, TakenBy string
		Status                   string `json:"status"`
		DoneBy                   string `json:"done_by"`
		Reached                  *bool  `json:"reached"`
		View                     string `json:"view"`
		NewRating                int    `json:"new_rating"`
		Rating                   int    `json:"rating"`
		Phone                    string `json:"phone"`
	} `json:"follow_ups"`
}

// rateLow walks a case of 城东支行 to resolution and has the customer rate it 1; it returns the number.
func rateLow(t *testing.T, e *env) string {
	t.Helper()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	alice := e.token("alice")
	for _, a := range []struct {
		action string
		body   map[string]string
	}{{"accept", nil}, {"coding", map[string]string{"jr_channel": "A0101", "jr_business": "B01", "jr_reason": "C01"}}, {"resolve", map[string]string{"text": "已核实", "reply": "经核实，我行已批评教育并向您致歉。"}}, {"survey", nil}} {
		if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/"+a.action, a.body); st != 200 {
			t.Fatalf("%s: %d %s", a.action, st, body)
		}
	}
	e.Deliver()
	e.Clock.Advance(time.Minute)
	e.say(custA, "1")
	return number
}

// A rating of 1 raises a follow-up that the branch's supervisor takes and records as done; agents
// see it read-only, another branch does not see it at all, and each change is audited first.
func TestFollowUpWorkedToDone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := rateLow(t, e)
	sue, alice, carol := e.token("sue"), e.token("alice"), e.token("carol")

	var list followUpsJSON
	if st := sue.getJSON("/api/v1/followups", &list); st != 200 || len(list.FollowUps) != 1 {
		t.Fatalf("sue's follow-ups: %d %+v", st, list)
	}
	f := list.FollowUps[0]
	if f.Case != number || f.State != "due" || f.Rating != 1 {
		t.Fatalf("follow-up: %+v", f)
	}
	// The number to call is on the list, as the customer left it in the case.
	if f.Phone != "13812345678" {
		t.Errorf("follow-up phone %q, want the case's 13812345678", f.Phone)
	}
	if _, page := e.login("sue").do("GET", "/followups", nil); !strings.Contains(page, "13812345678") || !strings.Contains(page, "客户电话") {
		t.Errorf("the 回访 page shows no number to call: %s", page)
	}
	var other followUpsJSON
	if st := carol.getJSON("/api/v1/followups", &other); st != 200 || len(other.FollowUps) != 0 {
		t.Fatalf("carol sees 0101's follow-ups: %d %+v", st, other)
	}
	if st, body := carol.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]string{"action": "take"}); st != http.StatusNotFound {
		t.Fatalf("carol takes: %d %s", st, body)
	}
	var agent followUpsJSON
	if st := alice.getJSON("/api/v1/followups", &agent); st != 200 || len(agent.FollowUps) != 1 {
		t.Fatalf("alice reads: %d %+v", st, agent)
	}
	if st, body := alice.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]string{"action": "take"}); st != http.StatusForbidden {
		t.Fatalf("agent takes: %d %s", st, body)
	}

	// Three working days later the call is overdue.
	e.Clock.Advance(7 * 24 * time.Hour)
	sue = e.token("sue") // the session of a week ago has expired
	if st := sue.getJSON("/api/v1/followups", &list); st != 200 || list.FollowUps[0].State != "overdue" {
		t.Fatalf("after a week: %d %+v", st, list.FollowUps)
	}
	if st, body := sue.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]string{"action": "take"}); st != 200 || !strings.Contains(body, `"taken_by":"sue"`) {
		t.Fatalf("sue takes: %d %s", st, body)
	}
	if st, body := sue.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]string{"action": "done", "view": "接受道歉"}); st != http.StatusBadRequest {
		t.Fatalf("done without reached: %d %s", st, body)
	}
	if _, err := e.App.Scheduler.RunOnce(ctx, reports.JobDrain); err != nil { // the figures are current before the call
		t.Fatal(err)
	}
	if _, page := e.login("sue").do("GET", "/reports?from=2026-11-01&to="+e.Clock.Now().In(complaintbot.Shanghai).Format("2006-01-02"), nil); !strings.Contains(page, "待回访 1 · 已回访 0") {
		t.Errorf("before the call the reports page does not count one follow-up due")
	}
	if st, body := sue.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]any{"action": "done", "reached": true, "view": "接受道歉", "note": "已致电", "rating": 4}); st != 200 {
		t.Fatalf("sue records: %d %s", st, body)
	}
	sue.getJSON("/api/v1/followups", &list)
	f = list.FollowUps[0]
	if f.State != "done" || f.DoneBy != "sue" || f.Reached == nil || !*f.Reached || f.View != "接受道歉" || f.NewRating != 4 {
		t.Fatalf("done follow-up: %+v", f)
	}
	if st, body := sue.doJSON("POST", "/api/v1/followups/"+url.PathEscape(f.ID), map[string]any{"action": "done", "reached": false}); st != http.StatusConflict {
		t.Fatalf("done twice: %d %s", st, body)
	}
	if _, page := e.login("sue").do("GET", "/followups", nil); !strings.Contains(page, "已回访") || !strings.Contains(page, "接受道歉") {
		t.Fatalf("follow-ups page: %s", page)
	}
	// The dashboard's low ratings say the call was made, once the reports' drain ran.
	if _, err := e.App.Scheduler.RunOnce(ctx, reports.JobDrain); err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Low []struct {
			Number   string `json:"number"`
			FollowUp string `json:"follow_up"`
		} `json:"low_ratings"`
		FollowUps struct{ Open, Done int } `json:"follow_ups"`
	}
	if st := sue.getJSON("/api/v1/reports/dashboard?from=2026-11-01&to="+e.Clock.Now().In(complaintbot.Shanghai).Format("2006-01-02"), &dash); st != 200 {
		t.Fatalf("dashboard: %d", st)
	}
	var shown []string
	for _, l := range dash.Low {
		shown = append(shown, l.Number+":"+l.FollowUp)
	}
	if !slices.Contains(shown, number+":"+string(storage.FollowUpDone)) {
		t.Errorf("the dashboard's low ratings %v do not show %s's follow-up done", shown, number)
	}
	if dash.FollowUps.Open != 0 || dash.FollowUps.Done != 1 {
		t.Errorf("the dashboard counts %+v follow-ups, want 0 open and 1 done", dash.FollowUps)
	}
	trail, err := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "follow_up", Target: f.ID})
	if err != nil || len(trail) != 2 {
		t.Fatalf("audit trail: %+v %v", trail, err)
	}
}

// A supervisor reopens the case from its follow-up through the case workflow: the case is
// reopened and the customer is told.
func TestFollowUpReopensCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := rateLow(t, e)
	fs, err := storagetest.FollowUps(ctx, e.App.Store, nil, storage.FollowUpOpen)
	if err != nil || len(fs) != 1 {
		t.Fatalf("follow-ups: %+v %v", fs, err)
	}
	sue := e.login("sue")
	_, page := sue.do("GET", "/followups", nil)
	action := regexp.MustCompile(`action="(/followups/[^"]+/reopen)"`).FindStringSubmatch(page)
	if action == nil || action[1] != "/followups/"+url.PathEscape(fs[0].ID)+"/reopen" {
		t.Fatalf("reopen form on the page: %v in %s", action, page)
	}
	if st, body := sue.do("POST", action[1], url.Values{"note": {"客户仍不满意"}}); st != http.StatusSeeOther {
		t.Fatalf("reopen: %d %s", st, body)
	}
	cs, err := e.App.Store.Case(ctx, number)
	if err != nil || cs.Status != complaintbot.StatusReopened {
		t.Fatalf("case after reopen: %v %v", cs.Status, err)
	}
}
