package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
)

// The extension ladder in the console: the agent's second extension is refused with a plain
// message; the request they file shows on the supervisor's tasks and case page, only the
// supervisor may approve it, and the customer is told the approved date.
func TestExtensionApprovalInTheConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	bob, sue, carol := e.token("bob"), e.login("sue"), e.token("carol")
	act := func(c *client, action string, body map[string]string) (int, string) {
		t.Helper()
		return c.doJSON("POST", "/api/v1/cases/"+number+"/"+action, body)
	}
	if st, body := act(bob, "extend", map[string]string{"due": "2026-12-20", "text": "需要调取监控录像"}); st != 200 {
		t.Fatalf("first extension: %d %s", st, body)
	}
	st, body := act(bob, "extend", map[string]string{"due": "2027-01-10", "text": "需总行协查"})
	if st != http.StatusConflict || !strings.Contains(body, "再次延期须经主管或总行审批") {
		t.Fatalf("second extension without approval: %d %s", st, body)
	}
	if st, body := act(bob, "extend_request", map[string]string{"due": "2027-01-10", "text": "需总行协查"}); st != 200 || !strings.Contains(body, "待主管或总行审批") {
		t.Fatalf("request: %d %s", st, body)
	}
	// The supervisor sees it on the task list and on the case page, with the buttons.
	if st, body := sue.do("GET", "/tasks", nil); st != 200 || !strings.Contains(body, number) || !strings.Contains(body, "延期待审批：至 2027-01-10") {
		t.Fatalf("supervisor's tasks: %d %s", st, body)
	}
	if st, body := sue.do("GET", "/cases/"+number, nil); st != 200 || !strings.Contains(body, `id="extend-approve"`) || !strings.Contains(body, "需总行协查") {
		t.Fatalf("supervisor's case page: %d", st)
	}
	if st, body := bob.do("GET", "/cases/"+number, nil); st != 200 || strings.Contains(body, `id="extend-approve"`) || !strings.Contains(body, "待主管或总行审批") {
		t.Fatalf("agent's case page: %d", st)
	}
	if st, body := act(bob, "extend_approve", nil); st != http.StatusForbidden {
		t.Fatalf("agent approves: %d %s", st, body)
	}
	if st, body := act(carol, "extend_approve", nil); st != http.StatusNotFound {
		t.Fatalf("another branch's agent approves: %d %s", st, body)
	}
	if st, body := sue.do("POST", "/cases/"+number+"/extend_approve", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("supervisor approves: %d %s", st, body)
	}
	rec, err := e.App.Store.Case(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DecisionDue.In(complaintbot.Shanghai).Format("2006-01-02") != "2027-01-10" || rec.Work.Extensions != 2 || rec.Work.ExtensionRequest != nil {
		t.Fatalf("after approval: due %v, %d extensions, request %+v", rec.DecisionDue, rec.Work.Extensions, rec.Work.ExtensionRequest)
	}
	e.Deliver()
	told := strings.Join(sentTexts(e, custA), "\n")
	if !strings.Contains(told, "延长至2026年12月20日") || !strings.Contains(told, "经上级审批") || !strings.Contains(told, "延长至2027年1月10日") {
		t.Fatalf("the customer was told:\n%s", told)
	}
	var v struct {
		Case struct {
			Work struct {
				Extensions int `json:"extensions"`
			} `json:"work"`
		} `json:"case"`
		Timeline []struct{ Kind, Title string }
	}
	if st := bob.getJSON("/api/v1/cases/"+number, &v); st != 200 || v.Case.Work.Extensions != 2 {
		t.Fatalf("case JSON: %d %+v", st, v)
	}
	var titles []string
	for _, it := range v.Timeline {
		titles = append(titles, it.Title)
	}
	if all := strings.Join(titles, "|"); !strings.Contains(all, "延期审批申请") || !strings.Contains(all, "批准 李强 的延期申请") {
		t.Fatalf("timeline titles %q", titles)
	}
}

// A case whose customer threatens to go to the media carries the risk badge in the case list,
// the inbox's risk panel and the case JSON of its branch, and nowhere for another branch.
func TestRiskFlagShowsInTheLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差，不解决我就找媒体曝光")
	sue, carol := e.login("sue"), e.login("carol")
	if st, body := sue.do("GET", "/cases", nil); st != 200 || !strings.Contains(body, `<span class="badge err risk" title="客户提及升级投诉">风险</span>`) {
		t.Fatalf("case list: %d", st)
	}
	if st, body := sue.do("GET", "/inbox/risks", nil); st != 200 || !strings.Contains(body, number) || !strings.Contains(body, "媒体、曝光") {
		t.Fatalf("inbox risks: %d %s", st, body)
	}
	if st, body := carol.do("GET", "/inbox/risks", nil); st != 200 || strings.Contains(body, number) {
		t.Fatalf("another branch's inbox risks: %d %s", st, body)
	}
	if st, body := sue.do("GET", "/cases?risk=1", nil); st != 200 || !strings.Contains(body, number) {
		t.Fatalf("risk filter: %d", st)
	}
	if st, body := sue.do("GET", "/tasks", nil); st != 200 || !strings.Contains(body, number) {
		t.Fatalf("tasks: %d", st)
	}
	var list struct {
		Cases []struct {
			Number string `json:"number"`
			Risk   *struct {
				Reason string   `json:"reason"`
				Words  []string `json:"words"`
			} `json:"risk"`
		} `json:"cases"`
	}
	if st := e.token("sue").getJSON("/api/v1/cases", &list); st != 200 || len(list.Cases) != 1 || list.Cases[0].Risk == nil || list.Cases[0].Risk.Reason != "words" {
		t.Fatalf("case list JSON: %d %+v", st, list)
	}
	// The agent sets the level; a supervisor clears the flag.
	if st, body := e.token("bob").doJSON("POST", "/api/v1/cases/"+number+"/level", map[string]string{"level": "major"}); st != 200 {
		t.Fatalf("level: %d %s", st, body)
	}
	if st, body := e.token("bob").doJSON("POST", "/api/v1/cases/"+number+"/risk", map[string]string{"flag": "0"}); st != http.StatusForbidden {
		t.Fatalf("agent clears the flag: %d %s", st, body)
	}
	if st, body := sue.do("POST", "/cases/"+number+"/risk", url.Values{"flag": {"0"}, "text": {"已安抚客户"}}); st != http.StatusSeeOther {
		t.Fatalf("supervisor clears the flag: %d %s", st, body)
	}
	if st, body := sue.do("GET", "/cases", nil); st != 200 || strings.Contains(body, "badge err risk") || !strings.Contains(body, "level-major") {
		t.Fatalf("case list after: %d", st)
	}
}
