package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Follow-up calls (回访): the rules — when a call is due, who may work one, what a call's record
// must hold — are the followups package's; this file lists and words them.

// followUpRow is a follow-up as the page and the API list it.
type followUpRow struct {
	storage.FollowUp
	// DueBy is when the call is due; State is due, overdue or done.
	DueBy time.Time       `json:"due_by"`
	State followups.State `json:"state"`
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

// followUpStateNames names the states of a follow-up.
var followUpStateNames = map[followups.State]string{followups.Due: "待回访", followups.Overdue: "回访超期", followups.Done: "已回访"}

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
var followUpStates = []followUpStateLink{{string(followups.All), "全部"}, {string(followups.Open), "未完成"},
	{string(followups.Due), "待回访"}, {string(followups.Overdue), "回访超期"}, {string(followups.Done), "已回访"}}

// errFollowUpState answers a list asked for a state it cannot be limited to.
var errFollowUpState = invalid("回访状态只能是 open（未完成）、due（待回访）、overdue（回访超期）或 done（已回访）。")

// followUpState is the state the list was asked for (?state=), or an error a user understands.
func followUpState(g *gin.Context) (string, error) {
	st := g.Query("state")
	if !slices.ContainsFunc(followUpStates, func(l followUpStateLink) bool { return l.Key == st }) {
		return "", errFollowUpState
	}
	return st, nil
}

// pager is where a page of a long list stands: Page is this page's number (from 1) of Pages,
// Prev and Next the numbers of the pages before and after (0: none).
type pager struct {
	Page, Pages, Prev, Next int
}

// pagerOf returns where page (from 1) of size items of a list of total stands; size 0 gives
// page 1 of 1.
func pagerOf(total, page, size int) pager {
	p := pager{Page: max(page, 1), Pages: 1}
	if size <= 0 {
		return p
	}
	p.Pages = max(1, (total+size-1)/size)
	if p.Page > 1 {
		p.Prev = min(p.Page, p.Pages+1) - 1
	}
	if p.Page < p.Pages {
		p.Next = p.Page + 1
	}
	return p
}

// followUpList reads page (from 1) of size follow-ups of the user's branches in the state
// (followUpStates; "" all), named for the page; size 0 counts them only.
func (c *Console) followUpList(ctx context.Context, u *storage.User, state string, page, size int) (*followUpList, error) {
	fl, err := c.followups.List(ctx, u, followups.State(state), page, size)
	if err != nil {
		return nil, err
	}
	return c.followUpRows(ctx, fl, state, page, size), nil
}

// followUpRows names the follow-ups' list, read in the state as page of size, for the page.
func (c *Console) followUpRows(ctx context.Context, fl *followups.List, state string, page, size int) *followUpList {
	l := &followUpList{Rows: []followUpRow{}, Open: fl.Open, Done: fl.Done, Overdue: fl.Overdue, State: state,
		pager: pagerOf(fl.Total, page, size)}
	names := c.labeler(ctx)
	for _, f := range fl.Rows {
		r := followUpRow{FollowUp: f.FollowUp, DueBy: f.DueBy, State: f.State, StateName: followUpStateNames[f.State],
			TakenByName: names.of(f.TakenBy), DoneByName: names.of(f.DoneBy), PathID: url.PathEscape(f.ID), Phone: f.Phone}
		if f.State == followups.Done && f.Reached != nil && *f.Reached {
			r.ReachedName = "已联系到客户"
		} else if f.State == followups.Done && f.Reached != nil {
			r.ReachedName = "未联系到客户"
		}
		l.Rows = append(l.Rows, r)
	}
	return l
}

// pageNumber is the page a list was asked for (?p=, from 1).
func pageNumber(g *gin.Context) int {
	p, err := strconv.Atoi(g.Query("p"))
	if err != nil || p < 1 {
		return 1
	}
	return p
}

// followUpAction takes ("take"), records ("done") or reopens the case of ("reopen") a follow-up,
// read from the form.
func (c *Console) followUpAction(ctx context.Context, who *actor, id, action string, form func(string) string) error {
	var err error
	switch action {
	case "take":
		err = c.followups.Take(ctx, who.by(), id)
	case "done":
		call := followups.Call{View: form("view"), Note: form("note")}
		switch form("reached") {
		case "yes", "true", "1":
			call.Reached = new(true)
		case "no", "false", "0":
			call.Reached = new(false)
		}
		if r := strings.TrimSpace(form("rating")); r != "" {
			n, err := strconv.Atoi(r)
			if err != nil {
				n = -1 // refused as a rating out of range
			}
			call.Rating = &n
		}
		err = c.followups.Record(ctx, who.by(), id, call)
	case "reopen":
		err = c.followups.Reopen(ctx, who.by(), id, form("note"))
	default:
		// An unknown action on a follow-up the user may work is not found.
		if _, err = c.followups.Workable(ctx, who.by(), id); err == nil {
			err = errNotFound
		}
	}
	return c.followUpError(ctx, err)
}

// followUpError words the follow-ups' refusals for the user (the case workflow's, when reopening,
// as caseError does); other errors are returned as they are.
func (c *Console) followUpError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, followups.ErrNotFound):
		return errNotFound
	case errors.Is(err, followups.ErrForbidden):
		return &Error{http.StatusForbidden, "回访由主管或管理员办理，坐席只能查看。"}
	case errors.Is(err, followups.ErrFinished):
		return conflict("该回访已完成。")
	case errors.Is(err, followups.ErrReached):
		return invalid("请选择是否联系到客户。")
	case errors.Is(err, followups.ErrTooLong):
		return invalid(fmt.Sprintf("客户意见和备注各最多 %d 字。", followups.MaxText))
	case errors.Is(err, followups.ErrRating):
		return invalid("新的评分须为 1 到 5。")
	case errors.Is(err, followups.ErrNoCase):
		return invalid("该回访不涉及案件。")
	case errors.Is(err, followups.ErrNoCases):
		return errForbidden
	case errors.Is(err, followups.ErrState):
		return errFollowUpState
	case errors.Is(err, followups.ErrUnaudited):
		return errUnaudited
	}
	return c.caseError(ctx, err)
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
	d := followUpsData{followUpList: l, CanWork: followups.MayWork(who.user), States: followUpStates}
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
	f, err := c.followups.FollowUp(ctx, actorOf(g).by(), g.Param("id"))
	if err != nil {
		c.apiError(g, c.followUpError(ctx, err))
		return
	}
	g.JSON(http.StatusOK, f)
}
