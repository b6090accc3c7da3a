package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// containsAny reports whether one of the texts contains every part.
func containsAll(texts []string, parts ...string) bool {
	for _, t := range texts {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(t, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestWithdrawalInTheChatAndInTheConsole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	n := e.registerCase(custA, "城东支行", "柜员态度很差")
	// The customer withdraws in the chat, after the read-back.
	if got := e.say(custA, "撤回投诉 "+n); !strings.Contains(got, "您要撤回的是") || !strings.Contains(got, n) {
		t.Fatalf("withdraw: %s", got)
	}
	if rec, _ := e.App.Store.Case(ctx, n); rec.Status.Open() != true {
		t.Fatal("withdrawn before the confirmation")
	}
	if got := e.say(custA, "确认"); !strings.Contains(got, "已撤回") {
		t.Fatalf("confirm: %s", got)
	}
	rec, err := e.App.Store.Case(ctx, n)
	if err != nil || rec.Status != complaintbot.StatusWithdrawn {
		t.Fatalf("case after the chat: %v %v", rec.Status, err)
	}
	alice := e.login("alice")
	if st, page := alice.do("GET", "/cases/"+n+"/timeline", nil); st != 200 || !strings.Contains(page, "客户撤回") || !strings.Contains(page, "客户本人") {
		t.Fatalf("timeline: %d %s", st, page)
	}
	// The case's status reads 已撤回 on its page, which offers no more resolution.
	if st, page := alice.do("GET", "/cases/"+n, nil); st != 200 || !strings.Contains(page, "已撤回") || strings.Contains(page, `id="resolve"`) {
		t.Fatalf("case page: %d", st)
	}

	// An agent records a withdrawal the customer made by phone: a reason is required, the
	// customer is told.
	n2 := e.registerCase(custB, "城西支行", "取号机坏了没人管")
	carol := e.token("carol")
	if st, body := carol.doJSON("POST", "/api/v1/cases/"+n2+"/withdraw", map[string]string{"text": ""}); st != http.StatusBadRequest || !strings.Contains(body, "撤回说明") {
		t.Fatalf("withdraw without a reason: %d %s", st, body)
	}
	if st, body := alice.do("POST", "/cases/"+n2+"/withdraw", url.Values{"text": {"客户来电要求撤回"}}); st == http.StatusSeeOther {
		t.Fatalf("another branch's agent withdrew the case: %s", body)
	}
	before := len(sentTexts(e, custB))
	if st, body := carol.doJSON("POST", "/api/v1/cases/"+n2+"/withdraw", map[string]string{"text": "客户来电表示已自行解决，要求撤回"}); st != 200 {
		t.Fatalf("withdraw: %d %s", st, body)
	}
	e.Deliver()
	if sent := sentTexts(e, custB)[before:]; !containsAll(sent, n2, "已撤回") {
		t.Fatalf("the customer was not told: %q", sent)
	}
	if st, body := carol.doJSON("POST", "/api/v1/cases/"+n2+"/resolve", map[string]string{"text": "x", "reply": "y"}); st != http.StatusConflict {
		t.Fatalf("resolve a withdrawn case: %d %s", st, body)
	}
}

func TestReviewAskedInTheChatAndDecidedByHeadOffice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	n := e.registerCase(custA, "城东支行", "柜员态度很差")
	alice, root := e.token("alice"), e.token("root")
	if got := e.say(custA, "申请核查 "+n); !strings.Contains(got, "还没有处理结果") {
		t.Fatalf("review before the decision: %s", got)
	}
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+n+"/coding", map[string]string{"jr_channel": "A0101", "jr_business": "B01", "jr_reason": "C01"}); st != 200 {
		t.Fatalf("coding: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+n+"/resolve", map[string]string{"text": "经核实柜员服务不规范，已批评教育",
		"reply": "经核实，柜员确有不当，我行已批评教育并向您致歉。"}); st != 200 {
		t.Fatalf("resolve: %d %s", st, body)
	}
	e.Deliver()
	// The decision notice says how to ask for a review, by when, and the other remedies.
	if sent := sentTexts(e, custA); !containsAll(sent, "已处理完毕", "申请核查 "+n, "调解", "12378") {
		t.Fatalf("decision notice: %q", sent)
	}
	if got := e.say(custA, "我对处理结果不满意，要求复核"); !strings.Contains(got, "核查申请") || !strings.Contains(got, n) {
		t.Fatalf("review: %s", got)
	}
	e.Deliver()
	id := n + "-HC1"
	if sent := sentTexts(e, custA); !containsAll(sent, "核查编号 "+id, "前答复") {
		t.Fatalf("review notice: %q", sent)
	}
	// Head office's task list holds the review; a branch agent's does not.
	var tk struct {
		Reviews []struct {
			ID, Case string
		} `json:"reviews"`
	}
	if st := root.getJSON("/api/v1/tasks", &tk); st != 200 || len(tk.Reviews) != 1 || tk.Reviews[0].ID != id || tk.Reviews[0].Case != n {
		t.Fatalf("head office's tasks: %d %+v", st, tk)
	}
	tk.Reviews = nil
	if st := alice.getJSON("/api/v1/tasks", &tk); st != 200 || len(tk.Reviews) != 0 {
		t.Fatalf("a branch agent's tasks: %d %+v", st, tk)
	}
	// Past the review's deadline (15 days): the deadlines job marks it overdue on the case's
	// timeline, and head office's task list says so.
	e.Clock.Advance(16 * 24 * time.Hour)
	if err := e.App.Scheduler.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	alice, root = e.token("alice"), e.token("root") // a new sign-in after 16 days
	if st, page := e.login("alice").do("GET", "/cases/"+n+"/timeline", nil); st != 200 || !strings.Contains(page, "超期：核查（"+id+"）答复期限已过") {
		t.Fatalf("timeline after the review's deadline: %d %s", st, page)
	}
	var late struct {
		Reviews []struct {
			Overdue bool `json:"overdue"`
		} `json:"reviews"`
	}
	if st := root.getJSON("/api/v1/tasks", &late); st != 200 || len(late.Reviews) != 1 || !late.Reviews[0].Overdue {
		t.Fatalf("head office's tasks after the deadline: %d %+v", st, late)
	}
	// The customer asking now is not promised the date that has passed.
	if got := e.say(custA, "申请核查 "+n); !strings.Contains(got, "仍在办理") || !strings.Contains(got, "非常抱歉") {
		t.Fatalf("the customer asks after the review's deadline: %s", got)
	}
	// Only head office records the result; the customer is told it.
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+n+"/review_result", map[string]string{"text": "维持原处理结果"}); st != http.StatusForbidden {
		t.Fatalf("a branch agent recorded the result: %d %s", st, body)
	}
	rootPage := e.login("root")
	if st, page := rootPage.do("GET", "/cases/"+n, nil); st != 200 || !strings.Contains(page, `id="review-result"`) || !strings.Contains(page, id) {
		t.Fatalf("head office's case page: %d", st)
	}
	if st, body := rootPage.do("POST", "/cases/"+n+"/review_result", url.Values{"text": {"经总行核查，原处理结果恰当，予以维持。"}}); st != http.StatusSeeOther {
		t.Fatalf("review result: %d %s", st, body)
	}
	e.Deliver()
	if sent := sentTexts(e, custA); !containsAll(sent, id, "经总行核查，原处理结果恰当，予以维持。") {
		t.Fatalf("result notice: %q", sent)
	}
	tk.Reviews = nil
	if st := root.getJSON("/api/v1/tasks", &tk); st != 200 || len(tk.Reviews) != 0 {
		t.Fatalf("the decided review is still a task: %+v", tk)
	}
	if got := e.say(custA, "申请核查 "+n); !strings.Contains(got, "已经完成核查") {
		t.Fatalf("a second review: %s", got)
	}
}
