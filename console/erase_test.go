package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
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
	var done struct {
		Erased struct {
			Customer string `json:"customer"`
			Records  int    `json:"records"`
		} `json:"erased"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &done) != nil || done.Erased.Records == 0 {
		t.Fatalf("erase: %d %s", st, body)
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
	if st, page := web.do("POST", "/erase", url.Values{"who": {custB}, "confirm": {m[1]}}); st != 200 || !strings.Contains(page, "已删除客户") {
		t.Fatalf("erase confirm page: %d %s", st, page)
	}
	if held := holdersOf(t, e.App.Store, custB, "大堂经理推销理财"); len(held) > 0 {
		t.Errorf("after the erasure on the page these collections still hold the customer's data: %v", held)
	}
}
