package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/xuri/excelize/v2"
)

// reportEnv registers a complaint about 城东支行 (custA, rated 5) and one about 城西支行 (custB,
// rated 1: a low rating with a follow-up), and rebuilds the reports.
func reportEnv(t *testing.T) (e *env, east, west string) {
	t.Helper()
	e = newEnv(t, nil)
	east = e.registerCase(custA, "城东支行", "柜员态度很差")
	west = e.registerCase(custB, "城西支行", "收费不透明")
	ctx := context.Background()
	st := e.App.Store
	now := e.Clock.Now()
	for _, s := range []struct {
		number, openid, branch string
		rating                 int
	}{{east, custA, "0101", 5}, {west, custB, "0201", 1}} {
		sv := storage.NewSurvey(complaintbot.Survey{ID: s.number + "#1", Subject: complaintbot.SurveyOfCase, Case: s.number, Round: 1, OpenID: s.openid,
			Kind: "complaint", Branch: s.branch, By: "system"}, now, now.Add(72*time.Hour))
		if _, err := st.InsertSurveys(ctx, []complaintbot.Survey{sv}); err != nil {
			t.Fatal(err)
		}
		if err := st.AnswerSurvey(ctx, storage.SurveyAnswer{Survey: sv.ID, Rating: s.rating, Low: s.rating <= 2, Turn: "turn-" + s.number, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CommentSurvey(ctx, west+"#1", "收费没有事先说明"); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Console.Reports().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return e, east, west
}

func TestReportsAreScopedToTheSupervisorsBranches(t *testing.T) {
	t.Parallel()
	e, east, west := reportEnv(t)
	const period = "?from=2026-11-01&to=2026-11-30"
	rootC, sueC := e.token("root"), e.token("sue")

	var root, sue reports.Dashboard
	if st := rootC.getJSON("/api/v1/reports/dashboard"+period, &root); st != 200 {
		t.Fatalf("root's dashboard: %d", st)
	}
	// Head office: two cases, ratings 5 and 1.
	if root.Total.Cases != 2 || root.Total.Answered != 2 || *root.Total.AvgRating != 3 || *root.Total.SatShare != 0.5 || root.Total.Ratings != [5]int64{1, 0, 0, 0, 1} {
		t.Errorf("root's totals: %+v", root.Total)
	}
	if len(root.Low) != 1 || root.Low[0].Number != west || root.Low[0].Comment != "收费没有事先说明" || root.Low[0].FollowUp != "open" {
		t.Errorf("root's low ratings: %+v", root.Low)
	}
	// sue supervises 0101 only: never 0201's figures or rows.
	if st := sueC.getJSON("/api/v1/reports/dashboard"+period, &sue); st != 200 {
		t.Fatalf("sue's dashboard: %d", st)
	}
	if sue.Total.Cases != 1 || *sue.Total.AvgRating != 5 || len(sue.Low) != 0 || len(sue.ByBranch) != 1 || sue.ByBranch[0].Key != "0101" {
		t.Errorf("sue's dashboard: %+v %+v", sue.Total, sue.ByBranch)
	}
	for _, p := range []string{"/api/v1/reports/dashboard" + period + "&branch=0201", "/api/v1/reports/cases" + period + "&branch=0201",
		"/api/v1/reports/register?branch=0201&month=2026-11", "/api/v1/reports/cases.xlsx" + period + "&branch=0201"} {
		if st, body := sueC.do("GET", p, nil); st != 404 || strings.Contains(body, west) {
			t.Errorf("sue GET %s: %d %s", p, st, body)
		}
	}
	if st, _ := e.token("alice").do("GET", "/api/v1/reports/dashboard"+period, nil); st != 403 {
		t.Errorf("an agent's dashboard: %d", st)
	}
	var rows struct{ Cases []storage.ReportFact }
	if st := sueC.getJSON("/api/v1/reports/cases"+period, &rows); st != 200 || len(rows.Cases) != 1 || rows.Cases[0].Number != east ||
		rows.Cases[0].Phone != "138****5678" {
		t.Errorf("sue's rows: %d %+v", st, rows)
	}
	// An admin may export whole phone numbers; a supervisor's full=1 is ignored.
	if _, body := sueC.do("GET", "/api/v1/reports/cases.csv"+period+"&full=1", nil); !strings.Contains(body, "138****5678") || strings.Contains(body, west) {
		t.Errorf("sue's csv: %s", body)
	}
	if _, body := rootC.do("GET", "/api/v1/reports/cases.csv"+period+"&full=1", nil); !strings.Contains(body, "13812345678") || !strings.Contains(body, west) {
		t.Errorf("root's full csv: %s", body)
	}
	var reg reports.Register
	if st := sueC.getJSON("/api/v1/reports/register?month=2026-11", &reg); st != 200 || len(reg.Rows) != 1 || reg.Rows[0].Number != east ||
		reg.Rows[0].Satisfaction != "5 分（非常满意）" || reg.Branch != "0101" {
		t.Errorf("sue's register: %d %+v", st, reg)
	}
	// Every export is in the audit trail.
	entries, err := e.App.Store.AuditLog(context.Background(), storage.AuditFilter{TargetType: "report", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var exports []string
	for _, a := range entries {
		exports = append(exports, a.User+" "+a.After)
	}
	joined := strings.Join(exports, "\n")
	if !strings.Contains(joined, "sue cases.csv 1 rows; full phone false") || !strings.Contains(joined, "root cases.csv 2 rows; full phone true") ||
		!strings.Contains(joined, "sue register.json 1 rows") {
		t.Errorf("audit trail:\n%s", joined)
	}
	// The page shows the same figures.
	if st, body := e.login("sue").do("GET", "/reports"+period, nil); st != 200 || !strings.Contains(body, `id="fig-cases">1<`) || !strings.Contains(body, `id="fig-avg">5.00<`) ||
		strings.Contains(body, "城西支行") {
		t.Errorf("sue's page: %d", st)
	}
}

func TestBrowserReportsFilterAndXLSXDownload(t *testing.T) {
	t.Parallel()
	e, _, west := reportEnv(t)
	ctx := browser(t)
	e.browserLogin(t, ctx, "root")
	shots := os.Getenv("COMPLAINTBOT_SCREENSHOTS")
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/reports?from=2026-11-01&to=2026-11-30"),
		chromedp.WaitVisible(chromedp.ID("fig-cases")),
		waitText("#fig-cases", "2"),
		waitText("#fig-avg", "3.00"),
		waitJS(`!!document.getElementById("c-ratings").chart`), // Chart.js drew the charts
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if shots != "" {
		screenshot(t, ctx, "reports-dashboard")
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name="branch"]`), "0201")); err != nil {
		t.Fatal(err)
	}
	if err := submit(ctx, "#apply-filter", "#fig-avg", "1.00"); err != nil {
		t.Fatalf("filter by branch: %v", err)
	}
	if err := chromedp.Do(ctx, waitText("#fig-cases", "1"), waitText("#t-low", west)); err != nil {
		t.Fatal(err)
	}
	if shots != "" {
		screenshot(t, ctx, "reports-dashboard-0201")
	}
	dir := t.TempDir()
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
			return err
		}),
		chromedp.Click(chromedp.ID("export-xlsx")),
	)
	if err != nil {
		t.Fatal(err)
	}
	var file string
	for deadline := time.Now().Add(15 * time.Second); file == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		m, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
		if len(m) == 1 {
			file = m[0]
		}
	}
	if file == "" {
		t.Fatal("no .xlsx downloaded")
	}
	x, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("案件清单")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(reports.CaseHeader, ",") {
		t.Fatalf("downloaded rows: %q", rows)
	}
	got := rows[1]
	received := e.Clock.Now().In(complaintbot.Shanghai).Format("2006-01-02")
	if got[0] != west || got[1] != "投诉" || !strings.HasPrefix(got[2], received) || got[7] != "0201" || got[8] != "城西支行" || got[19] != "1" ||
		got[20] != "收费没有事先说明" || got[21] != "待回访" || got[23] != "138****5678" {
		t.Errorf("downloaded row: %q", got)
	}
	// The register, printable.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/reports/register?branch=0201&month=2026-11"), waitText("#register", west)); err != nil {
		t.Fatal(err)
	}
	if shots != "" {
		screenshot(t, ctx, "reports-register")
	}
	// Printed, the console's header and the form are gone and the sign-off line is there.
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}), waitJS(`getComputedStyle(document.querySelector("header.top")).display === "none"`), waitText(".sign-off", "网点负责人（签字）"))
	if err != nil {
		t.Fatalf("print view: %v", err)
	}
	if shots != "" {
		screenshot(t, ctx, "reports-register-print")
	}
}

// waitJS waits until the expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}
