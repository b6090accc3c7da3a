package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
	"github.com/gin-gonic/gin"
)

// pageSet holds one template per page, each with the layout.
type pageSet struct {
	pages map[string]*template.Template
}

var pageNames = []string{"login", "error", "inbox", "conversation", "cases", "case", "reports", "register", "regulator", "audit", "users", "password", "sandbox", "quickreplies", "followups", "calls", "tasks", "newcase", "erase", "search"}

// loadPages parses the page templates; names gives their who function the display names.
func loadPages(names *displayNames) (*pageSet, error) {
	funcs := template.FuncMap{
		"time": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return "—"
				}
				return v.In(complaintbot.Shanghai).Format("2006-01-02 15:04")
			case *time.Time:
				if v == nil || v.IsZero() {
					return "—"
				}
				return v.In(complaintbot.Shanghai).Format("2006-01-02 15:04")
			}
			return ""
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(complaintbot.Shanghai).Format("2006-01-02")
		},
		"levelName": complaintbot.LevelLabel,
		"riskName":  complaintbot.RiskLabel,
		"wait": func(d time.Duration) string {
			switch {
			case d < time.Minute:
				return "不到 1 分钟"
			case d < time.Hour:
				return fmt.Sprintf("%d 分钟", int(d.Minutes()))
			default:
				return fmt.Sprintf("%d 小时 %d 分", int(d.Hours()), int(d.Minutes())%60)
			}
		},
		"short":       func(s string) string { return runes(s, 30) },
		"join":        func(l []string, sep string) string { return strings.Join(l, sep) },
		"who":         names.of,
		"jrt":         names.coding,
		"auditName":   auditName,
		"auditTarget": auditTarget,
		"status":      statusName,

		"receivedLabel":     complaintbot.ReceivedLabel,
		"referralAuthority": complaintbot.ReferralAuthorityLabel,
		"typeLabel": func(t complaintbot.InputType) string {
			return lineTitle(storage.Line{Type: t})
		},
		"fieldLabel": func(k string) string {
			switch k {
			case complaintbot.FieldDescription:
				return "经过"
			case complaintbot.FieldRequest:
				return "诉求"
			case complaintbot.FieldPhone:
				return "联系电话"
			case complaintbot.FieldName:
				return "姓名"
			case complaintbot.FieldPerson:
				return "涉及人员"
			}
			return k
		},
		"target": func(e storage.AuditEntry) string {
			if e.TargetType == "conversation" {
				return mask(e.Target)
			}
			return e.Target
		},
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console templates: %w", err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// view is what every page template gets.
type view struct {
	Title      string
	Nav        string
	User       *storage.User
	CSRF       string
	Scope      string
	Supervisor bool
	Admin      bool
	// Sandbox says that the service's clock can be moved (sandbox mode).
	Sandbox         bool
	Flash, FlashErr string
	Now             time.Time
	Data            any
}

func (c *Console) newView(g *gin.Context, title, nav string, data any) *view {
	v := &view{Title: title, Nav: nav, Data: data, Now: c.clock.Now()}
	if a, ok := g.Get("actor"); ok {
		who := a.(*actor)
		v.User, v.CSRF = who.user, who.session.CSRF
		v.Supervisor = who.user.Role.AtLeast(storage.RoleSupervisor)
		v.Admin = who.user.Role == storage.RoleAdmin
		v.Sandbox = c.sandbox != nil
		if who.user.HeadOffice() {
			v.Scope = "总行"
		} else {
			names := []string{}
			for _, b := range who.user.Branches {
				names = append(names, c.branchName(b))
			}
			v.Scope = strings.Join(names, "、")
		}
	}
	if ck, err := g.Cookie(flashCookie); err == nil && ck != "" {
		if raw, err := url.QueryUnescape(ck); err == nil {
			if msg, ok := strings.CutPrefix(raw, "err|"); ok {
				v.FlashErr = msg
			} else {
				v.Flash = strings.TrimPrefix(raw, "ok|")
			}
		}
		setCookie(g, flashCookie, "", -1)
	}
	return v
}

// render writes a whole page (the layout with the page's content).
func (c *Console) render(g *gin.Context, status int, page string, v *view, data any) {
	if v == nil {
		v = c.newView(g, pageTitle(page), "", data)
	}
	c.execute(g, status, page, "layout", v)
}

// fragment writes one named template of a page (for htmx).
func (c *Console) fragment(g *gin.Context, page, name string, data any) {
	c.execute(g, http.StatusOK, page, name, data)
}

func (c *Console) execute(g *gin.Context, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := c.pages.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		c.log.Error("render console page", "page", page, "template", name, "err", err)
		g.String(http.StatusInternalServerError, "页面出错，请稍后重试。")
		return
	}
	g.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func pageTitle(page string) string {
	switch page {
	case "login":
		return "登录"
	case "error":
		return "出错了"
	}
	return page
}

func (c *Console) renderError(g *gin.Context, status int, msg string) {
	title := "出错了"
	switch status {
	case http.StatusNotFound:
		title = "未找到"
	case http.StatusForbidden:
		title = "无权访问"
	case http.StatusUnauthorized:
		title = "请先登录"
	}
	c.render(g, status, "error", c.newView(g, title, "", msg), nil)
}

// pageError renders the error page for err.
func (c *Console) pageError(g *gin.Context, err error) {
	status, msg := c.userError(err)
	c.renderError(g, status, msg)
}

// done redirects after a form, with a message shown on the next page.
func (c *Console) done(g *gin.Context, to string, err error, ok string) {
	flash := "ok|" + ok
	if err != nil {
		status, msg := c.userError(err)
		if status == http.StatusNotFound {
			c.renderError(g, status, msg)
			return
		}
		flash = "err|" + msg
	}
	if flash != "ok|" {
		setCookie(g, flashCookie, url.QueryEscape(flash), 60)
	}
	g.Redirect(http.StatusSeeOther, to)
}

func (c *Console) static(g *gin.Context) {
	sub, _ := fs.Sub(staticFS, "static")
	p := strings.TrimPrefix(g.Param("filepath"), "/")
	data, err := fs.ReadFile(sub, p)
	if err != nil || strings.HasSuffix(p, ".md") {
		g.Status(http.StatusNotFound)
		return
	}
	ctype := "application/octet-stream"
	switch {
	case strings.HasSuffix(p, ".js"):
		ctype = "text/javascript; charset=utf-8"
	case strings.HasSuffix(p, ".css"):
		ctype = "text/css; charset=utf-8"
	}
	g.Header("Cache-Control", "public, max-age=3600")
	g.Data(http.StatusOK, ctype, data)
}

// ---- inbox and conversations ----

type inboxData struct {
	Inbox *Inbox
	CSRF  string
	Now   time.Time
}

func (c *Console) inboxPage(g *gin.Context) {
	who := actorOf(g)
	in, err := c.Inbox(g.Request.Context(), who.user)
	if err != nil {
		c.pageError(g, err)
		return
	}
	v := c.newView(g, "会话收件箱", "inbox", nil)
	v.Data = inboxData{Inbox: in, CSRF: v.CSRF, Now: v.Now}
	c.render(g, http.StatusOK, "inbox", v, nil)
}

// queueSign answers the sign every page shows while customers wait in the user's queue.
func (c *Console) queueSign(g *gin.Context) {
	n, err := c.WaitingCount(g.Request.Context(), actorOf(g).user)
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "inbox", "queue_sign", n) // every page holds the layout's templates
}

func (c *Console) inboxList(g *gin.Context) {
	who := actorOf(g)
	in, err := c.Inbox(g.Request.Context(), who.user)
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "inbox", "inbox_list", inboxData{Inbox: in, CSRF: who.session.CSRF, Now: c.clock.Now()})
}

type convData struct {
	Conv        *Conversation
	HolderLabel string
	Mine        bool
	CanAct      bool
	// MayAct says the user may act on the conversation (its branch is theirs, or they hold it),
	// not only read the sessions of theirs.
	MayAct     bool
	Messages   []Line
	Window     WindowInfo
	ClientID   string
	NoteID     string
	Canned     []offeredReply
	Cases      []complaintbot.CaseSummary
	Panel      CustomerPanel
	Colleagues []storage.User
	Branches   []complaintbot.Branch
	Draft      string
}

func (c *Console) conversationPage(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	v, lines, err := c.readConversation(ctx, who.user, g.Param("openid"))
	if err != nil {
		c.pageError(g, err)
		return
	}
	d := convData{Conv: v, HolderLabel: c.userLabel(ctx, v.Holder), Mine: v.Holder == who.user.Name, ClientID: complaintbot.RandomToken(12),
		NoteID: complaintbot.RandomToken(12), Branches: c.branches, Messages: lines,
		MayAct: who.user.Covers(v.BranchCode) || v.Holder == who.user.Name}
	d.CanAct = c.holds(who, v) == nil
	if d.Mine {
		if d.Canned, err = c.offeredReplies(ctx, who, v.OpenID); err != nil {
			c.pageError(g, err)
			return
		}
	}
	if d.Mine {
		d.Window = c.window(ctx, v.OpenID)
	}
	cases, err := c.store.CasesOf(ctx, v.OpenID, 20)
	if err != nil {
		c.pageError(g, err)
		return
	}
	for _, cs := range cases {
		if who.user.Covers(cs.Branch.Code) {
			d.Cases = append(d.Cases, cs)
		}
	}
	if d.Panel, err = c.customerPanel(ctx, d.Cases, d.Messages); err != nil {
		c.pageError(g, err)
		return
	}
	if d.CanAct {
		cols, err := c.colleagues(ctx, v.BranchCode)
		if err != nil {
			c.pageError(g, err)
			return
		}
		for _, u := range cols {
			if u.Name != v.Holder {
				d.Colleagues = append(d.Colleagues, u)
			}
		}
	}
	if v.State.Draft != nil {
		d.Draft = c.summary(ctx, who.user, v.OpenID, v.State)
	}
	c.render(g, http.StatusOK, "conversation", c.newView(g, "会话 "+v.Masked, "inbox", d), nil)
}

func (c *Console) conversationMessages(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	_, lines, err := c.readConversation(ctx, who.user, g.Param("openid"))
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "conversation", "messages", convData{Messages: lines})
}

// convAction carries out a conversation action; it returns the message for the agent.
func (c *Console) convAction(g *gin.Context, who *actor, openID, action string, form func(string) string) (string, error) {
	ctx := g.Request.Context()
	switch action {
	case "claim":
		return "已接入该会话，机器人将不再回复该客户。", c.Claim(ctx, who, openID)
	case "reply":
		_, err := c.SendReply(ctx, who, openID, Reply{Text: form("text"), ClientID: form("client_id")})
		return "已加入发送队列。", err
	case "release":
		return "已交回智能助手。", c.Release(ctx, who, openID, false)
	case "end":
		return "已结束人工服务。", c.Release(ctx, who, openID, true)
	case "transfer":
		return "已转接。", c.Transfer(ctx, who, openID, form("to_user"), form("to_branch"))
	case "queue":
		return "已转入人工排队。", c.Queue(ctx, who, openID, false)
	case "take":
		return "已接管该会话。", c.Queue(ctx, who, openID, true)
	case "note":
		return "备注已添加（客户看不到）。", c.AddNote(ctx, who, openID, form("text"), form("client_id"))
	}
	return "", errNotFound
}

func (c *Console) conversationAction(g *gin.Context) {
	who := actorOf(g)
	openID, action := g.Param("openid"), g.Param("action")
	msg, err := c.convAction(g, who, openID, action, g.PostForm)
	if action == "reply" && g.GetHeader("HX-Request") != "" {
		data := map[string]string{}
		if err != nil {
			_, data["Error"] = c.userError(err)
		} else {
			g.Header("HX-Trigger", "refresh-messages")
		}
		c.fragment(g, "conversation", "reply_result", data)
		return
	}
	to := "/conversations/" + url.PathEscape(openID)
	if err == nil && (action == "release" || action == "end" || action == "transfer") {
		to = "/inbox"
	}
	if err != nil && action == "claim" {
		to = "/inbox"
	}
	c.done(g, to, err, msg)
}

// ---- cases ----

var allStatuses = []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated,
	complaintbot.StatusResolved, complaintbot.StatusClosed, complaintbot.StatusReopened, complaintbot.StatusWithdrawn}

var allKinds = []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}

// parseFilter reads the case list's filters from a query.
func (c *Console) parseFilter(who *actor, q url.Values) (storage.CaseFilter, int, error) {
	var f storage.CaseFilter
	switch s := q.Get("status"); s {
	case "":
	case "open":
		f.Status = []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated, complaintbot.StatusReopened}
	default:
		for _, x := range strings.Split(s, ",") {
			if !slices.Contains(allStatuses, complaintbot.Status(x)) {
				return f, 0, invalid("未知的状态：" + x)
			}
			f.Status = append(f.Status, complaintbot.Status(x))
		}
	}
	if k := q.Get("kind"); k != "" {
		if !slices.Contains(allKinds, complaintbot.Kind(k)) {
			return f, 0, invalid("未知的类型：" + k)
		}
		f.Kind = complaintbot.Kind(k)
	}
	f.Category = strings.TrimSpace(q.Get("category"))
	f.Branch = strings.TrimSpace(q.Get("branch"))
	switch a := strings.TrimSpace(q.Get("assignee")); a {
	case "me":
		f.Assignee = who.user.Name
	default:
		f.Assignee = a
	}
	f.Overdue = q.Get("overdue") == "1" || q.Get("overdue") == "true"
	f.Risk = q.Get("risk") == "1" || q.Get("risk") == "true"
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if s := strings.TrimSpace(q.Get(key)); s != "" {
			d, err := time.ParseInLocation("2006-01-02", s, complaintbot.Shanghai)
			if err != nil {
				return f, 0, invalid("日期格式应为 2026-11-27。")
			}
			if key == "to" {
				d = d.AddDate(0, 0, 1)
			}
			*dst = d
		}
	}
	if len([]rune(q.Get("q"))) > 50 {
		return f, 0, invalid("搜索内容过长。")
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	page := 1
	if p := q.Get("p"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return f, 0, invalid("无效的页码。")
		}
		page = n
	}
	return f, page, nil
}

type casesData struct {
	Form url.Values
	Rows []complaintbot.Case
	Page int
	More bool
	// Query, PrevQuery and NextQuery are the list's query strings (filters, and the page), written
	// into links as they are: a string would have its "=" and "&" escaped and lose the filters.
	Query      template.URL
	PrevQuery  template.URL
	NextQuery  template.URL
	Statuses   []complaintbot.Status
	Kinds      []complaintbot.Kind
	Categories []complaintbot.Category
	Branches   []complaintbot.Branch
	Users      []storage.User
}

func (c *Console) casesPage(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	q := g.Request.URL.Query()
	f, page, err := c.parseFilter(who, q)
	if err != nil {
		c.pageError(g, err)
		return
	}
	rows, more, err := c.Cases(ctx, who.user, f, page)
	if err != nil {
		c.pageError(g, err)
		return
	}
	d := casesData{Form: q, Rows: rows, Page: page, More: more, Statuses: allStatuses, Kinds: allKinds}
	for _, k := range allKinds {
		d.Categories = append(d.Categories, c.cats[k]...)
	}
	for _, b := range c.branches {
		if who.user.Covers(b.Code) {
			d.Branches = append(d.Branches, b)
		}
	}
	users, err := c.store.Users(ctx)
	if err != nil {
		c.pageError(g, err)
		return
	}
	d.Users = assigneeChoices(who.user, users, q.Get("assignee"))
	base := url.Values{}
	for k, v := range q {
		if k != "p" {
			base[k] = v
		}
	}
	d.Query = template.URL(base.Encode())
	withPage := func(p int) template.URL {
		x := url.Values{}
		for k, v := range base {
			x[k] = v
		}
		x.Set("p", strconv.Itoa(p))
		return template.URL(x.Encode())
	}
	d.PrevQuery, d.NextQuery = withPage(page-1), withPage(page+1)
	c.render(g, http.StatusOK, "cases", c.newView(g, "案件", "cases", d), nil)
}

// assigneeChoices returns the users the viewer may filter the case list by: accounts in use that
// share a branch with the viewer (every account in use for head office), and the one chosen now.
func assigneeChoices(viewer *complaintbot.User, users []complaintbot.User, chosen string) []complaintbot.User {
	var out []complaintbot.User
	for _, u := range users {
		if u.Name == chosen || (!u.Disabled && slices.ContainsFunc(u.Branches, viewer.Covers)) {
			out = append(out, u)
		}
	}
	return out
}

type caseData struct {
	View     *CaseView
	ClientID string
}

func (c *Console) casePage(g *gin.Context) {
	who := actorOf(g)
	v, err := c.Case(g.Request.Context(), who.user, g.Param("number"))
	if err != nil {
		c.pageError(g, err)
		return
	}
	c.render(g, http.StatusOK, "case", c.newView(g, "案件 "+v.Case.Number, "cases", caseData{View: v, ClientID: complaintbot.RandomToken(12)}), nil)
}

func (c *Console) caseTimeline(g *gin.Context) {
	who := actorOf(g)
	items, err := c.Timeline(g.Request.Context(), who.user, g.Param("number"))
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	c.fragment(g, "case", "timeline", items)
}

// caseActionFrom reads a case action from a form or JSON body.
func caseActionFrom(action string, form func(string) string) CaseAction {
	a := CaseAction{Action: action, Assignee: form("assignee"), Responsible: form("responsible"), Host: form("host"),
		Text: form("text"), Reply: form("reply"), From: complaintbot.Status(form("from")), To: complaintbot.Status(form("to")),
		Due: form("due"), ClientID: form("client_id"), Coding: codingFrom(form)}
	a.Flag = form("flag") == "1" || form("flag") == "true"
	a.Level = form("level")
	if co := form("co_handling"); co != "" {
		a.CoHandling = strings.FieldsFunc(co, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' })
	}
	return a
}

var caseActionDone = map[string]string{
	"accept": "已受理，已通知客户。", "assign": "已指派。", "departments": "已保存处理部门。", "note": "已添加备注。",
	"status": "状态已变更。", "extend": "已延期，已通知客户。", "malicious": "已更新恶意投诉标记。", "resolve": "已办结，答复已发送给客户。",
	"survey": "满意度调查已发送给客户。", "coding": "已保存 JR/T 0169 编码。",
	"extend_request": "延期申请已提交，待主管或总行审批；批准后通知客户。", "extend_approve": "已批准延期，已通知客户。",
	"extend_refuse": "已驳回延期申请。", "level": "已设置案件等级。", "risk": "已更新风险提示。",
}

func (c *Console) caseActionPage(g *gin.Context) {
	who := actorOf(g)
	number, action := strings.ToUpper(g.Param("number")), g.Param("action")
	if _, ok := caseActionDone[action]; !ok {
		c.renderError(g, http.StatusNotFound, errNotFound.Msg)
		return
	}
	err := c.Act(g.Request.Context(), who, number, caseActionFrom(action, g.PostForm))
	c.done(g, "/cases/"+url.PathEscape(number), err, caseActionDone[action])
}

// ---- reports, audit, users ----

// auditQuery reads what the audit trail is asked for from the request's query.
func auditQuery(g *gin.Context) users.AuditQuery {
	return users.AuditQuery{TargetType: g.Query("type"), Target: g.Query("target"), User: g.Query("user")}
}

func (c *Console) auditPage(g *gin.Context) {
	who := actorOf(g)
	entries, f, err := c.users.AuditLog(g.Request.Context(), who.by(), auditQuery(g))
	if err != nil {
		c.pageError(g, err)
		return
	}
	v := c.newView(g, "操作记录", "audit", map[string]any{"Entries": entries, "Type": f.TargetType, "Target": f.Target, "UserFilter": f.User})
	c.render(g, http.StatusOK, "audit", v, nil)
}
