package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/xuri/excelize/v2"
)

// The regulator figures over HTTP: head office sees every branch with the configured customer
// counts, a branch supervisor only theirs, an agent none; the page and the .xlsx hold the same
// numbers, and the exports are in the audit trail.
func TestRegulatorFiguresAreScopedAndExported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.Reports.Customers = map[string]int{"0101": 40000, "0201": 10000} })
	e.registerCase(custA, "城东支行", "柜员态度很差")
	e.registerCase(custB, "城西支行", "收费不透明")
	ctx := context.Background()
	if err := e.App.Console.Reports().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	period := e.Clock.Now().In(complaintbot.Shanghai).Format("2006-01")
	rootC, sueC := e.token("root"), e.token("sue")

	var root reports.RegulatorReport
	if st := rootC.getJSON("/api/v1/reports/regulator?period="+period, &root); st != 200 {
		t.Fatalf("root's figures: %d", st)
	}
	if root.Total.Complaints != 2 || root.Total.Open != 2 || root.Total.Decided != 0 {
		t.Errorf("root's total: %+v", root.Total)
	}
	rates := map[string]float64{}
	for _, b := range root.Branches {
		if b.Per10k != nil {
			rates[b.Key] = *b.Per10k
		}
	}
	// One complaint each: 1 per 40,000 and 1 per 10,000 customers. The other branches of the flow
	// file have no count, so the total has no rate and the notes say why.
	if rates["0101"] != 0.25 || rates["0201"] != 1 || root.Total.Per10k != nil || !strings.Contains(strings.Join(root.Notes, ""), "未配置客户数") {
		t.Errorf("root's branches: %+v, notes %q", root.Branches, root.Notes)
	}
	if root.Received[0].Key != complaintbot.ReceivedWeChat || root.Received[0].Complaints != 2 {
		t.Errorf("receiving channels: %+v", root.Received)
	}
	if len(root.Axes) != 3 {
		t.Fatalf("axes: %+v", root.Axes)
	}

	var sue reports.RegulatorReport
	if st := sueC.getJSON("/api/v1/reports/regulator?period="+period, &sue); st != 200 {
		t.Fatalf("sue's figures: %d", st)
	}
	if sue.Total.Complaints != 1 || len(sue.Branches) != 1 || sue.Branches[0].Key != "0101" || sue.Total.Per10k == nil || *sue.Total.Per10k != 0.25 {
		t.Errorf("sue's figures: %+v %+v", sue.Total, sue.Branches)
	}
	for _, p := range []string{"/api/v1/reports/regulator?branch=0201", "/api/v1/reports/regulator.xlsx?branch=0201"} {
		if st, body := sueC.do("GET", p, nil); st != 404 || strings.Contains(body, "城西") {
			t.Errorf("sue GET %s: %d %s", p, st, body)
		}
	}
	if st, _ := e.token("alice").do("GET", "/api/v1/reports/regulator", nil); st != 403 {
		t.Errorf("an agent reads the regulator figures: %d", st)
	}
	if st, body := rootC.do("GET", "/api/v1/reports/regulator?period=2026-Q5", nil); st != 400 || !strings.Contains(body, "季度") {
		t.Errorf("a bad period: %d %s", st, body)
	}

	st, body := sueC.do("GET", "/api/v1/reports/regulator.xlsx?period="+period, nil)
	if st != 200 {
		t.Fatalf("sue's xlsx: %d", st)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("汇总及网点")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || rows[5][1] != "合计" || rows[5][2] != "1" || rows[6][0] != "0101" || rows[6][12] != "0.25" {
		t.Errorf("sue's xlsx: %q", rows)
	}

	page := e.login("sue")
	if st, body := page.do("GET", "/reports/regulator?period="+period, nil); st != 200 || !strings.Contains(body, `id="reg-c"`) ||
		!strings.Contains(body, `<tr data-key="0101"><td>0101</td><td class="indent-0">城东支行</td><td>1</td>`) || strings.Contains(body, "城西支行</td>") {
		t.Errorf("sue's page: %d %s", st, body)
	}

	entries, err := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "report", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var exports []string
	for _, a := range entries {
		exports = append(exports, a.User+" "+a.After)
	}
	joined := strings.Join(exports, "\n")
	if !strings.Contains(joined, "root regulator.json "+period) || !strings.Contains(joined, "sue regulator.xlsx "+period) {
		t.Errorf("audit trail:\n%s", joined)
	}
}
