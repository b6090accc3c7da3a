package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Reports returns the reports service the console answers reports with (the app keeps its facts
// current through it).
func (c *Console) Reports() *reports.Service { return c.reports }

// registerReports adds the supervisors' report pages, exports and JSON API.
func (c *Console) registerReports(p, a *gin.RouterGroup) {
	p.GET("/reports", c.reportsPage)
	p.GET("/reports/cases.csv", c.reportCasesCSV)
	p.GET("/reports/cases.xlsx", c.reportCasesXLSX)
	p.GET("/reports/register", c.registerPage)
	p.GET("/reports/register.xlsx", c.registerXLSX)
	a.GET("/reports/dashboard", c.apiDashboard)
	a.GET("/reports/cases", c.apiReportCases)
	a.GET("/reports/cases.csv", c.reportCasesCSV)
	a.GET("/reports/cases.xlsx", c.reportCasesXLSX)
	a.GET("/reports/register", c.apiRegister)
	a.GET("/reports/register.xlsx", c.registerXLSX)
}

// reportFilter reads a report's filter from the query, limited to who's branches: a branch outside
// them answers 404, like everything outside a user's branches.
func (c *Console) reportFilter(who *actor, q url.Values) (reports.Filter, error) {
	if !who.user.Role.AtLeast(storage.RoleSupervisor) {
		return reports.Filter{}, errForbidden
	}
	now := c.clock.Now().In(complaintbot.Shanghai)
	f := reports.Filter{Scope: scopeBranches(who.user), Branch: q.Get("branch"), Category: q.Get("category"), Kind: q.Get("kind"),
		Agent: strings.TrimSpace(q.Get("agent")), Trend: q.Get("trend"),
		From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai), To: now}
	parse := func(name string, into *time.Time) error {
		if v := q.Get(name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, complaintbot.Shanghai)
			if err != nil {
				return invalid("日期格式应为 2006-01-02。")
			}
			*into = t
		}
		return nil
	}
	if err := parse("from", &f.From); err != nil {
		return f, err
	}
	if err := parse("to", &f.To); err != nil {
		return f, err
	}
	if f.Branch != "" && f.Scope != nil && !slices.Contains(f.Scope, f.Branch) {
		return f, errNotFound
	}
	if err := f.Validate(); err != nil {
		return f, invalid(fmt.Sprintf("统计期间有误：起始日期不能晚于结束日期，且不超过 %d 天。", reports.MaxDays))
	}
	return f, nil
}

// fullPhone reports whether who may export whole phone numbers: admins who ask for it (full=1).
func fullPhone(who *actor, q url.Values) bool {
	return who.user.Role == storage.RoleAdmin && q.Get("full") == "1"
}

func (c *Console) apiDashboard(g *gin.Context) {
	f, err := c.reportFilter(actorOf(g), g.Request.URL.Query())
	if err != nil {
		c.apiError(g, err)
		return
	}
	d, err := c.reports.Dashboard(g.Request.Context(), f)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, d)
}

func (c *Console) apiReportCases(g *gin.Context) {
	who := actorOf(g)
	q := g.Request.URL.Query()
	f, err := c.reportFilter(who, q)
	if err != nil {
		c.apiError(g, err)
		return
	}
	rows, err := c.reports.ExportCases(g.Request.Context(), who.by(), f, fullPhone(who, q), g.Request.URL.RawQuery)
	if err != nil {
		c.apiError(g, c.exportError(err))
		return
	}
	g.JSON(http.StatusOK, gin.H{"cases": rows})
}

// exportError is what to tell the user about a failed export; a damaged database is also logged.
func (c *Console) exportError(err error) error {
	if err == reports.ErrTooMany {
		return invalid(fmt.Sprintf("导出的案件超过 %d 件，请缩小统计期间或增加筛选条件。", reports.MaxRows))
	}
	if storage.IsDamaged(err) {
		c.log.Error("export failed: the database reported a damaged page", "err", err)
		return &Error{http.StatusInternalServerError, "读取数据库出错（数据文件可能已损坏），导出未完成。请联系系统管理员。"}
	}
	return err
}

func (c *Console) reportCasesCSV(g *gin.Context)  { c.exportReportCases(g, reports.CSV) }
func (c *Console) reportCasesXLSX(g *gin.Context) { c.exportReportCases(g, reports.XLSX) }

// exportReportCases writes the filtered case list, one row per case, as the reports hand it out
// once the export is audited.
func (c *Console) exportReportCases(g *gin.Context, format string) {
	who := actorOf(g)
	q := g.Request.URL.Query()
	f, err := c.reportFilter(who, q)
	var data []byte
	if err == nil {
		data, err = c.reports.ExportCasesFile(g.Request.Context(), who.by(), f, format, fullPhone(who, q), g.Request.URL.RawQuery)
	}
	if err != nil {
		c.downloadError(g, c.exportError(err))
		return
	}
	ctype := "text/csv; charset=utf-8"
	if format == reports.XLSX {
		ctype = xlsxType
	}
	name := fmt.Sprintf("cases-%s-%s.%s", f.From.Format("20060102"), f.To.Format("20060102"), format)
	g.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	g.Data(http.StatusOK, ctype, data)
}

// registerQuery reads the register's branch and month from the query, within who's branches.
func (c *Console) registerQuery(who *actor, q url.Values) (reports.RegisterQuery, error) {
	if !who.user.Role.AtLeast(storage.RoleSupervisor) {
		return reports.RegisterQuery{}, errForbidden
	}
	scope := scopeBranches(who.user)
	branch := q.Get("branch")
	if branch == "" {
		if len(scope) > 0 {
			branch = scope[0]
		} else if len(c.branches) > 0 {
			branch = c.branches[0].Code
		}
	}
	if scope != nil && !slices.Contains(scope, branch) {
		return reports.RegisterQuery{}, errNotFound
	}
	month := q.Get("month")
	if month == "" {
		month = c.clock.Now().In(complaintbot.Shanghai).Format("2006-01")
	}
	if _, err := time.Parse("2006-01", month); err != nil {
		return reports.RegisterQuery{}, invalid("月份格式应为 2006-01。")
	}
	return reports.RegisterQuery{Scope: scope, Branch: branch, Month: month, FullPhone: fullPhone(who, q), BranchName: c.branchName(branch)}, nil
}

// registerOf reads the register's branch and month from the query and has the reports hand it
// out, audited as shown as.
func (c *Console) registerOf(ctx context.Context, who *actor, q url.Values, as string) (*reports.Register, error) {
	rq, err := c.registerQuery(who, q)
	if err != nil {
		return nil, err
	}
	return c.reports.ExportRegister(ctx, who.by(), rq, as)
}

func (c *Console) apiRegister(g *gin.Context) {
	r, err := c.registerOf(g.Request.Context(), actorOf(g), g.Request.URL.Query(), "register.json")
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, r)
}

func (c *Console) registerXLSX(g *gin.Context) {
	who := actorOf(g)
	rq, err := c.registerQuery(who, g.Request.URL.Query())
	var r *reports.Register
	var data []byte
	if err == nil {
		r, data, err = c.reports.ExportRegisterXLSX(g.Request.Context(), who.by(), rq)
	}
	if err != nil {
		c.downloadError(g, err)
		return
	}
	sendXLSX(g, "register-"+r.Branch+"-"+r.Month, data)
}

// sendXLSX answers with the workbook data as the download name.xlsx.
func sendXLSX(g *gin.Context, name string, data []byte) {
	g.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	g.Data(http.StatusOK, xlsxType, data)
}

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// downloadError answers a failed download as JSON under /api/, as a page elsewhere.
func (c *Console) downloadError(g *gin.Context, err error) {
	if strings.HasPrefix(g.Request.URL.Path, "/api/") {
		c.apiError(g, err)
		return
	}
	c.pageError(g, err)
}

func (c *Console) registerPage(g *gin.Context) {
	who := actorOf(g)
	r, err := c.registerOf(g.Request.Context(), who, g.Request.URL.Query(), "register page")
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
	c.render(g, http.StatusOK, "register", c.newView(g, "客户投诉登记簿", "reports", map[string]any{
		"Register": r, "Title": r.Title(), "Header": reports.RegisterHeader, "SignOff": reports.SignOff, "Branches": branches}), nil)
}

// ---- the dashboard page ----

// card is one headline figure.
type card struct {
	ID, Label, Value, Note string
}

// table is a figure's numbers as a table (every chart has one).
type table struct {
	ID, Title string
	Head      []string
	Rows      [][]string
}

// chart is what static/reports.js draws with Chart.js.
type chart struct {
	ID     string        `json:"id"`
	Type   string        `json:"type"`
	Title  string        `json:"title"`
	Labels []string      `json:"labels"`
	Series []chartSeries `json:"series"`
	// Table is the id of the table holding the same numbers.
	Table string `json:"table"`
	// Counts: the left-hand axis counts (cases, ratings), so its ticks are whole numbers.
	Counts bool `json:"counts,omitempty"`
}

type chartSeries struct {
	Label string    `json:"label"`
	Data  []float64 `json:"data"`
	// Axis "y2" puts the series on the right-hand axis (shares and ratings).
	Axis string `json:"axis,omitempty"`
	Line bool   `json:"line,omitempty"`
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
}

func num(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}

// dur shows minutes as hours (and days beyond two days).
func dur(v *float64) string {
	if v == nil {
		return "—"
	}
	return durMin(*v)
}

func durMin(m float64) string {
	h := m / 60
	if h >= 48 {
		return strconv.FormatFloat(h/24, 'f', 1, 64) + " 天"
	}
	return strconv.FormatFloat(h, 'f', 1, 64) + " 小时"
}

func durInt(v *int64) string {
	if v == nil {
		return "—"
	}
	return durMin(float64(*v))
}

func n(v int64) string { return strconv.FormatInt(v, 10) }

func val(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func satTable(id, title string, gs []reports.Group) table {
	t := table{ID: id, Title: title, Head: []string{"名称", "案件数", "已发送", "已评价", "回复率", "过期", "未送达", "平均分", "满意率（4–5 分）"}}
	for _, g := range gs {
		t.Rows = append(t.Rows, []string{g.Label, n(g.Cases), n(g.Surveys), n(g.Answered), pct(g.Response), n(g.Expired), n(g.Undeliverable), num(g.AvgRating), pct(g.SatShare)})
	}
	return t
}

func deadlineTable(id, title string, gs []reports.Group) table {
	t := table{ID: id, Title: title, Head: []string{"名称", "案件数", "按时答复率", "按时办结率", "当前超期", "平均首次答复", "首次答复 P90", "平均办结", "办结 P90"}}
	for _, g := range gs {
		t.Rows = append(t.Rows, []string{g.Label, n(g.Cases), pct(g.ReplyShare), pct(g.DecisionShare), n(g.Overdue), dur(g.ReplyAvg), durInt(g.ReplyP90),
			dur(g.ResolveAvg), durInt(g.ResolveP90)})
	}
	return t
}

func countTable(id, title string, gs []reports.Group) table {
	t := table{ID: id, Title: title, Head: []string{"名称", "案件数"}}
	for _, g := range gs {
		t.Rows = append(t.Rows, []string{g.Label, n(g.Cases)})
	}
	return t
}

func countChart(id, title, typ, tableID string, gs []reports.Group) chart {
	ch := chart{ID: id, Type: typ, Title: title, Table: tableID, Labels: []string{}, Series: []chartSeries{{Label: "案件数", Data: []float64{}}}, Counts: true}
	for _, g := range gs {
		ch.Labels = append(ch.Labels, g.Label)
		ch.Series[0].Data = append(ch.Series[0].Data, float64(g.Cases))
	}
	return ch
}

func (c *Console) reportsPage(g *gin.Context) {
	who := actorOf(g)
	q := g.Request.URL.Query()
	f, err := c.reportFilter(who, q)
	if err != nil {
		c.pageError(g, err)
		return
	}
	d, err := c.reports.Dashboard(g.Request.Context(), f)
	if err != nil {
		c.pageError(g, err)
		return
	}
	t := d.Total
	cards := []card{
		{"fig-cases", "案件数", n(t.Cases), ""},
		{"fig-avg", "平均满意度", num(t.AvgRating), fmt.Sprintf("%d 份评价", t.Answered)},
		{"fig-satisfied", "满意率（4–5 分）", pct(t.SatShare), fmt.Sprintf("%d / %d", t.Satisfied, t.Answered)},
		{"fig-response", "评价回复率", pct(t.Response), responseNote(t)},
		{"fig-expired", "过期未评价", n(t.Expired), ""},
		{"fig-reply", "按时答复率", pct(t.ReplyShare), fmt.Sprintf("%d 按时 / %d 超时", t.ReplyMet, t.ReplyMissed)},
		{"fig-decision", "按时办结率", pct(t.DecisionShare), fmt.Sprintf("%d 按时 / %d 超时", t.DecisionMet, t.DecisionMissed)},
		{"fig-overdue", "当前超期未办结", n(t.Overdue), ""},
		{"fig-withdrawn", "客户撤回", n(t.Withdrawn), "不计入按时办结率"},
		{"fig-reply-time", "首次答复用时", dur(t.ReplyAvg), "P90 " + durInt(t.ReplyP90)},
		{"fig-resolve-time", "办结用时", dur(t.ResolveAvg), "P90 " + durInt(t.ResolveP90)},
		{"fig-repeat", "重复投诉客户", n(d.RepeatCustomers), fmt.Sprintf("共 %d 件", d.RepeatCases)},
	}
	dist := table{ID: "t-ratings", Title: "评分分布", Head: []string{"评分", "评价数"}}
	distChart := chart{ID: "c-ratings", Type: "bar", Title: "评分分布", Table: "t-ratings", Series: []chartSeries{{Label: "评价数"}}, Counts: true}
	for i, v := range t.Ratings {
		label := fmt.Sprintf("%d 分", i+1)
		dist.Rows = append(dist.Rows, []string{label, n(v)})
		distChart.Labels = append(distChart.Labels, label)
		distChart.Series[0].Data = append(distChart.Series[0].Data, float64(v))
	}
	trendT := table{ID: "t-trend", Title: "趋势", Head: []string{"期间", "案件数", "已评价", "平均分", "满意率", "回复率", "按时答复率", "按时办结率"}}
	trendC := chart{ID: "c-trend", Type: "bar", Title: "案件数与满意度趋势", Table: "t-trend", Counts: true,
		Series: []chartSeries{{Label: "案件数"}, {Label: "平均分", Axis: "y2", Line: true}}}
	for _, p := range d.ByPeriod {
		trendT.Rows = append(trendT.Rows, []string{p.Label, n(p.Cases), n(p.Answered), num(p.AvgRating), pct(p.SatShare), pct(p.Response), pct(p.ReplyShare), pct(p.DecisionShare)})
		trendC.Labels = append(trendC.Labels, p.Label)
		trendC.Series[0].Data = append(trendC.Series[0].Data, float64(p.Cases))
		trendC.Series[1].Data = append(trendC.Series[1].Data, val(p.AvgRating))
	}
	dlC := chart{ID: "c-deadlines", Type: "bar", Title: "各网点按时答复率与按时办结率（%）", Table: "t-dl-branch",
		Series: []chartSeries{{Label: "按时答复率"}, {Label: "按时办结率"}}}
	for _, b := range d.ByBranch {
		dlC.Labels = append(dlC.Labels, b.Label)
		dlC.Series[0].Data = append(dlC.Series[0].Data, val(b.ReplyShare)*100)
		dlC.Series[1].Data = append(dlC.Series[1].Data, val(b.DecisionShare)*100)
	}
	repeats := table{ID: "t-repeats", Title: "重复投诉客户", Head: []string{"客户（匿名编号）", "案件数"}}
	for _, r := range d.Repeats {
		repeats.Rows = append(repeats.Rows, []string{r.Customer, n(r.Cases)})
	}
	sections := []struct {
		Title  string
		Charts []chart
		Tables []table
	}{
		{"满意度", []chart{distChart, trendC}, []table{dist, trendT, satTable("t-sat-branch", "各网点满意度", d.ByBranch),
			satTable("t-sat-category", "各类别满意度", d.ByCategory), satTable("t-sat-agent", "各承办人满意度", d.ByAgent)}},
		{"办理时限", []chart{dlC}, []table{deadlineTable("t-dl-branch", "各网点办理时限", d.ByBranch)}},
		// Complaints only (d.Complaints); suggestions and praise are counted apart, by kind.
		{"投诉数量", []chart{countChart("c-kind", "按类型（投诉、建议、表扬分列）", "doughnut", "t-kind", d.ByKind), countChart("c-branch", "投诉按网点", "bar", "t-branch", d.ComplaintsByBranch),
			countChart("c-channel", "按渠道（JR/T 0169）", "bar", "t-channel", d.ByChannel), countChart("c-business", "按业务类型（JR/T 0169）", "bar", "t-business", d.ByBusiness),
			countChart("c-reason", "按原因（JR/T 0169）", "bar", "t-reason", d.ByReason), countChart("c-received", "按受理渠道", "bar", "t-received", d.ByReceived), countChart("c-top", "投诉原因前十", "bar", "t-top", d.TopReasons)},
			[]table{countTable("t-kind", "按类型", d.ByKind), countTable("t-branch", "投诉按网点", d.ComplaintsByBranch), countTable("t-channel", "投诉按渠道（JR/T 0169）", d.ByChannel),
				countTable("t-business", "投诉按业务类别（JR/T 0169）", d.ByBusiness), countTable("t-reason", "投诉按原因（JR/T 0169）", d.ByReason), countTable("t-received", "投诉按受理渠道", d.ByReceived), countTable("t-top", "投诉原因前十（类别）", d.TopReasons), repeats}},
	}
	var charts []chart
	for _, s := range sections {
		charts = append(charts, s.Charts...)
	}
	var branches []complaintbot.Branch
	for _, b := range c.branches {
		if who.user.Covers(b.Code) {
			branches = append(branches, b)
		}
	}
	cats := filterCategories(c.cats)
	var agents []string
	for _, a := range d.ByAgent {
		if a.Key != "" {
			agents = append(agents, a.Key)
		}
	}
	qs := url.Values{}
	for _, k := range []string{"from", "to", "branch", "category", "kind", "agent", "trend"} {
		if v := q.Get(k); v != "" {
			qs.Set(k, v)
		}
	}
	qs.Set("from", f.From.Format("2006-01-02"))
	qs.Set("to", f.To.Format("2006-01-02"))
	v := c.newView(g, "报表", "reports", map[string]any{"D": d, "F": f, "Cards": cards, "Sections": sections, "Charts": charts,
		"Branches": branches, "Categories": cats, "Agents": agents, "XLSX": template.URL("/reports/cases.xlsx?" + qs.Encode()), "CSV": template.URL("/reports/cases.csv?" + qs.Encode()),
		"FullXLSX":    template.URL("/reports/cases.xlsx?" + qs.Encode() + "&full=1"),
		"RegisterURL": template.URL("/reports/register?" + url.Values{"branch": {f.Branch}, "month": {f.To.Format("2006-01")}}.Encode()),
		"Kinds":       []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise},
		"Admin":       who.user.Role == storage.RoleAdmin})
	c.render(g, http.StatusOK, "reports", v, nil)
}

// filterCategories lists the categories of every kind once each for the reports' category
// filter, with distinct labels: a name two kinds share (其他) is shown with its kind,
// "其他（投诉）", "其他（建议）".
func filterCategories(byKind map[complaintbot.Kind][]complaintbot.Category) []complaintbot.Category {
	kinds := []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}
	var cats []complaintbot.Category
	var kindOf []complaintbot.Kind
	seen := map[string]bool{}
	names := map[string]int{}
	for _, k := range kinds {
		for _, cat := range byKind[k] {
			if !seen[cat.Code] {
				seen[cat.Code] = true
				cats = append(cats, cat)
				kindOf = append(kindOf, k)
				names[cat.Name]++
			}
		}
	}
	for i := range cats {
		if names[cats[i].Name] > 1 {
			cats[i].Name += "（" + kindOf[i].Label() + "）"
		}
	}
	return cats
}

// responseNote is the response-rate card's note: the surveys answered of those sent, and the
// surveys that never reached the customer (counted apart, not among those sent) when there are any.
func responseNote(t reports.Figures) string {
	note := fmt.Sprintf("%d / %d 份已发送", t.Answered, t.Surveys)
	if t.Undeliverable > 0 {
		note += fmt.Sprintf("；另有 %d 份未送达", t.Undeliverable)
	}
	return note
}
