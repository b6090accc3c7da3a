package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Follow-up calls (回访): a customer who rated a survey 1–2 is called back by the branch. A
// follow-up is due by the end of the second working day after it was raised (Asia/Shanghai,
// the service's calendar); after that it is overdue until done. Supervisors and admins take and
// record calls; agents see their branches' follow-ups read-only.

// The audit codes of the work lists (named in auditActions by init).
const (
	auditFollowUpTake = "follow_up.take"
	auditFollowUpDone = "follow_up.done"
	auditCallResend   = "call.resend"
	auditCallCalled   = "call.called"
	auditCallClose    = "call.close"
)

func init() {
	auditActions[auditFollowUpTake] = "领取回访"
	auditActions[auditFollowUpDone] = "完成回访"
	auditActions[auditCallResend] = "重新发送消息"
	auditActions[auditCallCalled] = "已电话联系客户"
	auditActions[auditCallClose] = "关闭待联系消息"
	auditTargets["follow_up"] = "回访"
	auditTargets["outbox"] = "待联系消息"
}

// followUpDays is how many working days after it was raised a follow-up call is due.
const followUpDays = 2

// The states of a follow-up as listed.
const (
	followUpDue     = "due"
	followUpOverdue = "overdue"
	followUpDone    = "done"
)

// followUpRow is a follow-up as the page and the API list it.
type followUpRow struct {
	storage.FollowUp
	// DueBy is when the call is due; State is due, overdue or done.
	DueBy time.Time `json:"due_by"`
	State string    `json:"state"`
	// StateName is State in Chinese; TakenByName and DoneByName are display names.
	StateName   string `json:"state_name"`
	TakenByName string `json:"taken_by_name,omitempty"`
	DoneByName  string `json:"done_by_name,omitempty"`
	// ReachedName says in Chinese whether the customer was reached ("" before the call).
	ReachedName string `json:"-"`
	// PathID is the id escaped for a URL path (survey ids hold "#").
	PathID string `json:"-"`
	// Phone is the number the customer left in the case, to call ("" when they left none, or the
	// survey was a conversation's, with no case).
	Phone string `json:"phone,omitempty"`
}

// followUpDue is when a follow-up raised at created is due.
func (c *Console) followUpDue(created time.Time) time.Time {
	return c.cal.Due(created, followUpDays, calendar.WorkingDays)
}

// followUpPage is how many follow-ups a page of the 回访 list shows.
const followUpPage = 25

// followUpList is one page of the follow-ups of the user's branches: open ones first (oldest
// first), then done ones (latest first).
type followUpList struct {
	Rows []followUpRow
	// Open and Done are how many there are in all, Overdue how many of the open ones are past
	// their due time.
	Open, Done, Overdue int
	// State is the state the list is limited to (followUpStates), "" for all.
	State string
	pager
}

// followUpStateLink is a state a follow-up list can be limited to (?state=Key), named.
type followUpStateLink struct{ Key, Name string }

// followUpStates are the states a follow-up list can be limited to, in the page's order: "" is
// all, "open" due and overdue together.
var followUpStates = []followUpStateLink{{"", "全部"}, {"open", "未完成"}, {followUpDue, "待回访"}, {followUpOverdue, "回访超期"}, {followUpDone, "已回访"}}

// followUpState is the state the list was asked for (?state=), or an error a user understands.
func followUpState(g *gin.Context) (string, error) {
	st := g.Query("state")
	if !slices.ContainsFunc(followUpStates, func(l followUpStateLink) bool { return l.Key == st }) {
		return "", invalid("回访状态只能是 open（未完成）、due（待回访）、overdue（回访超期）或 done（已回访）。")
	}
	return st, nil
}

// pager is where a page of a long list stands: Page is this page's number (from 1) of Pages,
// Prev and Next the numbers of the pages before and after (0: none).
type pager struct {
	Page, Pages, Prev, Next int
}

// pageOf returns page (from 1) of size items of all, and where it stands; size 0 gives no items
// and page 1 of 1.
func pageOf[T any](all []T, page, size int) (pager, []T) {
	p := pager{Page: max(page, 1), Pages: 1}
	if size <= 0 {
		return p, nil
	}
	p.Pages = max(1, (len(all)+size-1)/size)
	if p.Page > 1 {
		p.Prev = min(p.Page, p.Pages+1) - 1
	}
	if p.Page < p.Pages {
		p.Next = p.Page + 1
	}
	return p, all[min(len(all), (p.Page-1)*size):min(len(all), p.Page*size)]
}

// followUpList reads page (from 1) of size follow-ups of the user's branches in the state
// (followUpStates; "" all); size 0 counts them only. The counts come from the follow-ups' list
// entries (storage.FollowUpList), and only the page's follow-ups are read, by _id.
func (c *Console) followUpList(ctx context.Context, u *storage.User, state string, page, size int) (*followUpList, error) {
	es, err := c.store.FollowUpList(ctx)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	var due, overdue, done []storage.FollowUpEntry
	for _, e := range es {
		switch {
		case !u.Covers(e.Branch):
		case e.Done != nil:
			done = append(done, e)
		case now.After(c.followUpDue(e.Created)):
			overdue = append(overdue, e)
		default:
			due = append(due, e)
		}
	}
	oldest := func(a, b storage.FollowUpEntry) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	}
	open := slices.Concat(overdue, due)
	slices.SortFunc(open, oldest)
	slices.SortFunc(overdue, oldest)
	slices.SortFunc(due, oldest)
	slices.SortFunc(done, func(a, b storage.FollowUpEntry) int {
		return cmp.Or(b.Done.Compare(*a.Done), strings.Compare(a.ID, b.ID))
	})
	l := &followUpList{Rows: []followUpRow{}, Open: len(open), Done: len(done), Overdue: len(overdue), State: state}
	all := map[string][]storage.FollowUpEntry{"": slices.Concat(open, done), "open": open,
		followUpDue: due, followUpOverdue: overdue, followUpDone: done}[state]
	var shown []storage.FollowUpEntry
	if l.pager, shown = pageOf(all, page, size); size <= 0 {
		return l, nil
	}
	var ids []string
	for _, e := range shown {
		ids = append(ids, e.ID)
	}
	fs, err := c.store.FollowUpsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var numbers []string
	for _, f := range fs {
		if f.Case != "" {
			numbers = append(numbers, f.Case)
		}
	}
	cases, err := c.store.CaseRows(ctx, numbers) // the phone numbers, from the case index
	if err != nil {
		return nil, err
	}
	names := c.labeler(ctx)
	for _, f := range fs {
		if (state == "open" || state == followUpDue || state == followUpOverdue) && f.Status == storage.FollowUpDone {
			continue // done since its list entry was read
		}
		r := followUpRow{FollowUp: f, DueBy: c.followUpDue(f.Created), TakenByName: names.of(f.TakenBy), DoneByName: names.of(f.DoneBy),
			PathID: url.PathEscape(f.ID)}
		if cs := cases[f.Case]; cs != nil {
			r.Phone = cs.Fields[complaintbot.FieldPhone]
		}
		switch {
		case f.Status == storage.FollowUpDone:
			r.State, r.StateName = followUpDone, "已回访"
			if f.Reached != nil && *f.Reached {
				r.ReachedName = "已联系到客户"
			} else if f.Reached != nil {
				r.ReachedName = "未联系到客户"
			}
		case now.After(r.DueBy):
			r.State, r.StateName = followUpOverdue, "回访超期"
		default:
			r.State, r.StateName = followUpDue, "待回访"
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// pageNumber is the page a list was asked for (?p=, from 1).
func pageNumber(g *gin.Context) int {
	p, err := strconv.Atoi(g.Query("p"))
	if err != nil || p < 1 {
		return 1
	}
	return p
}

// followUpAction takes ("take"), records ("done") or reopens the case of ("reopen") a follow-up.
func (c *Console) followUpAction(ctx context.Context, who *actor, id, action string, form func(string) string) error {
	f, err := c.store.FollowUpByID(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	if !who.user.Covers(f.Branch) {
		return errNotFound
	}
	if !mayWorkFollowUps(who.user) {
		return &Error{http.StatusForbidden, "回访由主管或管理员办理，坐席只能查看。"}
	}
	now := c.clock.Now()
	switch action {
	case "take":
		if f.Status != storage.FollowUpOpen {
			return conflict("该回访已完成。")
		}
		if err := c.audit(ctx, who, auditFollowUpTake, "follow_up", f.ID, f.Branch, f.TakenBy, who.user.Name); err != nil {
			return err
		}
		return c.store.TakeFollowUp(ctx, f.ID, who.user.Name, now)
	case "done":
		if f.Status != storage.FollowUpOpen {
			return conflict("该回访已完成。")
		}
		call := storage.FollowUpCall{View: strings.TrimSpace(form("view")), Note: strings.TrimSpace(form("note"))}
		switch form("reached") {
		case "yes", "true", "1":
			call.Reached = true
		case "no", "false", "0":
		default:
			return invalid("请选择是否联系到客户。")
		}
		if len([]rune(call.View)) > 500 || len([]rune(call.Note)) > 500 {
			return invalid("客户意见和备注各最多 500 字。")
		}
		if r := strings.TrimSpace(form("rating")); r != "" {
			n, err := strconv.Atoi(r)
			if err != nil || n < 1 || n > 5 {
				return invalid("新的评分须为 1 到 5。")
			}
			call.NewRating = n
		}
		after := fmt.Sprintf("reached=%t rating=%d", call.Reached, call.NewRating)
		if err := c.audit(ctx, who, auditFollowUpDone, "follow_up", f.ID, f.Branch, string(f.Status), after); err != nil {
			return err
		}
		if err := c.store.RecordFollowUp(ctx, f.ID, who.user.Name, call, now); err != nil {
			return err
		}
		// The dashboard's low ratings show the follow-up's state: marked for the reports' drain.
		if err := c.store.MarkCaseReport(ctx, f.Case, f.Survey, now); err != nil {
			c.log.Error("mark the case's report figures stale", "case", f.Case, "err", err)
		}
		return nil
	case "reopen":
		if f.Case == "" {
			return invalid("该回访不涉及案件。")
		}
		if c.cases == nil {
			return errForbidden
		}
		comment := "回访后重新处理"
		if n := strings.TrimSpace(form("note")); n != "" {
			comment += "：" + runes(n, 200)
		}
		// The case workflow checks the move, writes the audit entry and tells the customer.
		return c.caseError(ctx, c.cases.SetStatus(ctx, who.by(), f.Case, "", complaintbot.StatusReopened, comment))
	}
	return errNotFound
}

type followUpsData struct {
	*followUpList
	// CanWork says the user may take and record calls.
	CanWork bool
	// States are the states the list can be limited to.
	States []followUpStateLink
}

func (c *Console) followUpsPage(g *gin.Context) {
	who := actorOf(g)
	state, err := followUpState(g)
	if err != nil {
		c.pageError(g, err)
		return
	}
	l, err := c.followUpList(g.Request.Context(), who.user, state, pageNumber(g), followUpPage)
	if err != nil {
		c.pageError(g, err)
		return
	}
	d := followUpsData{followUpList: l, CanWork: mayWorkFollowUps(who.user), States: followUpStates}
	c.render(g, http.StatusOK, "followups", c.newView(g, "回访", "followups", d), nil)
}

func (c *Console) followUpsSubmit(g *gin.Context) {
	err := c.followUpAction(g.Request.Context(), actorOf(g), g.Param("id"), g.Param("action"), g.PostForm)
	msg := "已记录回访结果。"
	switch g.Param("action") {
	case "take":
		msg = "已领取回访。"
	case "reopen":
		msg = "案件已重新处理。"
	}
	c.done(g, "/followups", err, msg)
}

func (c *Console) apiFollowUps(g *gin.Context) {
	state, err := followUpState(g)
	if err != nil {
		c.apiError(g, err)
		return
	}
	l, err := c.followUpList(g.Request.Context(), actorOf(g).user, state, pageNumber(g), followUpPage)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"follow_ups": l.Rows, "open": l.Open, "overdue": l.Overdue, "done": l.Done, "state": l.State,
		"page": l.Page, "pages": l.Pages})
}

func (c *Console) apiFollowUpAction(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	ctx := g.Request.Context()
	if err := c.followUpAction(ctx, actorOf(g), g.Param("id"), form("action"), form); err != nil {
		c.apiError(g, err)
		return
	}
	f, err := c.store.FollowUpByID(ctx, g.Param("id"))
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, f)
}

// mayWorkFollowUps reports whether u may take and record follow-up calls (回访): supervisors and
// admins; agents may only read them.
func mayWorkFollowUps(u *storage.User) bool { return u.Role.AtLeast(storage.RoleSupervisor) }
