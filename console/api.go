package console

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// The JSON API under /api/v1 answers with the same checks as the pages; errors are
// {"error": "plain Chinese"} with the HTTP status.

func (c *Console) apiError(g *gin.Context, err error) {
	status, msg := c.userError(err)
	g.JSON(status, gin.H{"error": msg})
}

// errBadJSON answers a JSON body that is not one object (or is over 64 KiB).
var errBadJSON = invalid("请求内容不是有效的 JSON 对象。")

// bodyForm reads a request's parameters from a JSON object or a form. A JSON body that cannot be
// read as one object is answered 400 (ok false: the caller returns); an empty body has no
// parameters.
func (c *Console) bodyForm(g *gin.Context) (form func(string) string, ok bool) {
	if strings.HasPrefix(g.ContentType(), "application/json") {
		var m map[string]any
		if err := json.NewDecoder(http.MaxBytesReader(g.Writer, g.Request.Body, 64<<10)).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
			c.log.Info("console API: malformed JSON body", "path", g.FullPath(), "err", err)
			c.apiError(g, errBadJSON)
			return nil, false
		}
		return func(k string) string {
			switch v := m[k].(type) {
			case string:
				return v
			case bool:
				return fmt.Sprint(v)
			case float64:
				return fmt.Sprint(v)
			case []any:
				var parts []string
				for _, x := range v {
					parts = append(parts, fmt.Sprint(x))
				}
				return strings.Join(parts, ",")
			}
			return ""
		}, true
	}
	return g.PostForm, true
}

type apiQueueItem struct {
	OpenID     string    `json:"openid"`
	HandoffID  string    `json:"handoff_id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason"`
	Since      time.Time `json:"since"`
	WaitSecond int       `json:"wait_seconds"`
	Branch     string    `json:"branch"`
	Agent      string    `json:"agent,omitempty"`
	AgentName  string    `json:"agent_name,omitempty"`
	Summary    string    `json:"summary,omitempty"`
}

func apiItems(items []QueueItem) []apiQueueItem {
	out := make([]apiQueueItem, 0, len(items))
	for _, q := range items {
		out = append(out, apiQueueItem{OpenID: q.OpenID, HandoffID: q.HandoffID, Status: string(q.Status), Reason: q.Reason, Since: q.Since,
			WaitSecond: int(q.Wait.Seconds()), Branch: q.BranchName, Agent: q.Agent, AgentName: q.AgentLabel, Summary: q.Summary})
	}
	return out
}

func (c *Console) apiInbox(g *gin.Context) {
	in, err := c.Inbox(g.Request.Context(), actorOf(g).user)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"waiting": apiItems(in.Waiting), "mine": apiItems(in.Mine), "others": apiItems(in.Others)})
}

type apiLine struct {
	ID      string    `json:"id"`
	Dir     string    `json:"dir"`
	Type    string    `json:"type"`
	Text    string    `json:"text"`
	MediaID string    `json:"media_id,omitempty"`
	At      time.Time `json:"at"`
	By      string    `json:"by,omitempty"`
	ByName  string    `json:"by_name,omitempty"`
	Pending bool      `json:"pending,omitempty"`
	Failed  string    `json:"failed,omitempty"`
}

func (c *Console) apiConversation(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	v, lines, err := c.readConversation(ctx, who.user, g.Param("openid"))
	if err != nil {
		c.apiError(g, err)
		return
	}
	out := make([]apiLine, 0, len(lines))
	for _, l := range lines {
		out = append(out, apiLine{ID: l.ID, Dir: string(l.Dir), Type: string(l.Type), Text: l.Text, MediaID: l.MediaID, At: l.At, By: l.By, ByName: l.Who, Pending: l.Pending, Failed: l.Failed})
	}
	cases, err := c.store.CasesOf(ctx, v.OpenID, 20)
	if err != nil {
		c.apiError(g, err)
		return
	}
	visible := []complaintbot.CaseSummary{}
	for _, cs := range cases {
		if who.user.Covers(cs.Branch.Code) {
			visible = append(visible, cs)
		}
	}
	quick, err := c.offeredReplies(ctx, who, v.OpenID)
	if err != nil {
		c.apiError(g, err)
		return
	}
	if quick == nil {
		quick = []offeredReply{}
	}
	canned := []string{}
	for _, q := range quick {
		canned = append(canned, q.Text)
	}
	res := gin.H{"openid": v.OpenID, "status": v.Status(), "holder": v.Holder, "holder_name": c.userLabel(ctx, v.Holder), "branch": v.BranchName, "messages": out, "cases": visible,
		"quick_replies": quick, "canned_replies": canned}
	if v.Holder == who.user.Name {
		w := c.window(ctx, v.OpenID)
		res["window"] = gin.H{"open": w.Open, "remaining": w.Remaining, "closes": w.Closes, "note": w.Note}
	}
	g.JSON(http.StatusOK, res)
}

func (c *Console) apiConversationAction(g *gin.Context) {
	who := actorOf(g)
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	msg, err := c.convAction(g, who, g.Param("openid"), g.Param("action"), form)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"ok": true, "message": msg})
}

func (c *Console) apiCases(g *gin.Context) {
	who := actorOf(g)
	f, page, err := c.parseFilter(who, g.Request.URL.Query())
	if err != nil {
		c.apiError(g, err)
		return
	}
	rows, more, err := c.Cases(g.Request.Context(), who.user, f, page)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"cases": caseList(c.taxonomy(), rows), "page": page, "more": more})
}

func (c *Console) apiCase(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	v, err := c.Case(ctx, who.user, g.Param("number"))
	if err != nil {
		c.apiError(g, err)
		return
	}
	items, err := c.Timeline(ctx, who.user, v.Case.Number)
	if err != nil {
		c.apiError(g, err)
		return
	}
	type item struct {
		At     time.Time `json:"at"`
		Kind   string    `json:"kind"`
		Who    string    `json:"who"`
		Title  string    `json:"title,omitempty"`
		Text   string    `json:"text,omitempty"`
		Status string    `json:"status,omitempty"`
		Prompt bool      `json:"prompt,omitempty"`
	}
	tl := make([]item, 0, len(items))
	for _, it := range items {
		tl = append(tl, item(it))
	}
	missed := []string{} // the deadlines the scheduler found missed: "reply", "decision"
	for _, d := range []string{storage.DeadlineReply, storage.DeadlineDecision} {
		if _, ok := v.Case.Missed[d]; ok {
			missed = append(missed, d)
		}
	}
	g.JSON(http.StatusOK, gin.H{"case": v.Case, "overdue": v.Overdue, "missed_deadlines": missed, "next_statuses": v.Next, "timeline": tl,
		"jrt_coding": codingAxes(c.taxonomy(), v.Case.Coding)})
}

func (c *Console) apiCaseAction(g *gin.Context) {
	who := actorOf(g)
	action := g.Param("action")
	if _, ok := caseActionDone[action]; !ok {
		c.apiError(g, errNotFound)
		return
	}
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	if err := c.Act(g.Request.Context(), who, g.Param("number"), caseActionFrom(action, form)); err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"ok": true, "message": caseActionDone[action]})
}

func (c *Console) apiReport(g *gin.Context) {
	r, err := c.Report(g.Request.Context(), actorOf(g).user)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"by_status": r.ByStatus, "by_branch": r.ByBranch, "overdue": r.Overdue, "total": r.Total})
}

func (c *Console) apiAudit(g *gin.Context) {
	who := actorOf(g)
	entries, _, err := c.users.AuditLog(g.Request.Context(), who.by(), auditQuery(g))
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"entries": entries})
}

// maxExport is the most rows one export holds; an export of more says so in its last line.
var maxExport = 20000

// exportCases writes the cases matching the list's filters within the user's branches as CSV
// (the complaint register: one row per case; phone numbers masked), as the case workflow hands
// them out once the export is audited (cases.Service.Export). Nothing is sent before the
// first case has been read, so that a failed read (a damaged database page) is answered with an
// error instead of a file; a read that fails after rows went out cuts the response short, so that
// the download fails rather than looking complete.
func (c *Console) exportCases(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	f, _, err := c.parseFilter(who, g.Request.URL.Query())
	if err != nil {
		c.apiError(g, err)
		return
	}
	f.Now = c.clock.Now()
	name := "cases-" + f.Now.In(complaintbot.Shanghai).Format("20060102-1504") + ".csv"
	var w *csv.Writer
	begin := func() error { // once the export is audited (cases.Service.Export)
		g.Header("Content-Type", "text/csv; charset=utf-8")
		g.Header("Content-Disposition", `attachment; filename="`+name+`"`)
		g.Status(http.StatusOK)
		if _, err := g.Writer.WriteString("\ufeff"); err != nil { // Excel reads UTF-8 with the BOM
			return err
		}
		w = csv.NewWriter(g.Writer)
		return w.Write([]string{"案件编号", "类型", "状态", "类别", "业务办理渠道（JR/T 0169）", "业务类别（JR/T 0169）", "投诉原因（JR/T 0169）", "网点代码", "网点", "受理时间", "答复期限", "处理期限",
			"是否超期", "承办人", "责任部门", "主办部门", "协办部门", "经过", "诉求", "联系电话", "处理结果", "答复客户", "恶意投诉"})
	}
	label := c.labeler(ctx)
	tax := c.taxonomy()
	assignee := func(name string) string { // by display name, as the console shows people
		if name == "" {
			return ""
		}
		return label.of(name)
	}
	n, more := 0, false
	if c.cases == nil {
		c.apiError(g, errors.New("export cases: no case workflow"))
		return
	}
	err = c.cases.Export(ctx, who.by(), f, maxExport+1, g.Request.URL.RawQuery, begin, func(rec *complaintbot.Case) error {
		if n == maxExport { // one more than an export holds: say so at the end, not in silence
			more = true
			return nil
		}
		n++
		cat := rec.Category
		if cat == nil {
			cat = &complaintbot.Category{}
		}
		res := rec.Work.Resolution
		if res == nil {
			res = &complaintbot.Resolution{}
		}
		overdue, malicious := "", ""
		if rec.Overdue(f.Now) {
			overdue = "是"
		}
		if rec.Work.Malicious != nil {
			malicious = rec.Work.Malicious.Reason
		}
		ts := func(t time.Time) string { return t.In(complaintbot.Shanghai).Format("2006-01-02 15:04") }
		jrt := codingAxes(tax, rec.Coding) // A, B, C: code and names, or 未编码
		return w.Write(reports.SafeCells([]string{rec.Number, rec.Kind.Label(), rec.Status.Label(), cat.Name,
			jrt[0].Label, jrt[1].Label, jrt[2].Label,
			rec.Branch.Code, rec.Branch.Name, ts(rec.Received), ts(rec.ReplyDue), ts(rec.DecisionDue), overdue, assignee(rec.Work.Assignee),
			rec.Work.Departments.Responsible, rec.Work.Departments.Host, strings.Join(rec.Work.Departments.CoHandling, "、"),
			rec.Fields[complaintbot.FieldDescription], rec.Fields[complaintbot.FieldRequest], complaintbot.MaskPhone(rec.Fields[complaintbot.FieldPhone]),
			res.Text, res.Reply, malicious}))
	})
	if err == nil && more {
		c.log.Info("export cases: more cases match than one export holds", "rows", n)
		err = w.Write([]string{fmt.Sprintf("（仅导出最新的 %d 件；符合条件的案件更多，请缩小筛选范围后分次导出）", maxExport)})
	}
	if w != nil {
		w.Flush()
		if err == nil {
			err = w.Error()
		}
	}
	if err != nil {
		if w == nil {
			c.apiError(g, c.exportError(c.caseError(ctx, err)))
			return
		}
		c.log.Error("export cases: cut short", "rows", n, "err", err)
		cutResponse(g)
		return
	}
	c.log.Info("export cases", "user", who.user.Name, "rows", n)
}

// cutResponse closes the connection of a response whose body is under way without ending it, so
// that the client sees the download fail (a truncated chunked body) instead of a complete file.
// Gin refuses to hand over a connection once the body has started, so this asks the server's own
// writer (gin's wraps it).
func cutResponse(g *gin.Context) {
	g.Abort()
	var w http.ResponseWriter = g.Writer
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return // not HTTP/1 (the console's listeners are)
	}
	_ = conn.Close()
}
