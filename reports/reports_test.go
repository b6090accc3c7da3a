package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
	"github.com/xuri/excelize/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

var (
	now     = time.Date(2026, 11, 30, 12, 0, 0, 0, complaintbot.Shanghai)
	catSvc  = &complaintbot.Category{Code: "SVC", Name: "服务态度", Channel: "01", Business: "B1", Reason: "R1"}
	catFee  = &complaintbot.Category{Code: "FEE", Name: "收费", Channel: "02", Business: "B2", Reason: "R2"}
	east    = complaintbot.Branch{Code: "0101", Name: "城东支行"}
	west    = complaintbot.Branch{Code: "0201", Name: "城西支行"}
	minutes = time.Minute
)

func nov(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, complaintbot.Shanghai) }

type seedCase struct {
	number   string
	kind     complaintbot.Kind
	branch   complaintbot.Branch
	cat      *complaintbot.Category
	agent    string
	openid   string
	received time.Time
	reply    time.Duration // 0: no reply
	resolve  time.Duration // 0: not resolved
	status   complaintbot.Status
	survey   complaintbot.SurveyStatus
	rating   int
	comment  string
	followUp storage.FollowUpStatus
}

// The cases of the tests; the expected figures below are computed by hand from this table.
var seed = []seedCase{
	{"TS20261102-0001", complaintbot.KindComplaint, east, catSvc, "alice", "oX", nov(2), 60 * minutes, 2 * 24 * time.Hour, complaintbot.StatusResolved, complaintbot.SurveyAnswered, 5, "很好", ""},
	{"TS20261103-0001", complaintbot.KindComplaint, east, catSvc, "alice", "oX", nov(3), 4 * 24 * time.Hour, 20 * 24 * time.Hour, complaintbot.StatusClosed, complaintbot.SurveyAnswered, 2, "太慢", storage.FollowUpOpen},
	{"TS20261110-0001", complaintbot.KindComplaint, east, catFee, "bob", "oY", nov(10), 30 * minutes, 0, complaintbot.StatusInvestigating, "", 0, "", ""},
	{"TS20261120-0001", complaintbot.KindComplaint, west, catFee, "carol", "oZ", nov(20), 0, 0, complaintbot.StatusReceived, "", 0, "", ""},
	{"JY20261128-0001", complaintbot.KindSuggestion, west, catSvc, "carol", "oX", nov(28), 120 * minutes, 24 * time.Hour, complaintbot.StatusResolved, complaintbot.SurveySent, 0, "", ""},
	{"TS20261105-0001", complaintbot.KindComplaint, east, catSvc, "alice", "oW", nov(5), 10 * minutes, 3 * 24 * time.Hour, complaintbot.StatusResolved, complaintbot.SurveyExpired, 0, "", ""},
	{"TS20261106-0001", complaintbot.KindComplaint, east, catSvc, "bob", "oV", nov(6), 20 * minutes, 24 * time.Hour, complaintbot.StatusResolved, complaintbot.SurveyAnswered, 4, "", ""},
	{"TS20261030-0001", complaintbot.KindComplaint, east, catSvc, "alice", "oX", time.Date(2026, 10, 30, 10, 0, 0, 0, complaintbot.Shanghai), 60 * minutes, 24 * time.Hour, complaintbot.StatusResolved, "", 0, "", ""},
}

func seedStore(t testing.TB, st *storage.Store) {
	t.Helper()
	ctx := context.Background()
	for _, s := range seed {
		c := complaintbot.Case{}
		c.Number, c.Kind, c.Status, c.OpenID, c.Category, c.Branch, c.Received = s.number, s.kind, s.status, s.openid, s.cat, s.branch, s.received
		c.ReplyDue, c.DecisionDue = s.received.Add(3*24*time.Hour), s.received.Add(15*24*time.Hour)
		c.SourceTurn, c.Updated = "turn-"+s.number, s.received
		if s.cat != nil { // the case is coded with its category's (made-up) codes: the figures group by the case's coding
			c.Coding = taxonomy.Coding{Channel: s.cat.Channel, Business: s.cat.Business, Reason: s.cat.Reason}
		}
		c.Fields = map[string]string{complaintbot.FieldPhone: "13812345678", complaintbot.FieldName: "客户" + s.openid, complaintbot.FieldDescription: "柜员态度差 " + s.number}
		c.Work.Assignee = s.agent
		c.Work.Departments.Responsible = "运营部"
		if s.reply > 0 {
			at := s.received.Add(s.reply)
			c.RepliedAt = &at
		}
		if s.resolve > 0 {
			c.Work.Resolution = &complaintbot.Resolution{Text: "已核实并致歉", Reply: "向客户致歉", By: s.agent, At: s.received.Add(s.resolve)}
		}
		if s.survey != "" {
			sv := bson.D{{Key: "_id", Value: s.number + "#1"}, {Key: "subject", Value: "case"}, {Key: "case", Value: s.number}, {Key: "round", Value: 1},
				{Key: "status", Value: s.survey}, {Key: "rating", Value: s.rating}, {Key: "low", Value: s.rating > 0 && s.rating <= 2},
				{Key: "comment", Value: s.comment}, {Key: "sent_at", Value: s.received.Add(s.resolve)}}
			if _, err := st.Collection("surveys").InsertOne(ctx, sv); err != nil {
				t.Fatal(err)
			}
			if s.survey == complaintbot.SurveyAnswered {
				c.Satisfaction = &complaintbot.Satisfaction{Survey: s.number + "#1", Rating: s.rating, Comment: s.comment}
			}
		}
		if s.followUp != "" {
			if _, err := st.Collection("follow_ups").InsertOne(ctx, bson.D{{Key: "_id", Value: storage.FollowUpID(s.number + "#1")}, {Key: "status", Value: s.followUp}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Collection("cases").InsertOne(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

func novFilter() reports.Filter {
	return reports.Filter{From: nov(1), To: time.Date(2026, 11, 30, 0, 0, 0, 0, complaintbot.Shanghai)}
}

// setup seeds the cases and rebuilds the reports.
func setup(t testing.TB) (*storage.Store, *reports.Service, *complaintbot.ManualClock) {
	t.Helper()
	st := storagetest.Open(t)
	seedStore(t, st)
	clock := complaintbot.NewManualClock(now)
	svc := reports.New(st, clock, slog.New(slog.DiscardHandler))
	if err := svc.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, svc, clock
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func TestDashboardFiguresMatchHandComputedValues(t *testing.T) {
	st, svc, _ := setup(t)
	ctx := context.Background()
	d, err := svc.Dashboard(ctx, novFilter())
	if err != nil {
		t.Fatal(err)
	}
	// November: 7 cases (the October one is outside the period). Overdue now: TS20261110-0001, past
	// its decision deadline, and TS20261120-0001, unanswered past its reply date.
	same(t, "total", d.Total, reports.Figures{Cases: 7,
		Surveys: 5, Answered: 3, Expired: 1, Response: f64(0.6), Ratings: [5]int64{0, 1, 0, 1, 1}, AvgRating: f64(3.67), Satisfied: 2, SatShare: f64(0.6667),
		ReplyMet: 5, ReplyMissed: 2, ReplyShare: f64(0.7143), DecisionMet: 4, DecisionMissed: 2, DecisionShare: f64(0.6667), Overdue: 2,
		Replies: 6, ReplyAvg: f64(1000), ReplyP90: i64(5760), Resolved: 5, ResolveAvg: f64(7776), ResolveP90: i64(28800)})
	if d.Trend != "week" {
		t.Errorf("trend %q", d.Trend)
	}
	var weeks []string
	var perWeek []int64
	for _, g := range d.ByPeriod {
		weeks, perWeek = append(weeks, g.Key), append(perWeek, g.Cases)
	}
	same(t, "weeks", weeks, []string{"2026-W45", "2026-W46", "2026-W47", "2026-W48"})
	same(t, "cases per week", perWeek, []int64{4, 1, 1, 1})
	byBranch := map[string]reports.Group{}
	for _, g := range d.ByBranch {
		byBranch[g.Key] = g
	}
	if g := byBranch["0101"]; g.Cases != 5 || g.Label != "城东支行" || *g.AvgRating != 3.67 || g.Answered != 3 || g.Overdue != 1 {
		t.Errorf("0101: %+v", g)
	}
	if g := byBranch["0201"]; g.Cases != 2 || g.AvgRating != nil || g.Surveys != 1 || *g.Response != 0 || *g.ReplyShare != 0.5 {
		t.Errorf("0201: %+v", g)
	}
	agents := map[string]int64{}
	for _, g := range d.ByAgent {
		agents[g.Key] = g.Cases
		if g.Key == "alice" && (*g.AvgRating != 3.5 || g.Answered != 2) {
			t.Errorf("alice: %+v", g)
		}
	}
	same(t, "agents", agents, map[string]int64{"alice": 3, "bob": 2, "carol": 2})
	same(t, "kinds", groupsOf(d.ByKind), map[string]int64{"complaint": 6, "suggestion": 1})
	// Complaint volume counts the six complaints, not the suggestion (JY20261128-0001, channel 01).
	same(t, "channels", groupsOf(d.ByChannel), map[string]int64{"01": 4, "02": 2})
	same(t, "complaints", d.Complaints, int64(6))
	same(t, "top reasons", d.TopReasons[0].Label, "服务态度")
	if d.RepeatCustomers != 1 || d.RepeatCases != 3 || len(d.Repeats) != 1 || d.Repeats[0].Customer != reports.CustomerKey("oX") {
		t.Errorf("repeats: %d %d %+v", d.RepeatCustomers, d.RepeatCases, d.Repeats)
	}
	if len(d.Low) != 1 || d.Low[0].Number != "TS20261103-0001" || d.Low[0].Comment != "太慢" || d.Low[0].FollowUp != "open" || d.Low[0].Rating != 2 {
		t.Errorf("low ratings: %+v", d.Low)
	}

	// The same month by month reads the month's rollup, and gives the same totals.
	f := novFilter()
	f.Trend = "month"
	m, err := svc.Dashboard(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Periods != 1 || len(m.ByPeriod) != 1 || m.ByPeriod[0].Key != "2026-11" {
		t.Errorf("month trend read %d rollups: %+v", m.Periods, m.ByPeriod)
	}
	same(t, "month total", m.Total, d.Total)

	// Filters: agent alice.
	f = novFilter()
	f.Agent = "alice"
	a, err := svc.Dashboard(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if a.Total.Cases != 3 || *a.Total.AvgRating != 3.5 || a.Total.Surveys != 3 || a.Total.Expired != 1 || *a.Total.ReplyP90 != 5760 {
		t.Errorf("alice's figures: %+v", a.Total)
	}

	// A change to a case is seen after a refresh: TS20261110-0001 is resolved today, late.
	at := now.Add(-time.Hour)
	_, err = st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261110-0001"}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: complaintbot.StatusResolved}, {Key: "work.resolution", Value: complaintbot.Resolution{Text: "退费", By: "bob", At: at}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshCases(ctx, "TS20261110-0001"); err != nil {
		t.Fatal(err)
	}
	d2, err := svc.Dashboard(ctx, novFilter())
	if err != nil {
		t.Fatal(err)
	}
	// Resolved 20 days 1 hour after receipt: 28860 minutes; still a missed decision, no longer
	// overdue. TS20261120-0001, unanswered past its reply date, still is.
	if d2.Total.Overdue != 1 || d2.Total.DecisionMissed != 2 || d2.Total.Resolved != 6 || *d2.Total.ResolveAvg != 11290 /* (38880+28860)/6 */ {
		t.Errorf("after the change: %+v", d2.Total)
	}
}

func groupsOf(gs []reports.Group) map[string]int64 {
	out := map[string]int64{}
	for _, g := range gs {
		out[g.Key] = g.Cases
	}
	return out
}

func TestScopeKeepsOtherBranchesOut(t *testing.T) {
	_, svc, _ := setup(t)
	ctx := context.Background()
	f := novFilter()
	f.Scope = []string{"0201"}
	d, err := svc.Dashboard(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Cases != 2 || d.Total.Answered != 0 || len(d.Low) != 0 || d.RepeatCustomers != 0 {
		t.Errorf("0201's dashboard: %+v low %v", d.Total, d.Low)
	}
	for _, g := range d.ByBranch {
		if g.Key != "0201" {
			t.Errorf("0201's dashboard shows branch %s", g.Key)
		}
	}
	// Asking for another branch inside the scope gives nothing.
	f.Branch = "0101"
	if d, err = svc.Dashboard(ctx, f); err != nil || d.Total.Cases != 0 {
		t.Errorf("0101 through 0201's scope: %v %+v", err, d)
	}
	rows, err := svc.Cases(ctx, f)
	if err != nil || len(rows) != 0 {
		t.Errorf("0101's rows through 0201's scope: %v %d", err, len(rows))
	}
	f.Branch = ""
	rows, err = svc.Cases(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, r := range rows {
		numbers = append(numbers, r.Number)
	}
	same(t, "0201's rows", numbers, []string{"TS20261120-0001", "JY20261128-0001"})
}

func TestExportsAndRegister(t *testing.T) {
	_, svc, _ := setup(t)
	ctx := context.Background()
	f := novFilter()
	f.Branch = "0101"
	rows, err := svc.Cases(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reports.WriteXLSX(&buf, rows, false); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.GetRows("案件清单")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("%d rows", len(got))
	}
	same(t, "header", got[0], reports.CaseHeader)
	// The first row, field by field.
	want := []string{"TS20261102-0001", "投诉", "2026-11-02 10:00", "2026-11-05 10:00", "2026-11-17 10:00", "2026-11-02 11:00", "2026-11-04 10:00",
		"0101", "城东支行", "服务态度", "01", "B1", "R1", "已处理完毕", "是", "是", "否", "60", "2880", "5", "很好", "", "alice", "138****5678", "微信公众号"}
	same(t, "row 1", got[1], want)
	if got[2][0] != "TS20261103-0001" || got[2][14] != "否" || got[2][15] != "否" || got[2][19] != "2" || got[2][21] != "待回访" {
		t.Errorf("row 2: %v", got[2])
	}
	buf.Reset()
	if err := reports.WriteCSV(&buf, rows, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "13812345678") || strings.Count(buf.String(), "\n") != 6 {
		t.Errorf("full csv: %s", buf.String())
	}

	reg, err := svc.Register(ctx, nil, "0101", "2026-11", false)
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, r := range reg.Rows {
		nums = append(nums, r.Number)
	}
	same(t, "register", nums, []string{"TS20261102-0001", "TS20261103-0001", "TS20261105-0001", "TS20261106-0001", "TS20261110-0001"})
	r2 := reg.Rows[1]
	if r2.Customer != "客户oX 138****5678" || r2.Department != "运营部" || r2.Satisfaction != "2 分（不满意）：太慢" || r2.Result != "已办结（超期）" || r2.Handler != "alice" {
		t.Errorf("register row 2: %+v", r2)
	}
	buf.Reset()
	if err := reg.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err = excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = x.GetRows("投诉登记簿")
	if len(got) != 9 || !slices.Equal(got[1], reports.RegisterHeader) || got[3][1] != "TS20261103-0001" || got[3][2] != "2026-11-03" || got[8][0] != reports.SignOff {
		t.Errorf("register sheet: %q", got)
	}
	// Outside the scope: nothing.
	if reg, err = svc.Register(ctx, []string{"0201"}, "0101", "2026-11", false); err != nil || len(reg.Rows) != 0 {
		t.Errorf("0101's register through 0201's scope: %v %+v", err, reg)
	}
}

func TestRepairRedatesOverdueCases(t *testing.T) {
	_, svc, clock := setup(t)
	ctx := context.Background()
	// A repair now changes nothing (and notes that 20 November's next deadline is 5 December).
	if err := svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 12, 4, 9, 0, 0, 0, complaintbot.Shanghai))
	if err := svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	// On 6 December TS20261120-0001 (decision due 5 December) is overdue, with no change to the case.
	clock.Set(time.Date(2026, 12, 6, 9, 0, 0, 0, complaintbot.Shanghai))
	if err := svc.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	f := novFilter()
	f.Branch = "0201"
	d, err := svc.Dashboard(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Overdue != 1 || d.Total.DecisionMissed != 1 {
		t.Errorf("after the repair: %+v", d.Total)
	}
}

// The case changes the bus announces (the console's case workflow) become durable marks as they
// arrive: one announced just before a shutdown is still drained, by a new service on the same
// database, after the restart.
func TestRunMarksTheCasesTheBusAnnouncesDurably(t *testing.T) {
	st, _, clock := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := &events.Bus{}
	svc := reports.New(st, clock, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx, bus)
	}()
	// Wait until Run listens: an announcement of an unchanged case is marked. (At most 32
	// announcements, so that the bus's buffer of 64 keeps room for the one below.)
	listening := false
	for i := 0; i < 32 && !listening; i++ {
		bus.Publish(events.Event{Kind: events.Case, Ref: "TS20261102-0001"})
		for j := 0; j < 200 && !listening; j++ {
			marks, err := st.PendingReports(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			listening = len(marks) > 0
			runtime.Gosched()
		}
	}
	if !listening {
		t.Fatal("Run never marked an announced case")
	}
	// TS20261120-0001 is assigned to dave; the console announces it, and the service stops.
	_, err := st.Collection("cases").UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "TS20261120-0001"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "work.assignee", Value: "dave"}}}})
	if err != nil {
		t.Fatal(err)
	}
	bus.Publish(events.Event{Kind: events.Case, Ref: "TS20261120-0001"})
	cancel()
	<-done
	f := novFilter()
	f.Agent = "dave"
	restarted := reports.New(st, clock, slog.New(slog.DiscardHandler))
	if n, err := restarted.Drain(context.Background()); err != nil || n != 2 {
		t.Fatalf("drained %d cases: %v", n, err)
	}
	d, err := restarted.Dashboard(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Cases != 1 {
		t.Fatalf("dave's cases after the restart: %d", d.Total.Cases)
	}
}
