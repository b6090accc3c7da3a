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
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
)

// phoneComplaint is a complaint an agent of 城东支行 takes by phone, as the form is filled in.
func phoneComplaint(token string) url.Values {
	return url.Values{"token": {token}, "kind": {"complaint"}, "channel": {"phone"}, "category": {"attitude"}, "branch": {"0101"},
		"occurred": {"昨天下午3点"}, "description": {"柜员办理转账时一直看手机，让我等了四十分钟"}, "request": {"希望支行道歉"},
		"phone": {"138 1234 5678"}, "name": {"张先生"}}
}

// countCases is how many cases the service holds.
func countCases(t *testing.T, e *env) int {
	t.Helper()
	cs, err := e.App.Store.ListCases(context.Background(), storage.CaseFilter{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

var tokenInPage = regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`)

// An agent registers a phone complaint: the form's answers are read back in the bot's words (the
// flow file's read-back), nothing is registered until 确认登记, a double submission registers one
// case, and the case has the bot's numbering and deadlines, the receiving channel and no openid.
func TestRegisterPhoneComplaintAfterReadback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	alice := e.login("alice")
	st, page := alice.do("GET", "/cases/new", nil)
	m := tokenInPage.FindStringSubmatch(page)
	if st != 200 || m == nil || !strings.Contains(page, "受理渠道") || !strings.Contains(page, "城东支行") || strings.Contains(page, "城西支行") {
		t.Fatalf("form: %d %s", st, page)
	}
	form := phoneComplaint(m[1])
	form.Set("step", "check")
	st, page = alice.do("POST", "/cases/new", form)
	for _, want := range []string{"为避免误解，我把您反映的内容复述一遍，请核对：", "类型：投诉", "网点：城东支行", "联系电话：13812345678",
		"受理渠道：电话", "联系人：张先生", "确认登记", "修改"} {
		if st != 200 || !strings.Contains(page, want) {
			t.Fatalf("read-back lacks %q: %d %s", want, st, page)
		}
	}
	if n := countCases(t, e); n != 0 {
		t.Fatalf("%d cases registered before the confirmation", n)
	}
	readBack := page
	// 修改 shows the form again as filled.
	form.Set("step", "edit")
	if st, page = alice.do("POST", "/cases/new", form); st != 200 || !strings.Contains(page, "柜员办理转账时一直看手机") || !strings.Contains(page, "newcase-form") {
		t.Fatalf("edit: %d %s", st, page)
	}
	// The agent confirms after midnight: "昨天" is still the day the customer heard read back.
	asOf := regexp.MustCompile(`name="as_of" value="(\d+)"`).FindStringSubmatch(readBack)
	if asOf == nil {
		t.Fatalf("no as_of in the read-back: %s", readBack)
	}
	form.Set("as_of", asOf[1])
	e.Clock.Advance(15 * time.Hour)
	alice = e.login("alice") // the night logged the agent out
	form.Del("_csrf")
	form.Set("step", "confirm")
	st, _ = alice.do("POST", "/cases/new", form)
	st2, _ := alice.do("POST", "/cases/new", form) // the agent clicked twice
	if st != http.StatusSeeOther || st2 != http.StatusSeeOther {
		t.Fatalf("confirm: %d, again %d", st, st2)
	}
	if n := countCases(t, e); n != 1 {
		t.Fatalf("a double submission registered %d cases", n)
	}
	number := "TS20261128-0001"
	c, err := e.App.Store.Case(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	reg := e.App.Registry
	now := e.Clock.Now()
	if c.Channel != complaintbot.ReceivedPhone || c.OpenID != "" || c.Branch.Code != "0101" || c.Fields[complaintbot.FieldPhone] != "13812345678" ||
		c.Fields[complaintbot.FieldName] != "张先生" || c.Referral != nil || c.Category == nil || c.Category.Code != "attitude" ||
		!c.ReplyDue.Equal(reg.Calendar.Due(now, reg.ReplyDays, reg.ReplyUnit)) || !c.DecisionDue.Equal(reg.Calendar.Due(now, reg.DecisionDays, calendar.CalendarDays)) ||
		c.Occurred == nil || c.Occurred.In(complaintbot.Shanghai).Format("2006-01-02 15") != "2026-11-26 15" {
		t.Fatalf("registered case: %+v", c)
	}
	// The case page shows the receiving channel; the bot's next case takes the next number.
	if st, page = alice.do("GET", "/cases/"+number, nil); st != 200 || !strings.Contains(page, "受理渠道") || !strings.Contains(page, "电话") ||
		!strings.Contains(page, "已登记，编号 "+number+"。请告知客户案件编号，并告知我们将在2026年12月2日前答复。") ||
		strings.Contains(page, "查看会话") {
		t.Fatalf("case page: %d %s", st, page)
	}
	if got := e.registerCase(custA, "城东支行", "柜员态度很差"); got != "TS20261128-0002" {
		t.Fatalf("the bot's next case is %s", got)
	}
	trail, err := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "case", Target: number})
	if err != nil || len(trail) != 1 || trail[0].Action != "case.register" || trail[0].User != "alice" {
		t.Fatalf("audit trail: %+v %v", trail, err)
	}
}

// A refused form names each bad field in plain Chinese, with the bot's own rules (the flow file's
// messages), and registers nothing.
func TestRegisterRefusesBadFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	alice := e.login("alice")
	form := phoneComplaint(strings.Repeat("a", 32))
	form.Set("step", "confirm")
	form.Set("phone", "12345")
	form.Set("description", "很差")
	form.Set("occurred", "明天上午10点")
	form.Set("channel", "")
	st, page := alice.do("POST", "/cases/new", form)
	for _, want := range []string{
		"抱歉，这似乎不是有效的电话号码。",      // flows: messages.phone_invalid
		"内容有点少，请再具体说一下（至少8个字）。", // messages.text_too_short with the step's min
		"还没有到", // messages.date_future
		"请选择受理渠道",
	} {
		if st != http.StatusBadRequest || !strings.Contains(page, want) {
			t.Fatalf("refusal lacks %q: %d %s", want, st, page)
		}
	}
	if n := countCases(t, e); n != 0 {
		t.Fatalf("a refused form registered %d cases", n)
	}
	// An agent of another branch cannot register for 城东支行.
	carol := e.login("carol")
	form = phoneComplaint(strings.Repeat("b", 32))
	form.Set("step", "confirm")
	if st, page = carol.do("POST", "/cases/new", form); st != http.StatusBadRequest || !strings.Contains(page, "您只能为本人所属网点登记") {
		t.Fatalf("carol registers for 0101: %d %s", st, page)
	}
	if n := countCases(t, e); n != 0 {
		t.Fatalf("carol registered %d cases", n)
	}
}

// newCaseJSON is POST /api/v1/cases's answer.
type newCaseJSON struct {
	Token    string
	Number   string
	Error    string
	Problems []struct{ Field, Message string }
	Readback struct {
		Header string
		Lines  []string
	}
	Case struct {
		Channel     string
		DecisionDue time.Time `json:"decision_due"`
		ReplyDue    time.Time `json:"reply_due"`
		Referral    *struct {
			Authority, Number string
			ReplyBy           time.Time `json:"reply_by"`
		}
	}
}

// A regulator's referral registered through the API keeps its number and its own reply date,
// which, being earlier than the fifteen days, becomes the decision deadline the reminders follow.
// The agent's notice to a customer who has no WeChat account goes to the call list, also where a
// template message could have carried it to a WeChat customer.
func TestAPIRegisterRegulatorReferral(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Scheduler.Templates = map[string]string{"progress": "TPL-PROGRESS"} })
	root := e.token("root")
	body := map[string]any{"kind": "complaint", "channel": "regulator", "category": "fees", "branch": "0101", "occurred": "2026-11-20",
		"description": "信用卡年费未经同意被扣除三百元", "request": "退还年费", "phone": "0571-88886666",
		"referral_authority": "12378", "referral_number": "", "referral_reply_by": "2026-12-04"}
	var res newCaseJSON
	st, out := root.doJSON("POST", "/api/v1/cases", body)
	if json.Unmarshal([]byte(out), &res) != nil || st != http.StatusBadRequest || len(res.Problems) != 1 || res.Problems[0].Field != "referral_number" {
		t.Fatalf("referral without a number: %d %s", st, out)
	}
	body["referral_number"] = "12378-2026-0456"
	res = newCaseJSON{}
	st, out = root.doJSON("POST", "/api/v1/cases", body)
	if json.Unmarshal([]byte(out), &res) != nil || st != 200 || res.Token == "" || res.Readback.Header == "" ||
		!strings.Contains(strings.Join(res.Readback.Lines, "\n"), "12378-2026-0456") {
		t.Fatalf("check: %d %s", st, out)
	}
	if n := countCases(t, e); n != 0 {
		t.Fatalf("the check registered %d cases", n)
	}
	body["token"], body["confirm"] = res.Token, true
	res = newCaseJSON{}
	st, out = root.doJSON("POST", "/api/v1/cases", body)
	if json.Unmarshal([]byte(out), &res) != nil || st != http.StatusCreated || res.Number != "TS20261127-0001" {
		t.Fatalf("confirm: %d %s", st, out)
	}
	replyBy := time.Date(2026, 12, 4, 23, 59, 59, 999000000, complaintbot.Shanghai)
	if r := res.Case.Referral; r == nil || r.Authority != "12378" || r.Number != "12378-2026-0456" || !r.ReplyBy.Equal(replyBy) ||
		res.Case.Channel != "regulator" || !res.Case.DecisionDue.Equal(replyBy) {
		t.Fatalf("referral case: %s", out)
	}
	again := newCaseJSON{}
	if st, out = root.doJSON("POST", "/api/v1/cases", body); json.Unmarshal([]byte(out), &again) != nil || st != 200 || again.Number != res.Number {
		t.Fatalf("confirm again: %d %s", st, out)
	}
	if n := countCases(t, e); n != 1 {
		t.Fatalf("%d cases", n)
	}
	// The case page shows the referral.
	if st, page := e.login("root").do("GET", "/cases/"+res.Number, nil); st != 200 || !strings.Contains(page, "12378-2026-0456") || !strings.Contains(page, "监管转办") {
		t.Fatalf("case page: %d %s", st, page)
	}

	// Accepting the case tells the customer: with no WeChat account, the notice is for a call.
	alice := e.token("alice")
	if st, out := alice.doJSON("POST", "/api/v1/cases/"+res.Number+"/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, out)
	}
	e.Deliver()
	var list struct {
		Calls []struct {
			Case, Phone, Status string
			LastError           string `json:"last_error"`
		}
	}
	// Not tried through WeChat (which would refuse the empty openid): straight to the call list.
	if st := alice.getJSON("/api/v1/calls", &list); st != 200 || len(list.Calls) != 1 || list.Calls[0].Case != res.Number ||
		list.Calls[0].Phone != "0571-88886666" || list.Calls[0].Status != string(complaintbot.OutboxUndeliverable) ||
		!strings.Contains(list.Calls[0].LastError, "no WeChat account") {
		t.Fatalf("call list: %d %+v", st, list)
	}
}
