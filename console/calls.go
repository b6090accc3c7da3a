package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// The call list (待联系消息): which messages are on it, for whom, and what a person may do with
// one are the calls package's; this file lists and words them.

// callPage is how many messages a page of the call list shows.
const callPage = 25

// callRow is a message on the call list as the page and the API show it.
type callRow struct {
	ID      string                    `json:"id"`
	Purpose string                    `json:"purpose"`
	Status  complaintbot.OutboxStatus `json:"status"`
	// StatusName is the status for agents; PurposeName what the message was.
	StatusName  string     `json:"status_name"`
	PurposeName string     `json:"purpose_name"`
	Case        string     `json:"case,omitempty"`
	Branch      string     `json:"branch"`
	BranchName  string     `json:"branch_name"`
	Phone       string     `json:"phone,omitempty"`
	Text        string     `json:"text"`
	LastError   string     `json:"last_error,omitempty"`
	Created     time.Time  `json:"created_at"`
	Done        *time.Time `json:"done_at,omitempty"`
	// WindowOpen says a customer-service message may be sent now: the message can be resent.
	WindowOpen bool `json:"window_open"`
	// PathID is the id escaped for a URL path.
	PathID string `json:"-"`
}

var purposeNames = map[string]string{
	complaintbot.PurposeReply:   "机器人回复",
	complaintbot.PurposeAgent:   "坐席回复",
	complaintbot.PurposeNotice:  "案件通知",
	complaintbot.PurposeSurvey:  "满意度调查",
	complaintbot.PurposeHandoff: "人工会话结束通知",
}

// callList is one page of the call list of the user's branches, newest first.
type callList struct {
	Rows []callRow
	// Total is how many there are in all.
	Total int
	pager
}

// callRows reads page (from 1) of size messages of the call list of the user's branches, named
// for the page; size 0 counts them only. withWindow also reads each listed customer's messaging
// window.
func (c *Console) callRows(ctx context.Context, u *storage.User, withWindow bool, page, size int) (*callList, error) {
	cl, err := c.calls.List(ctx, u, withWindow, page, size)
	if err != nil {
		return nil, err
	}
	l := &callList{Rows: []callRow{}, Total: cl.Total, pager: pagerOf(cl.Total, page, size)}
	for _, m := range cl.Rows {
		r := callRow{ID: m.ID, Purpose: m.Purpose, Status: m.Status, StatusName: outboxLabel(m.Status), PurposeName: purposeNames[m.Purpose],
			Case: m.Case, Branch: m.Branch, BranchName: c.branchName(m.Branch), Phone: m.Phone, Text: m.Text, LastError: m.LastError,
			Created: m.Created, Done: m.Done, WindowOpen: m.WindowOpen, PathID: url.PathEscape(m.ID)}
		if r.PurposeName == "" {
			r.PurposeName = m.Purpose
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// callAction resends ("resend"), marks called ("called", with a note) or closes ("close") a message
// of the call list.
func (c *Console) callAction(ctx context.Context, who *actor, id, action string, form func(string) string) error {
	err := c.calls.Act(ctx, who.by(), id, calls.Action(action), form("note"))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, calls.ErrAction):
		return errNotFound
	case errors.Is(err, calls.ErrHandled):
		return conflict("该消息已处理，不在待联系名单中。")
	case errors.Is(err, calls.ErrNoteTooLong):
		return invalid(fmt.Sprintf("备注最多 %d 字。", calls.MaxNote))
	case errors.Is(err, calls.ErrWindowClosed):
		return conflict("客户的微信会话窗口未开放（客户 48 小时内未发消息或可发条数已用完），暂不能重发，请电话联系客户。")
	case errors.Is(err, calls.ErrNoteEmpty):
		return invalid("请填写联系客户的情况。")
	case errors.Is(err, calls.ErrUnaudited):
		return errUnaudited
	}
	return err
}

func (c *Console) callsPage(g *gin.Context) {
	l, err := c.callRows(g.Request.Context(), actorOf(g).user, true, pageNumber(g), callPage)
	if err != nil {
		c.pageError(g, err)
		return
	}
	c.render(g, http.StatusOK, "calls", c.newView(g, "待联系客户", "calls", l), nil)
}

func (c *Console) callsSubmit(g *gin.Context) {
	err := c.callAction(g.Request.Context(), actorOf(g), g.Param("id"), g.Param("action"), g.PostForm)
	msg := "已处理。"
	if g.Param("action") == "resend" {
		msg = "已重新发送。"
	}
	c.done(g, "/calls", err, msg)
}

func (c *Console) apiCalls(g *gin.Context) {
	l, err := c.callRows(g.Request.Context(), actorOf(g).user, true, pageNumber(g), callPage)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"calls": l.Rows, "total": l.Total, "page": l.Page, "pages": l.Pages})
}

func (c *Console) apiCallAction(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	if err := c.callAction(g.Request.Context(), actorOf(g), g.Param("id"), form("action"), form); err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"id": g.Param("id"), "action": form("action")})
}
