package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestWorkingACaseToResolution(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.Deliver()
	before := len(sentTexts(e, custA))
	alice, bob := e.token("alice"), e.login("bob")
	act := func(c *client, action string, body map[string]string) (int, string) {
		t.Helper()
		return c.doJSON("POST", "/api/v1/cases/"+number+"/"+action, body)
	}
	if st, body := act(alice, "accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	if st, body := act(alice, "accept", nil); st != http.StatusConflict || !strings.Contains(body, "王丽") {
		t.Fatalf("second accept: %d %s", st, body)
	}
	// Bob works through the pages (forms with the CSRF token).
	form := func(action string, v url.Values) {
		t.Helper()
		if st, body := bob.do("POST", "/cases/"+number+"/"+action, v); st != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", action, st, body)
		}
	}
	form("assign", url.Values{"assignee": {"bob"}})
	form("departments", url.Values{"responsible": {"城东支行营业室"}, "host": {"城东支行"}, "co_handling": {"个人金融部，运营管理部"}})
	for range 2 { // a double submission adds one note
		form("note", url.Values{"text": {"已调阅监控，<b>内部</b>备注"}, "client_id": {"note-000001"}})
	}
	form("status", url.Values{"from": {"investigating"}, "to": {"escalated"}})
	if st, body := act(alice, "status", map[string]string{"from": "investigating", "to": "received"}); st != http.StatusConflict {
		t.Fatalf("stale status change: %d %s", st, body)
	}
	if st, body := act(alice, "status", map[string]string{"to": "closed"}); st != http.StatusBadRequest {
		t.Fatalf("escalated → closed: %d %s", st, body)
	}
	form("extend", url.Values{"due": {"2026-12-27"}, "text": {"需要调取监控录像核实"}})
	form("malicious", url.Values{"flag": {"1"}, "text": {"多次重复投诉同一事项"}})
	form("coding", url.Values{"jr_channel": {"A0101"}, "jr_business": {"B01"}, "jr_reason": {"C01"}})
	if st, body := act(alice, "resolve", map[string]string{"text": "经核实柜员服务不规范，已批评教育", "reply": "经核实，柜员确有不当，我行已批评教育并向您致歉。"}); st != 200 {
		t.Fatalf("resolve: %d %s", st, body)
	}
	form("status", url.Values{"from": {"resolved"}, "to": {"closed"}})

	rec, err := e.App.Store.Case(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	w := rec.Work
	if rec.Status != complaintbot.StatusClosed || w.Assignee != "bob" || w.AcceptedBy != "alice" || w.Departments.Host != "城东支行" ||
		len(w.Departments.CoHandling) != 2 || w.Malicious == nil || w.Resolution == nil || w.Extensions != 1 ||
		rec.DecisionDue.In(complaintbot.Shanghai).Format("2006-01-02") != "2026-12-27" {
		t.Fatalf("case after the work: %+v %+v", *rec, w)
	}
	notes := 0
	for _, en := range w.Timeline {
		if en.Kind == "note" {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d notes", notes)
	}
	// The customer is told of acceptance, escalation, extension and resolution (notices queued in
	// the outbox, recorded on the timeline), and of nothing internal.
	var notices []string
	for _, en := range w.Timeline {
		if en.Kind != "notice" {
			continue
		}
		m, err := e.App.Store.OutboxMessage(ctx, en.Outbox)
		if err != nil || m.Purpose != "notice" || m.CaseNumber != number || m.Text != en.Text || m.OpenID != custA {
			t.Fatalf("notice %s: %+v %v", en.Outbox, m, err)
		}
		notices = append(notices, m.Text)
	}
	want := []string{"已由工作人员受理", "提交总行", "延长至2026年12月27日", "。处理答复：经核实，柜员确有不当"}
	if len(notices) != len(want) {
		t.Fatalf("notices: %q", notices)
	}
	for i, w := range want {
		if !strings.Contains(notices[i], w) || !strings.Contains(notices[i], number) {
			t.Errorf("notice %d: %q, want %q", i, notices[i], w)
		}
	}
	e.Deliver()
	for _, m := range sentTexts(e, custA)[before:] {
		if strings.Contains(m, "内部") || strings.Contains(m, "多次重复") || strings.Contains(m, "批评教育\n") {
			t.Errorf("internal text sent to the customer: %q", m)
		}
	}
	// The case page and its timeline show it all, escaped.
	st, page := bob.do("GET", "/cases/"+number, nil)
	if st != 200 || !strings.Contains(page, "城东支行营业室") || !strings.Contains(page, "恶意投诉") {
		t.Fatalf("case page: %d", st)
	}
	st, tl := bob.do("GET", "/cases/"+number+"/timeline", nil)
	for _, w := range []string{"已调阅监控，&lt;b&gt;内部&lt;/b&gt;备注", "已处理完毕", "状态：调查处理中 → 已提交总行处理", "处理期限", "柜员态度很差", "通知客户"} {
		if st != 200 || !strings.Contains(tl, w) {
			t.Errorf("timeline lacks %q", w)
		}
	}
	// Every action is in the audit trail with before and after.
	log, err := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "case", Target: number})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range log {
		got[a.User+":"+a.Action] = true
		if a.Action == "case.assign" && (a.Before != "alice" || a.After != "bob") {
			t.Errorf("assign audit: %+v", a)
		}
	}
	for _, w := range []string{"alice:case.accept", "bob:case.assign", "bob:case.departments", "bob:case.note", "bob:case.status", "bob:case.extend",
		"bob:case.malicious", "bob:case.coding", "alice:case.resolve"} {
		if !got[w] {
			t.Errorf("audit lacks %s: %v", w, got)
		}
	}
	// Supervisors read their branches' trail.
	var trail struct{ Entries []storage.AuditEntry }
	if st := e.token("sue").getJSON("/api/v1/audit?type=case&target="+number, &trail); st != 200 || len(trail.Entries) < 8 {
		t.Fatalf("sue's audit: %d %d", st, len(trail.Entries))
	}
	if e.token("root").getJSON("/api/v1/audit?type=case&target="+number, &trail); len(trail.Entries) < 8 {
		t.Fatalf("root's audit: %d", len(trail.Entries))
	}
	// The audit page names the actions in Chinese.
	st, page = e.login("sue").do("GET", "/audit?type=case&target="+number, nil)
	for _, w := range []string{"受理案件", "指派承办人", "添加内部备注", "延长处理期限", "办结答复"} {
		if st != 200 || !strings.Contains(page, w) {
			t.Errorf("audit page lacks %q", w)
		}
	}
}

// An action whose audit entry cannot be written is not carried out, and the agent is told so.
func TestCaseActionWithoutAuditEntryFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	alice := e.token("alice") // logged in first: a login is audited too
	// Every audit entry about this case now collides with one already there.
	audit := e.App.Store.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "target_type", Value: 1}, {Key: "target", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "target_type", Value: "case"}, {Key: "target", Value: number}}); err != nil {
		t.Fatal(err)
	}
	st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/accept", nil)
	if st != http.StatusInternalServerError || !strings.Contains(body, "操作记录无法写入，本次操作未执行") {
		t.Fatalf("accept without its audit entry: %d %s", st, body)
	}
	rec, err := e.App.Store.Case(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != complaintbot.StatusReceived || rec.Work.AcceptedAt != nil || len(rec.Work.Timeline) != 0 {
		t.Fatalf("the case changed: %s %+v", rec.Status, rec.Work)
	}
}

func TestCustomerHTMLIsShownAsText(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	alice := e.login("alice")
	if st, _ := alice.do("POST", "/conversations/"+custA+"/claim", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("claim: %d", st)
	}
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	e.Sim.Text(custA, evil)
	for _, p := range []string{"/conversations/" + custA, "/conversations/" + custA + "/messages"} {
		st, body := alice.do("GET", p, nil)
		if st != 200 || strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Fatalf("%s: %d\n%s", p, st, body)
		}
	}
}
