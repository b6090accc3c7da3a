package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// holdersOf returns, for every collection, how many documents hold any of the strings.
func holdersOf(t *testing.T, st *storage.Store, secrets ...string) map[string]int {
	t.Helper()
	ctx := context.Background()
	names, err := st.Collection("cases").Database().ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, n := range names {
		cur, err := st.Collection(n).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			var m bson.M
			if err := bson.Unmarshal(cur.Current, &m); err != nil {
				t.Fatal(err)
			}
			js, _ := bson.MarshalExtJSON(m, false, false)
			for _, s := range secrets {
				if strings.Contains(string(js), s) || strings.Contains(string(cur.Current), s) {
					out[n]++
					break
				}
			}
		}
	}
	return out
}

// drainReports brings the report figures up to date with every change.
func drainReports(t *testing.T, e *env) {
	t.Helper()
	for range 20 {
		n, err := e.App.Reports.Drain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// figures reads the supervisors' figures of November 2026 as JSON: the dashboard and the
// regulator's statistics.
func figures(t *testing.T, c *client) string {
	t.Helper()
	var parts []string
	for _, p := range []string{"/api/v1/reports/dashboard?from=2026-11-01&to=2026-11-30", "/api/v1/reports/regulator?period=2026-11"} {
		st, body := c.do("GET", p, nil)
		if st != 200 {
			t.Fatalf("GET %s: %d %s", p, st, body)
		}
		parts = append(parts, stripVolatile(body))
	}
	return strings.Join(parts, "\n")
}

// volatile are the fields of the figures that say when they were computed.
var volatile = regexp.MustCompile(`"(as_of|now|generated_at|built_at|computed_at)":"[^"]*"`)

func stripVolatile(s string) string { return volatile.ReplaceAllString(s, "") }

// The sandbox clock moved past the retention period (three years after the case was closed): the
// customer's personal data is gone from every collection of the database, while the figures read
// the same as before; a customer who registered nothing and went quiet is gone as well.
func TestRetentionPastThePeriodKeepsTheFigures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	story := "柜员态度很差，让我在窗口等了一个小时也没人理"
	number := e.registerCase(custA, "城东支行", story)
	e.say(custB, "你好，请问营业时间")
	alice, root, sue := e.token("alice"), e.token("root"), e.token("sue")
	act := func(action string, body map[string]string) {
		t.Helper()
		if st, b := alice.doJSON("POST", "/api/v1/cases/"+number+"/"+action, body); st != 200 {
			t.Fatalf("%s: %d %s", action, st, b)
		}
	}
	act("note", map[string]string{"text": "客户住在幸福路八号"})
	act("accept", nil)
	act("coding", map[string]string{"jr_channel": "A01033", "jr_business": "B03026", "jr_reason": "C10"})
	act("resolve", map[string]string{"text": "已核实并批评教育", "reply": "经核实，柜员确有不当，我行已向王先生致歉。"})
	act("survey", nil)
	e.Deliver()
	e.Clock.Advance(time.Minute)
	e.say(custA, "2")
	e.Deliver()
	drainReports(t, e)
	before := figures(t, sue)
	if !strings.Contains(before, `"cases":1,"surveys":1,"answered":1`) {
		t.Fatalf("the figures before do not count the case and its answered survey: %.600s", before)
	}
	// The case list finds the case by the customer's phone number and words.
	found := func(q string) int {
		t.Helper()
		var list struct {
			Cases []json.RawMessage `json:"cases"`
		}
		if st := alice.getJSON("/api/v1/cases?q="+url.QueryEscape(q), &list); st != 200 {
			t.Fatalf("search %q: %d", q, st)
		}
		return len(list.Cases)
	}
	if found("13812345678") != 1 || found("窗口等了一个小时") != 1 {
		t.Fatalf("the search does not find the case before: %d %d", found("13812345678"), found("窗口等了一个小时"))
	}
	secrets := []string{custA, "13812345678", story, "幸福路八号", "向王先生致歉", "希望支行道歉"}
	if held := holdersOf(t, e.App.Store, secrets...); held["cases"] == 0 || held["turns"] == 0 {
		t.Fatalf("the customer's data is not where the test looks for it: %v", held)
	}
	if held := holdersOf(t, e.App.Store, custB); held["turns"] == 0 {
		t.Fatalf("the quiet customer's turns are not there: %v", held)
	}

	// Two years on, nothing is removed.
	for range 8 {
		if st, body := root.doJSON("POST", "/api/v1/sandbox/clock", map[string]string{"advance": "90d"}); st != 200 {
			t.Fatalf("advance: %d %s", st, body)
		}
	}
	if held := holdersOf(t, e.App.Store, secrets...); held["cases"] == 0 {
		t.Errorf("two years on the case lost its personal data: %v", held)
	}
	// Past three years after it was closed, it goes.
	for range 5 {
		if st, body := root.doJSON("POST", "/api/v1/sandbox/clock", map[string]string{"advance": "90d"}); st != 200 {
			t.Fatalf("advance: %d %s", st, body)
		}
	}
	drainReports(t, e)
	if held := holdersOf(t, e.App.Store, secrets...); len(held) > 0 {
		t.Errorf("past the retention period these collections still hold the customer's personal data: %v", held)
	}
	if held := holdersOf(t, e.App.Store, custB); len(held) > 0 {
		t.Errorf("the quiet customer with no case is still there: %v", held)
	}
	if after := figures(t, sue); after != before {
		t.Errorf("the figures changed:\nbefore %s\nafter  %s", before, after)
	}
	if n, m := found("13812345678"), found("窗口等了一个小时"); n != 0 || m != 0 || found(number) != 1 {
		t.Errorf("after anonymisation the search finds the case by phone %d, by words %d times (by number %d)", n, m, found(number))
	}
	// The case is still listed, by number, with its category, branch and status.
	var got struct {
		Case complaintbot.Case `json:"case"`
	}
	if st := alice.getJSON("/api/v1/cases/"+number, &got); st != 200 || got.Case.Branch.Code != "0101" || got.Case.Status != complaintbot.StatusResolved ||
		got.Case.Category == nil || len(got.Case.Fields) != 0 {
		t.Errorf("the anonymised case: %d %+v", st, got.Case)
	}
	_ = ctx
}

// An admin erases one customer on request: a preview first (nothing erased, a confirmation
// code), a wrong code refused, then the erasure; the customer's data is gone, another customer's
// is not, and the audit trail says who erased whom (masked) and how many records went.
func TestAdminErasesACustomerOnRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.registerCase(custB, "城东支行", "大堂经理推销理财")
	root, alice := e.token("root"), e.token("alice")

	if st, body := alice.doJSON("POST", "/api/v1/erasures", map[string]string{"case": number}); st != http.StatusForbidden {
		t.Errorf("an agent asked for an erasure: %d %s", st, body)
	}
	if st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"openid": "oNobodyAtAll0000"}); st != http.StatusNotFound {
		t.Errorf("an unknown customer: %d %s", st, body)
	}
	st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"case": number})
	var pv struct {
		Preview struct {
			Customer string   `json:"customer"`
			Cases    []string `json:"cases"`
			Turns    int      `json:"turns"`
			Confirm  string   `json:"confirm"`
		} `json:"preview"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &pv) != nil || pv.Preview.Confirm == "" || pv.Preview.Customer != complaintbot.MaskOpenID(custA) ||
		len(pv.Preview.Cases) != 1 || pv.Preview.Turns == 0 {
		t.Fatalf("preview: %d %s", st, body)
	}
	if strings.Contains(body, custA) {
		t.Errorf("the preview shows the full openid: %s", body)
	}
	if held := holdersOf(t, e.App.Store, custA, "13812345678"); held["turns"] == 0 {
		t.Fatalf("the preview erased something: %v", held)
	}
	if st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"case": number, "confirm": "000000000000"}); st != http.StatusConflict {
		t.Errorf("a wrong code: %d %s", st, body)
	}
	st, body = root.doJSON("POST", "/api/v1/erasures", map[string]string{"openid": custA, "confirm": pv.Preview.Confirm})
	id := acceptedErasure(t, st, body)
	if held := holdersOf(t, e.App.Store, "柜员态度很差"); held["cases"] == 0 {
		t.Errorf("the request erased at once, inside the HTTP request: %v", held)
	}
	runErasures(t, e)
	if r := erasureStatus(t, root, id); r.Status != storage.ErasureDone || r.Records == 0 {
		t.Errorf("the request after the job: %+v", r)
	}
	if held := holdersOf(t, e.App.Store, custA, "柜员态度很差"); len(held) > 0 {
		t.Errorf("after the erasure these collections still hold the customer's data: %v", held)
	}
	if held := holdersOf(t, e.App.Store, custB, "大堂经理推销理财"); held["turns"] == 0 || held["cases"] == 0 {
		t.Errorf("the other customer's data went too: %v", held)
	}
	st, audit := root.do("GET", "/api/v1/audit?type=customer", nil)
	if st != 200 || !strings.Contains(audit, "customer.erase") || !strings.Contains(audit, "customer.erased") ||
		!strings.Contains(audit, complaintbot.MaskOpenID(custA)) || !strings.Contains(audit, "records") || !strings.Contains(audit, `"user":"root"`) {
		t.Errorf("audit of the erasure: %d %s", st, audit)
	}
	// The customer writes again: a new conversation begins.
	if reply := e.say(custA, "你好"); reply == "" {
		t.Errorf("the erased customer gets no answer")
	}

	// The page: the same two steps through forms.
	web := e.login("root")
	if st, page := web.do("GET", "/erase", nil); st != 200 || !strings.Contains(page, "删除客户个人信息") {
		t.Fatalf("erase page: %d", st)
	}
	other := regexp.MustCompile(`TS\d{8}-\d{4}`)
	_ = other
	st, page := web.do("POST", "/erase", url.Values{"who": {custB}})
	m := regexp.MustCompile(`<code>([0-9a-f]{12})</code>`).FindStringSubmatch(page)
	if st != 200 || m == nil || !strings.Contains(page, complaintbot.MaskOpenID(custB)) {
		t.Fatalf("erase preview page: %d %s", st, page)
	}
	if st, page := web.do("POST", "/erase", url.Values{"who": {custB}, "confirm": {m[1]}}); st != 200 || !strings.Contains(page, "已登记删除请求") || !strings.Contains(page, "待执行") {
		t.Fatalf("erase confirm page: %d %s", st, page)
	}
	runErasures(t, e)
	if st, page := web.do("GET", "/erase", nil); st != 200 || !strings.Contains(page, "已完成") || strings.Contains(page, "待执行") {
		t.Fatalf("the page after the job does not list the requests as done: %d %s", st, page)
	}
	if held := holdersOf(t, e.App.Store, custB, "大堂经理推销理财"); len(held) > 0 {
		t.Errorf("after the erasure on the page these collections still hold the customer's data: %v", held)
	}
}

// agentCase registers a complaint an agent received (by phone, letter…: no openid) through the
// API, read-back then confirmation, and returns its number.
func agentCase(t *testing.T, c *client, body map[string]any) string {
	t.Helper()
	var res newCaseJSON
	st, out := c.doJSON("POST", "/api/v1/cases", body)
	if json.Unmarshal([]byte(out), &res) != nil || st != 200 || res.Token == "" {
		t.Fatalf("check: %d %s", st, out)
	}
	body["token"], body["confirm"] = res.Token, true
	res = newCaseJSON{}
	st, out = c.doJSON("POST", "/api/v1/cases", body)
	if json.Unmarshal([]byte(out), &res) != nil || st != http.StatusCreated || res.Number == "" {
		t.Fatalf("confirm: %d %s", st, out)
	}
	return res.Number
}

// erasePreviewJSON is the preview an erasure request answers.
type erasePreviewJSON struct {
	Preview struct {
		Customer   string   `json:"customer"`
		By         string   `json:"by"`
		Cases      []string `json:"cases"`
		AgentCases []string `json:"agent_cases"`
		Confirm    string   `json:"confirm"`
	} `json:"preview"`
}

// eraseBy previews then confirms the erasure of what field=value names, and returns the preview.
func eraseBy(t *testing.T, e *env, root *client, field, value string) erasePreviewJSON {
	t.Helper()
	var pv erasePreviewJSON
	st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{field: value})
	if st != 200 || json.Unmarshal([]byte(body), &pv) != nil || pv.Preview.Confirm == "" {
		t.Fatalf("preview of %s %s: %d %s", field, value, st, body)
	}
	st, body = root.doJSON("POST", "/api/v1/erasures", map[string]string{field: value, "confirm": pv.Preview.Confirm})
	id := acceptedErasure(t, st, body)
	runErasures(t, e)
	if r := erasureStatus(t, root, id); r.Status != storage.ErasureDone {
		t.Fatalf("erase %s %s: after the job %+v", field, value, r)
	}
	return pv
}

// A complaint an agent registered (by letter, by phone) has no openid: the admin erases it by its
// number, and an erasure by phone number reaches both the agent-registered case carrying that
// phone and the WeChat customer whose case carries it. The personal data is gone from every
// collection and from the case search, the cases stay with their figures' fields, another
// customer is untouched, and the audit trail records the request with the phone masked.
func TestAdminErasesAgentRegisteredCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root, alice := e.token("root"), e.token("alice")
	wechat := e.registerCase(custA, "城东支行", "柜员态度很差") // phone 13812345678
	e.say(custB, "你好，请问营业时间")
	letter := agentCase(t, root, map[string]any{"kind": "complaint", "channel": "letter", "category": "fees", "branch": "0101",
		"occurred": "2026-11-20", "description": "信用卡年费未经同意被扣除三百元", "request": "退还年费", "phone": "0571-88886666", "name": "李女士"})
	byPhone := agentCase(t, root, map[string]any{"kind": "complaint", "channel": "phone", "category": "attitude", "branch": "0101",
		"occurred": "2026-11-20", "description": "柜员办理转账时一直看手机", "request": "希望支行道歉", "phone": "138 1234 5678", "name": "张先生"})
	found := func(q string) int {
		t.Helper()
		var list struct {
			Cases []json.RawMessage `json:"cases"`
		}
		if st := alice.getJSON("/api/v1/cases?q="+url.QueryEscape(q), &list); st != 200 {
			t.Fatalf("search %q: %d", q, st)
		}
		return len(list.Cases)
	}
	if found("88886666") != 1 || found("一直看手机") != 1 {
		t.Fatalf("the search does not find the agent cases before: %d %d", found("88886666"), found("一直看手机"))
	}
	letterData := []string{"88886666", "信用卡年费未经同意", "李女士"}
	if held := holdersOf(t, e.App.Store, letterData...); held["cases"] == 0 {
		t.Fatalf("the letter's data is not where the test looks for it: %v", held)
	}

	// By its number: the letter alone.
	pv := eraseBy(t, e, root, "case", letter)
	if pv.Preview.Customer != "" || len(pv.Preview.AgentCases) != 1 || pv.Preview.AgentCases[0] != letter {
		t.Errorf("preview of the letter: %+v", pv.Preview)
	}
	if held := holdersOf(t, e.App.Store, letterData...); len(held) > 0 {
		t.Errorf("after the erasure of %s these collections still hold its personal data: %v", letter, held)
	}
	if found("88886666") != 0 || found(letter) != 1 {
		t.Errorf("after the erasure the search finds the letter by phone %d times, by number %d", found("88886666"), found(letter))
	}
	var got struct {
		Case complaintbot.Case `json:"case"`
	}
	if st := alice.getJSON("/api/v1/cases/"+letter, &got); st != 200 || got.Case.Channel != complaintbot.ReceivedLetter || got.Case.Branch.Code != "0101" || len(got.Case.Fields) != 0 {
		t.Errorf("the anonymised letter: %d %+v", st, got.Case)
	}
	if st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"case": letter}); st != http.StatusNotFound {
		t.Errorf("the letter erased again: %d %s", st, body)
	}

	// By phone, typed differently: the agent's phone case and the WeChat customer.
	pv = eraseBy(t, e, root, "phone", "138-1234-5678")
	if pv.Preview.Customer != complaintbot.MaskOpenID(custA) || !slices.Contains(pv.Preview.Cases, wechat) || !slices.Contains(pv.Preview.Cases, byPhone) ||
		len(pv.Preview.AgentCases) != 1 || pv.Preview.AgentCases[0] != byPhone {
		t.Errorf("preview of the phone: %+v", pv.Preview)
	}
	if held := holdersOf(t, e.App.Store, custA, "13812345678", "138 1234 5678", "柜员态度很差", "一直看手机", "张先生"); len(held) > 0 {
		t.Errorf("after the erasure by phone these collections still hold the personal data: %v", held)
	}
	if found("13812345678") != 0 || found("一直看手机") != 0 || found(byPhone) != 1 || found(wechat) != 1 {
		t.Errorf("after the erasure by phone the search finds: phone %d, words %d", found("13812345678"), found("一直看手机"))
	}
	if held := holdersOf(t, e.App.Store, custB); held["turns"] == 0 {
		t.Errorf("the other customer's conversation went too: %v", held)
	}
	st, audit := root.do("GET", "/api/v1/audit?type=customer", nil)
	if st != 200 || !strings.Contains(audit, "phone 138****5678") || !strings.Contains(audit, letter) || !strings.Contains(audit, `"user":"root"`) ||
		strings.Contains(audit, "13812345678") || strings.Contains(audit, "88886666") {
		t.Errorf("audit of the erasures: %d %s", st, audit)
	}
}

// Only an admin erases, and what is not an openid, a phone number or a case number is refused
// with a plain Chinese message, on the API and on the page.
func TestEraseRefusesNonAdminAndBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.registerCase(custA, "城东支行", "柜员态度很差")
	root, alice := e.token("root"), e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/erasures", map[string]string{"phone": "13812345678"}); st != http.StatusForbidden {
		t.Errorf("an agent erased by phone: %d %s", st, body)
	}
	if st, _ := e.login("alice").do("GET", "/erase", nil); st != http.StatusForbidden {
		t.Errorf("an agent opened the erase page: %d", st)
	}
	for _, bad := range []string{"张三", "o123 456", "a@b.cn"} {
		st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"openid": bad})
		if st != http.StatusBadRequest || !strings.Contains(body, "无法识别") {
			t.Errorf("erase %q: %d %s", bad, st, body)
		}
	}
	if st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"phone": "13900000000"}); st != http.StatusNotFound || !strings.Contains(body, "未找到") {
		t.Errorf("a phone nobody gave: %d %s", st, body)
	}
	if st, page := e.login("root").do("POST", "/erase", url.Values{"who": {"张三"}}); st != http.StatusBadRequest || !strings.Contains(page, "无法识别") {
		t.Errorf("the page with a bad input: %d", st)
	}
	if held := holdersOf(t, e.App.Store, custA); held["turns"] == 0 {
		t.Errorf("a refused request erased something: %v", held)
	}
}

// acceptedErasure checks that a confirmed erasure was accepted as a request (202, pending) and
// returns its id.
func acceptedErasure(t *testing.T, st int, body string) string {
	t.Helper()
	var r struct {
		Erasure struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"erasure"`
	}
	if st != http.StatusAccepted || json.Unmarshal([]byte(body), &r) != nil || r.Erasure.ID == "" || r.Erasure.Status != string(storage.ErasurePending) {
		t.Fatalf("the confirmed erasure was not accepted as a request: %d %s", st, body)
	}
	return r.Erasure.ID
}

// runErasures runs the background job that carries out the erasure requests, then brings the
// report figures up to date (a drain that ran during the erasure may have written a case's report
// fact from before it; the next drain rewrites it).
func runErasures(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.App.Scheduler.RunOnce(context.Background(), scheduler.JobErasures); err != nil {
		t.Fatal(err)
	}
	drainReports(t, e)
}

// erasureStatus reads a request through the API.
func erasureStatus(t *testing.T, root *client, id string) storage.ErasureRequest {
	t.Helper()
	var r struct {
		Erasure storage.ErasureRequest `json:"erasure"`
	}
	if st := root.getJSON("/api/v1/erasures/"+id, &r); st != 200 {
		t.Fatalf("GET erasure %s: %d", id, st)
	}
	return r.Erasure
}

// The service is killed while the erasure job works on a request (part of it done, the request
// 执行中): after the restart the page lists it as still running, and the next run of the job
// finishes it: the customer's data is gone and the request is done, with its counts.
func TestRestartFinishesAnErasureCutShort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	root := e.token("root")
	var pv erasePreviewJSON
	if st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"case": number}); st != 200 || json.Unmarshal([]byte(body), &pv) != nil {
		t.Fatalf("preview: %d %s", st, body)
	}
	st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"case": number, "confirm": pv.Preview.Confirm})
	id := acceptedErasure(t, st, body)
	// What a run cut short leaves: the request marked running, the case anonymised, the rest not.
	if _, err := e.App.Store.Collection(storage.ErasuresCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: storage.ErasureRunning}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Store.AnonymiseCases(ctx, []string{number}, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if held := holdersOf(t, e.App.Store, custA); held["turns"] == 0 {
		t.Fatalf("the cut-short state is not what the test means: %v", held)
	}
	e.Restart()
	e.url = e.App.ConsoleURL()
	root = e.token("root")
	if st, page := e.login("root").do("GET", "/erase", nil); st != 200 || !strings.Contains(page, id) || !strings.Contains(page, "执行中") {
		t.Fatalf("after the restart the page does not list the running request: %d %s", st, page)
	}
	runErasures(t, e)
	if r := erasureStatus(t, root, id); r.Status != storage.ErasureDone || r.Records == 0 || r.FinishedAt.IsZero() {
		t.Errorf("the request after the restart and the job: %+v", r)
	}
	if held := holdersOf(t, e.App.Store, custA, "柜员态度很差", "13812345678"); len(held) > 0 {
		t.Errorf("after the resumed erasure these collections still hold the customer's data: %v", held)
	}
	st, audit := root.do("GET", "/api/v1/audit?type=customer", nil)
	if st != 200 || !strings.Contains(audit, "customer.erased") || !strings.Contains(audit, id) {
		t.Errorf("the audit trail lacks the result of the resumed request: %d %s", st, audit)
	}
}

// A customer's message about no case on the call list (an idle return with the allowance used
// up) leaves the list, and its count, when the customer's data is erased.
func TestErasureTakesTheCustomersMessagesOffTheCallList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Console.AgentIdleTimeout = config.Duration(10 * time.Minute) })
	idleReturnPastTheAllowance(t, e)
	var calls struct {
		Total int `json:"total"`
	}
	root := e.token("root")
	if st := root.getJSON("/api/v1/calls", &calls); st != 200 || calls.Total != 1 {
		t.Fatalf("the call list before the erasure: %d %+v", st, calls)
	}
	st, body := root.doJSON("POST", "/api/v1/erasures", map[string]string{"openid": custA})
	var pv struct {
		Preview struct {
			Confirm string `json:"confirm"`
		} `json:"preview"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &pv) != nil || pv.Preview.Confirm == "" {
		t.Fatalf("preview: %d %s", st, body)
	}
	st, body = root.doJSON("POST", "/api/v1/erasures", map[string]string{"openid": custA, "confirm": pv.Preview.Confirm})
	acceptedErasure(t, st, body)
	runErasures(t, e)
	if st := root.getJSON("/api/v1/calls", &calls); st != 200 || calls.Total != 0 {
		t.Errorf("the call list after the erasure: %d %+v", st, calls)
	}
}
