package console_test

import (
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/scheduler"
)

// A case past its promised reply date with no reply from a person is overdue (超期) everywhere a
// person looks — the case API, the case page, the list and its 已超期 filter, the supervisor's
// figures and the export — and not a case whose customer an agent answered in the chat, nor one
// decided (whose decision was the reply) and reopened.
func TestCasePastItsReplyDateIsOverdue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	const custC = "oTestCustomerC0003"
	silent := e.registerCase(custA, "城东支行", "柜员态度很差")
	answered := e.registerCase(custB, "城东支行", "柜员不理人")
	decided := e.registerCase(custC, "城东支行", "大堂经理态度冷淡")
	alice := e.token("alice")

	// alice answers custB in the chat: the reply concerns custB's open case.
	e.say(custB, "人工")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custB+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custB+"/reply", map[string]string{"text": "您好，我是客服王丽，正在核实您反映的情况。"}); st != 200 {
		t.Fatalf("reply: %d %s", st, body)
	}
	// custC's case is decided, and reopened by the supervisor.
	for _, a := range []struct {
		action string
		body   map[string]string
	}{{"accept", nil}, {"coding", map[string]string{"jr_channel": "A0101", "jr_business": "B01", "jr_reason": "C01"}},
		{"resolve", map[string]string{"text": "已核实", "reply": "经核实，我行已批评教育并向您致歉。"}}} {
		if st, body := alice.doJSON("POST", "/api/v1/cases/"+decided+"/"+a.action, a.body); st != 200 {
			t.Fatalf("%s: %d %s", a.action, st, body)
		}
	}
	if st, body := e.token("sue").doJSON("POST", "/api/v1/cases/"+decided+"/status", map[string]string{"from": "resolved", "to": "reopened"}); st != 200 {
		t.Fatalf("reopen: %d %s", st, body)
	}
	e.Deliver()

	cs, err := e.App.Store.Case(ctx, silent)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens are asked afresh: a session idle past its limit on the moved clock ends.
	overdue := func(number string) bool {
		var got struct {
			Overdue bool `json:"overdue"`
		}
		if st := e.token("alice").getJSON("/api/v1/cases/"+number, &got); st != 200 {
			t.Fatalf("case %s: %d", number, st)
		}
		return got.Overdue
	}
	listed := func() []string {
		var got struct {
			Cases []struct{ Number string } `json:"cases"`
		}
		if st := e.token("alice").getJSON("/api/v1/cases?overdue=1", &got); st != 200 {
			t.Fatalf("overdue list: %d", st)
		}
		var out []string
		for _, c := range got.Cases {
			out = append(out, c.Number)
		}
		return out
	}
	if overdue(silent) || len(listed()) != 0 {
		t.Fatalf("before the reply date: overdue %v, listed %v", overdue(silent), listed())
	}

	// An hour past the reply date, days before the decision deadline.
	e.Clock.Advance(cs.ReplyDue.Sub(e.Clock.Now()) + time.Hour)
	if !e.Clock.Now().Before(cs.DecisionDue) {
		t.Fatalf("the decision deadline %v is not after the reply date %v", cs.DecisionDue, cs.ReplyDue)
	}
	if !overdue(silent) || overdue(answered) || overdue(decided) {
		t.Errorf("past the reply date: overdue unanswered %v, answered in the chat %v, decided and reopened %v; want true, false, false",
			overdue(silent), overdue(answered), overdue(decided))
	}
	if got := listed(); !slices.Equal(got, []string{silent}) {
		t.Errorf("已超期 lists %v, want only %s", got, silent)
	}
	web := e.login("alice")
	if _, page := web.do("GET", "/cases/"+silent, nil); !strings.Contains(page, "已超期") {
		t.Errorf("the case page shows no 已超期 badge")
	}
	if _, page := web.do("GET", "/cases/"+answered, nil); strings.Contains(page, `badge err">已超期`) {
		t.Errorf("the answered case's page shows 已超期")
	}
	if _, page := web.do("GET", "/cases?overdue=1", nil); !strings.Contains(page, silent) || strings.Contains(page, answered) || strings.Contains(page, decided) {
		t.Errorf("the 已超期 list page: %s", page)
	}

	// The figures: the deadline passing is announced by the deadlines job, then drained.
	if _, err := e.App.Scheduler.RunOnce(ctx, scheduler.JobDeadlines); err != nil {
		t.Fatal(err)
	}
	drainReports(t, e)
	sue := e.token("sue")
	var dash struct {
		Total struct {
			Overdue int `json:"overdue_now"`
		} `json:"total"`
	}
	to := e.Clock.Now().In(complaintbot.Shanghai).Format("2006-01-02")
	if st := sue.getJSON("/api/v1/reports/dashboard?from=2026-11-01&to="+to, &dash); st != 200 || dash.Total.Overdue != 1 {
		t.Errorf("dashboard 当前超期未办结: %d %+v, want 1", st, dash)
	}
	st, body := sue.do("GET", "/api/v1/reports/cases.csv?from=2026-11-01&to="+to, nil)
	if st != 200 {
		t.Fatalf("export: %d %s", st, body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("export rows: %v %d", err, len(rows))
	}
	col := slices.Index(rows[0], "当前超期")
	for _, r := range rows[1:] {
		want := "否"
		if r[0] == silent {
			want = "是"
		}
		if r[col] != want {
			t.Errorf("export: %s 当前超期 %s, want %s", r[0], r[col], want)
		}
	}
}
