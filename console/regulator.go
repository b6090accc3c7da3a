package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// registerRegulator adds the regulator figures (金融消费者投诉统计表): the page, its .xlsx and
// the JSON API. Supervisors and head office read them; a branch supervisor sees their branches.
func (c *Console) registerRegulator(p, a *gin.RouterGroup) {
	p.GET("/reports/regulator", c.regulatorPage)
	p.GET("/reports/regulator.xlsx", c.regulatorXLSX)
	a.GET("/reports/regulator", c.apiRegulator)
	a.GET("/reports/regulator.xlsx", c.regulatorXLSX)
}

// regulatorQuery reads the period ("2026-11" or "2026-Q4"; default the last whole month) and the
// branch from the query, within who's branches: a branch outside them answers 404, like
// everything outside a user's branches.
func (c *Console) regulatorQuery(who *actor, q url.Values) (reports.RegulatorQuery, error) {
	if !who.user.Role.AtLeast(storage.RoleSupervisor) {
		return reports.RegulatorQuery{}, errForbidden
	}
	scope := scopeBranches(who.user)
	branch := q.Get("branch")
	if branch != "" && scope != nil && !slices.Contains(scope, branch) {
		return reports.RegulatorQuery{}, errNotFound
	}
	period := strings.ToUpper(strings.TrimSpace(q.Get("period")))
	if period == "" {
		now := c.clock.Now().In(complaintbot.Shanghai)
		period = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai).AddDate(0, -1, 0).Format("2006-01")
	}
	if _, _, _, err := reports.ParsePeriod(period); err != nil {
		return reports.RegulatorQuery{}, invalid("统计期间应为月份（如 2026-11）或季度（如 2026-Q4）。")
	}
	return reports.RegulatorQuery{Period: period, Scope: scope, Branch: branch,
		Branches: c.branches, Customers: c.customers, Taxonomy: c.taxonomy()}, nil
}

// regulatorOf computes the figures the query asks for (regulatorQuery), not audited: for the
// page, which only shows them.
func (c *Console) regulatorOf(ctx context.Context, who *actor, q url.Values) (*reports.RegulatorReport, error) {
	rq, err := c.regulatorQuery(who, q)
	if err != nil {
		return nil, err
	}
	return c.reports.Regulator(ctx, rq)
}

func (c *Console) apiRegulator(g *gin.Context) {
	who := actorOf(g)
	rq, err := c.regulatorQuery(who, g.Request.URL.Query())
	var r *reports.RegulatorReport
	if err == nil {
		r, err = c.reports.ExportRegulator(g.Request.Context(), who.by(), rq)
	}
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, r)
}

func (c *Console) regulatorXLSX(g *gin.Context) {
	who := actorOf(g)
	rq, err := c.regulatorQuery(who, g.Request.URL.Query())
	var r *reports.RegulatorReport
	var data []byte
	if err == nil {
		r, data, err = c.reports.ExportRegulatorXLSX(g.Request.Context(), who.by(), rq)
	}
	if err != nil {
		c.downloadError(g, err)
		return
	}
	name := "regulator-" + r.Period
	if r.Branch != "" {
		name += "-" + r.Branch
	}
	sendXLSX(g, name, data)
}

// regulatorTable is one table of the page.
type regulatorTable struct {
	ID, Title string
	// Head is the table's header row.
	Head []string
	Rows []regulatorLine
}

// regulatorLine is a row of a table as the page shows it.
type regulatorLine struct {
	Key, Label string
	// Indent is the JR/T 0169 level below the large one (0, 1, 2).
	Indent int
	Cells  []string
}

// regulatorLines makes the page's rows of a breakdown.
func regulatorLines(rows []reports.RegulatorRow, customers bool) []regulatorLine {
	out := make([]regulatorLine, 0, len(rows))
	for i := range rows {
		row := &rows[i]
		out = append(out, regulatorLine{Key: row.Key, Label: row.Label, Indent: max(row.Level-1, 0), Cells: regulatorCells(&row.RegulatorFigures, customers)})
	}
	return out
}

// regulatorCells are the figures as the page shows them, in the order of reports.RegulatorHeader
// after its two first columns (and the customer columns).
func regulatorCells(f *reports.RegulatorFigures, customers bool) []string {
	n := func(v int64) string { return fmt.Sprint(v) }
	cells := []string{n(f.Complaints), n(f.Withdrawn), n(f.Decided), n(f.InTime), n(f.Late), pct(f.InTimeShare), n(f.Open),
		days(f.HandlingAvg), daysInt(f.HandlingP90)}
	if customers {
		cust, rate := "—", "—"
		if f.Customers > 0 {
			cust = n(f.Customers)
		}
		if f.Per10k != nil {
			rate = fmt.Sprintf("%.2f", *f.Per10k)
		}
		cells = append(cells, cust, rate)
	}
	return cells
}

// periodChoice is an entry of the page's period list.
type periodChoice struct{ Value, Label string }

func (c *Console) regulatorPage(g *gin.Context) {
	who := actorOf(g)
	r, err := c.regulatorOf(g.Request.Context(), who, g.Request.URL.Query())
	if err != nil {
		c.pageError(g, err)
		return
	}
	var branches []complaintbot.Branch
	for _, b := range c.branches {
		if who.user.Covers(b.Code) {
			branches = append(branches, b)
		}
	}
	// The last 13 months and the last 8 quarters, newest first, and the one shown if older.
	now := c.clock.Now().In(complaintbot.Shanghai)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai)
	var months, quarters []periodChoice
	for i := range 13 {
		m := first.AddDate(0, -i, 0).Format("2006-01")
		months = append(months, periodChoice{m, reports.PeriodTitle(m)})
	}
	for i := range 8 {
		d := first.AddDate(0, -3*i, 0)
		p := fmt.Sprintf("%d-Q%d", d.Year(), (int(d.Month())+2)/3)
		quarters = append(quarters, periodChoice{p, reports.PeriodTitle(p)})
	}
	if !slices.ContainsFunc(append(slices.Clone(months), quarters...), func(p periodChoice) bool { return p.Value == r.Period }) {
		months = append(months, periodChoice{r.Period, reports.PeriodTitle(r.Period)})
	}
	head := func(first, second string, customers bool) []string {
		h := append([]string{first, second}, reports.RegulatorHeader[2:]...)
		if customers {
			h = append(h, reports.RegulatorCustomersHeader...)
		}
		return h
	}
	total := regulatorLine{Label: "合计", Cells: regulatorCells(&r.Total, true)}
	tables := []regulatorTable{{ID: "reg-branches", Title: "按网点", Head: head("网点代码", "网点", true),
		Rows: append([]regulatorLine{total}, regulatorLines(r.Branches, true)...)}}
	for _, ax := range r.Axes {
		tables = append(tables, regulatorTable{ID: "reg-" + strings.ToLower(ax.Axis), Title: ax.Axis + " " + ax.Name, Head: head("代码", "名称", false),
			Rows: regulatorLines(ax.Rows, false)})
	}
	tables = append(tables, regulatorTable{ID: "reg-received", Title: "按受理渠道", Head: head("受理渠道", "名称", false), Rows: regulatorLines(r.Received, false)})
	q := url.Values{"period": {r.Period}}
	if r.Branch != "" {
		q.Set("branch", r.Branch)
	}
	c.render(g, http.StatusOK, "regulator", c.newView(g, "监管统计报表", "regulator", map[string]any{
		"R": r, "Tables": tables, "Branches": branches, "Months": months, "Quarters": quarters,
		"XLSX": "/reports/regulator.xlsx?" + q.Encode()}), nil)
}

// days shows a handling time in minutes as days, to one decimal ("—" for none).
func days(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", *v/1440)
}

// daysInt is days for a whole number of minutes.
func daysInt(v *int64) string {
	if v == nil {
		return "—"
	}
	f := float64(*v)
	return days(&f)
}
