package console

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// The call list: every message to a customer that a person must deal with (storage.NeedsPerson:
// undeliverable — no channel WeChat allows, including an idle return whose allowance was used up —,
// failed, or of unknown outcome), for the user's branches, with the customer's phone number from
// the case. A message's branch is its case's; a message with no case is head office's. Nothing
// leaves the list but by a person: resend (only while the customer's window is open again), mark
// called with a note, or close.

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

// callRows reads page (from 1) of size messages of the call list of the user's branches; size 0
// counts them only. The count comes from the list's entries (storage.CallList) and the branches
// and phone numbers from the case index; only the page's messages are read, by _id. withWindow
// also reads each listed customer's messaging window (by _id on the main connection).
func (c *Console) callRows(ctx context.Context, u *storage.User, withWindow bool, page, size int) (*callList, error) {
	es, err := c.store.CallList(ctx) // the read-only connection
	if err != nil {
		return nil, err
	}
	var numbers []string
	for _, e := range es {
		if e.Case != "" {
			numbers = append(numbers, e.Case)
		}
	}
	cases, err := c.store.CaseRows(ctx, numbers)
	if err != nil {
		return nil, err
	}
	branchOf := func(number string) string {
		if cs := cases[number]; cs != nil {
			return cs.Branch.Code
		}
		return ""
	}
	mine := es[:0]
	for _, e := range es {
		if u.Covers(branchOf(e.Case)) {
			mine = append(mine, e)
		}
	}
	slices.SortFunc(mine, func(a, b storage.CallEntry) int { return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID)) })
	l := &callList{Rows: []callRow{}, Total: len(mine)}
	var shown []storage.CallEntry
	if l.pager, shown = pageOf(mine, page, size); size <= 0 {
		return l, nil
	}
	var ids []string
	for _, e := range shown {
		ids = append(ids, e.ID)
	}
	msgs, err := c.store.OutboxMessagesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	windows := map[string]bool{}
	for _, m := range msgs {
		if !slices.Contains(storage.NeedsPerson, m.Status) || m.Purpose == complaintbot.PurposeSystem {
			continue // dealt with since its entry was read
		}
		r := callRow{ID: m.ID, Purpose: m.Purpose, Status: m.Status, StatusName: outboxLabel(m.Status), PurposeName: purposeNames[m.Purpose],
			Case: m.CaseNumber, Text: m.Text, LastError: m.LastError, Created: m.Created, Done: m.Done, PathID: url.PathEscape(m.ID)}
		if r.PurposeName == "" {
			r.PurposeName = m.Purpose
		}
		if cs := cases[m.CaseNumber]; cs != nil {
			r.Branch, r.Phone = cs.Branch.Code, cs.Fields[complaintbot.FieldPhone]
		}
		if !u.Covers(r.Branch) {
			continue
		}
		r.BranchName = c.branchName(r.Branch)
		if withWindow {
			open, ok := windows[m.OpenID]
			if !ok {
				w, err := c.store.MessagingWindow(ctx, m.OpenID, now)
				if err != nil {
					return nil, err
				}
				open = w.Open()
				windows[m.OpenID] = open
			}
			r.WindowOpen = open
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// callAction resends ("resend"), marks called ("called", with a note) or closes ("close") a message
// of the call list.
func (c *Console) callAction(ctx context.Context, who *actor, id, action string, form func(string) string) error {
	m, err := c.store.OutboxMessage(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	branch := ""
	if m.CaseNumber != "" {
		cs, err := c.store.ScanCase(ctx, m.CaseNumber)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if cs != nil {
			branch = cs.Branch.Code
		}
	}
	if !who.user.Covers(branch) || m.Purpose == complaintbot.PurposeSystem {
		return errNotFound
	}
	needs := false
	for _, s := range storage.NeedsPerson {
		needs = needs || s == m.Status
	}
	if !needs {
		return conflict("该消息已处理，不在待联系名单中。")
	}
	now := c.clock.Now()
	// The audit trail names the message by its id, with the customer's openid in it masked.
	target := m.ID
	if m.OpenID != "" {
		target = strings.ReplaceAll(m.ID, m.OpenID, complaintbot.MaskOpenID(m.OpenID))
	}
	note := strings.TrimSpace(form("note"))
	if len([]rune(note)) > 500 {
		return invalid("备注最多 500 字。")
	}
	switch action {
	case "resend":
		w, err := c.store.MessagingWindow(ctx, m.OpenID, now)
		if err != nil {
			return err
		}
		if !w.Open() {
			return conflict("客户的微信会话窗口未开放（客户 48 小时内未发消息或可发条数已用完），暂不能重发，请电话联系客户。")
		}
		if err := c.audit(ctx, who, auditCallResend, "outbox", target, branch, string(m.Status), string(complaintbot.OutboxPending)); err != nil {
			return err
		}
		return c.store.RequeueOutbox(ctx, m.ID, now)
	case "called":
		if note == "" {
			return invalid("请填写联系客户的情况。")
		}
		if err := c.audit(ctx, who, auditCallCalled, "outbox", target, branch, string(m.Status), string(complaintbot.OutboxHandled)); err != nil {
			return err
		}
		return c.store.ResolveOutbox(ctx, m.ID, who.user.Name, "已电话联系："+note, now)
	case "close":
		if err := c.audit(ctx, who, auditCallClose, "outbox", target, branch, string(m.Status), string(complaintbot.OutboxHandled)); err != nil {
			return err
		}
		return c.store.ResolveOutbox(ctx, m.ID, who.user.Name, note, now)
	}
	return errNotFound
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
