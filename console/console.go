// Package console is the agent and supervisor console on the internal listener: server-rendered
// pages (html/template, htmx, Server-Sent Events) and the JSON API under /api/v1 that the pages
// and integrations share. Agents take conversations over from the bot and work cases to
// resolution; supervisors also read their branches' reports and audit trail; admins manage users.
//
// Every page and every API call checks the session and the user's branches on the server: what
// lies outside a user's branches answers 404, exactly like what does not exist. Claims, replies,
// transfers and hand-backs are the handoffs package's, follow-up calls the followups package's,
// the call list the calls package's and erasure requests the erasures package's: the console
// checks access, calls them and says their refusals in plain words.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/quickreplies"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/sandbox"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are the parts of the service the console works with.
type Deps struct {
	Store    *storage.Store
	Convs    *conversations.Service
	Bus      *events.Bus
	Clock    complaintbot.Clock
	Log      *slog.Logger
	Config   config.Console
	Calendar *calendar.Calendar
	// Branches are the bank's branches (the flow definition's list).
	Branches []complaintbot.Branch
	// Categories are the case categories by kind.
	Categories map[complaintbot.Kind][]complaintbot.Category
	// Users are the accounts and sessions; nil: the console builds them from the fields above.
	Users *users.Service
	// Handoffs is the handoff workflow (the queue, claims, replies, transfers).
	Handoffs *handoffs.Service
	// Cases is the case workflow; without it the case pages show cases but actions on them fail.
	Cases *cases.Service
	// Registrar registers the cases agents take from other channels (登记投诉); nil: the page
	// answers that registration is off.
	Registrar *cases.Registrar
	// QuickReplies are the agents' ready answers; nil: a service over Store.
	QuickReplies *quickreplies.Service
	// FollowUps are the follow-up calls (回访); nil: a service over Store, Clock, Calendar and
	// Cases.
	FollowUps *followups.Service
	// Calls is the call list (待联系消息); nil: a service over Store.
	Calls *calls.Service
	// Erasures are the customers' erasure requests; nil: a service over Store.
	Erasures *erasures.Service
	// Sandbox moves the service's clock in sandbox mode; nil outside it.
	Sandbox *sandbox.Service
	// Reports answers the report pages and exports (the app keeps its facts current); nil: one
	// over Store, whose facts nobody keeps current.
	Reports *reports.Service
	// Customers is the number of customers of each branch by code (config reports.customers),
	// for the regulator figures' complaints per 10,000 customers.
	Customers map[string]int
}

// Console serves the console. Build it with New; it is safe for concurrent use.
type Console struct {
	store    *storage.Store
	convs    *conversations.Service
	bus      *events.Bus
	clock    complaintbot.Clock
	log      *slog.Logger
	cfg      config.Console
	cal      *calendar.Calendar
	branches []complaintbot.Branch
	cats     map[complaintbot.Kind][]complaintbot.Category
	// customers is Deps.Customers.
	customers map[string]int

	pages    *pageSet
	reports  *reports.Service
	handoffs *handoffs.Service
	cases    *cases.Service
	// registrar registers agents' cases (nil: off).
	registrar *cases.Registrar
	active    activeSet

	// life ends the live streams (SSE) when the console closes.
	life   context.Context
	cancel context.CancelFunc

	// users are the accounts, logins and sessions; trusted are console.trusted_proxies.
	users   *users.Service
	trusted []netip.Prefix
	quick   *quickreplies.Service
	// followups, calls and erasures are the work lists' and the erasures' workflows.
	followups *followups.Service
	calls     *calls.Service
	erasures  *erasures.Service
	// sandbox is sandbox mode's clock control, nil outside sandbox mode.
	sandbox *sandbox.Service
}

// New builds the console. Streams (SSE) end when ctx is done or Close is called.
func New(ctx context.Context, d Deps) (*Console, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Calendar == nil {
		d.Calendar = calendar.Default()
	}
	c := &Console{store: d.Store, convs: d.Convs, bus: d.Bus, clock: d.Clock, log: d.Log.With("component", "console"), cfg: d.Config,
		cal: d.Calendar, branches: d.Branches, cats: d.Categories, handoffs: d.Handoffs, cases: d.Cases, customers: d.Customers}
	c.life, c.cancel = context.WithCancel(ctx)
	c.sandbox = d.Sandbox
	c.registrar = d.Registrar
	if c.quick = d.QuickReplies; c.quick == nil {
		c.quick = quickreplies.New(d.Store, d.Clock, d.Log, d.Branches)
	}
	if c.followups = d.FollowUps; c.followups == nil {
		fd := followups.Deps{Store: d.Store, Clock: d.Clock, Calendar: d.Calendar, Log: d.Log}
		if d.Cases != nil {
			fd.Cases = d.Cases
		}
		c.followups = followups.New(fd)
	}
	if c.calls = d.Calls; c.calls == nil {
		c.calls = calls.New(calls.Deps{Store: d.Store, Clock: d.Clock, Log: d.Log})
	}
	if c.erasures = d.Erasures; c.erasures == nil {
		c.erasures = erasures.New(erasures.Deps{Store: d.Store, Clock: d.Clock, Log: d.Log})
	}
	if c.users = d.Users; c.users == nil {
		c.users = users.New(users.Deps{Store: d.Store, Clock: d.Clock, Log: d.Log, Config: d.Config, Branches: d.Branches})
	}
	for _, tp := range d.Config.TrustedProxies {
		p, err := config.ParseProxy(tp)
		if err != nil {
			return nil, fmt.Errorf("console.trusted_proxies %q: %w", tp, err)
		}
		c.trusted = append(c.trusted, p)
	}
	if c.reports = d.Reports; c.reports == nil {
		c.reports = reports.New(d.Store, d.Clock, d.Log)
	}
	var err error
	if c.pages, err = loadPages(&displayNames{c: c}); err != nil {
		return nil, err
	}
	return c, nil
}

// Users returns the accounts, logins and sessions the console works with.
func (c *Console) Users() *users.Service { return c.users }

// Close ends the live streams so that the listener can shut down without waiting for them.
func (c *Console) Close() { c.cancel() }

// Register adds the console's pages, static assets and JSON API to r.
func (c *Console) Register(r *gin.Engine) {
	c.trustProxies(r)
	r.Use(c.securityHeaders, showInvisible)
	r.GET("/static/*filepath", c.static)
	r.GET("/login", c.loginPage)
	r.POST("/login", c.loginSubmit)
	r.POST("/api/v1/session", c.apiLogin)

	p := r.Group("", c.authenticate(false))
	p.GET("/", func(g *gin.Context) { g.Redirect(http.StatusSeeOther, "/inbox") })
	p.POST("/logout", c.logout)
	p.GET("/password", c.passwordPage)
	p.POST("/password", c.passwordSubmit)
	p.GET("/inbox", c.inboxPage)
	p.GET("/inbox/list", c.inboxList)
	p.GET("/inbox/sign", c.queueSign)
	p.GET("/inbox/risks", c.inboxRisks)
	p.GET("/events", c.events)
	p.GET("/conversations/:openid", c.conversationPage)
	p.GET("/conversations/:openid/messages", c.conversationMessages)
	p.POST("/conversations/:openid/:action", c.conversationAction)
	p.GET("/cases", c.casesPage)
	p.GET("/export/cases.csv", c.exportCases)
	p.GET("/cases/:number", c.casePage)
	p.GET("/cases/:number/timeline", c.caseTimeline)
	p.POST("/cases/:number/:action", c.caseActionPage)
	p.GET("/audit", c.auditPage)
	p.GET("/users", c.usersPage)
	p.POST("/users", c.usersAdd)
	p.POST("/users/:name/:action", c.usersAction)

	a := r.Group("/api/v1", c.authenticate(true))
	a.DELETE("/session", c.apiLogout)
	a.GET("/me", c.apiMe)
	a.POST("/password", c.apiPassword)
	a.GET("/inbox", c.apiInbox)
	a.GET("/events", c.events)
	a.GET("/conversations/:openid", c.apiConversation)
	a.POST("/conversations/:openid/:action", c.apiConversationAction)
	a.GET("/cases", c.apiCases)
	a.GET("/export/cases.csv", c.exportCases)
	a.GET("/cases/:number", c.apiCase)
	a.POST("/cases/:number/:action", c.apiCaseAction)
	a.GET("/reports/summary", c.apiReport)
	a.GET("/audit", c.apiAudit)
	a.GET("/users", c.apiUsers)
	a.POST("/users", c.apiUsersAdd)
	a.POST("/users/:name/:action", c.apiUsersAction)
	c.registerReports(p, a)
	c.registerSearch(p, a)
	c.registerRegulator(p, a)
	c.registerSandbox(p, a)
	c.registerQuickReplies(p, a)
	c.registerWork(p, a)
	c.registerMedia(p)
	c.registerNewCase(p, a)
	c.registerErase(p, a)
}

// Error is a failure the user is told about in plain Chinese, with its HTTP status.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

var (
	errNotFound  = &Error{http.StatusNotFound, "未找到，或您无权查看。"}
	errForbidden = &Error{http.StatusForbidden, "您无权进行此操作。"}
)

func invalid(msg string) error  { return &Error{http.StatusBadRequest, msg} }
func conflict(msg string) error { return &Error{http.StatusConflict, msg} }

// errUnaudited answers an action whose audit entry could not be written: it was not carried out.
var errUnaudited = &Error{http.StatusInternalServerError, "操作记录无法写入，本次操作未执行，请稍后重试。"}

// userError returns what to tell the user about err, and the HTTP status; unexpected errors are
// logged and answered with a generic sentence.
func (c *Console) userError(err error) (int, string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Status, e.Msg
	}
	if status, msg, ok := usersError(err); ok {
		return status, msg
	}
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound.Status, errNotFound.Msg
	}
	if errors.Is(err, reports.ErrUnaudited) { // an export not audited: no data was handed out
		return errUnaudited.Status, errUnaudited.Msg
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, storage.ErrCallerGone) {
		return 499, "请求已取消。"
	}
	c.log.Error("console request failed", "err", err)
	return http.StatusInternalServerError, "系统繁忙，请稍后重试。"
}

// actor is who is acting, and from where.
type actor struct {
	user    *storage.User
	session *storage.Session
	addr    string
}

// branchName returns the name of a branch code.
func (c *Console) branchName(code string) string {
	switch code {
	case "":
		return "总行（未分配网点）"
	case storage.HeadOffice:
		return "总行"
	case complaintbot.NoBranchCode:
		return "不涉及网点"
	}
	for _, b := range c.branches {
		if b.Code == code {
			return b.Name
		}
	}
	return code
}

// userLabel returns the display name of a user name (the name itself when unknown).
func (c *Console) userLabel(ctx context.Context, name string) string {
	if name == "" {
		return ""
	}
	if name == complaintbot.SystemUser {
		return complaintbot.System.User.DisplayName
	}
	if name == complaintbot.CustomerUser {
		return complaintbot.Customer.User.DisplayName
	}
	u, err := c.store.UserByName(ctx, name)
	if err != nil {
		return name
	}
	return u.Label()
}

// labeler names users for one page: each user name is looked up once (a timeline names the same
// few people on hundreds of lines).
type labeler struct {
	c    *Console
	ctx  context.Context
	memo map[string]string
}

func (c *Console) labeler(ctx context.Context) *labeler {
	return &labeler{c: c, ctx: ctx, memo: map[string]string{}}
}

// of is userLabel, remembered.
func (l *labeler) of(name string) string {
	if s, ok := l.memo[name]; ok {
		return s
	}
	s := l.c.userLabel(l.ctx, name)
	l.memo[name] = s
	return s
}

// scopeBranches returns the branch codes a list must be limited to for u (nil: every branch).
func scopeBranches(u *storage.User) []string {
	if u.HeadOffice() {
		return nil
	}
	out := []string{}
	for _, b := range u.Branches {
		if b != storage.HeadOffice {
			out = append(out, b)
		}
	}
	return out
}

func runes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
