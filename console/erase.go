package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Erasure on request (issue #14): an admin erases one customer's personal data, found by openid,
// by phone number or by one of their case numbers, in two steps — the first shows what will go and
// gives a confirmation code, the second, with that code, erases (storage.Store.EraseRequested). A
// case an agent registered (phone, counter, letter, e-mail, regulator referral) has no openid: it
// is anonymised by its number, and an erasure by phone reaches every case carrying that phone,
// agent-registered or not, and the customers of those registered through WeChat. Both the
// request and the result (how many records) are written to the audit trail, the request before
// anything is erased; the trail names the customer by masked openid (or the agent-registered
// cases by number) and a phone masked only.

var (
	errEraseWho     = invalid("请填写客户的 openid、手机号或其案件编号。")
	errEraseBad     = invalid("无法识别：请填写客户的 openid、手机号（7 至 15 位数字）或案件编号（如 TS20261101-0001）。")
	errEraseNoOne   = &Error{http.StatusNotFound, "未找到该客户：没有这个 openid、手机号的会话或案件，或该案件已匿名化。"}
	errEraseConfirm = conflict("确认码不符：请先预览，再用预览给出的确认码确认删除。")
)

// eraseKey signs the confirmation codes: a code is good only for the customers and cases it was
// shown for, on this instance, until the service restarts.
var eraseKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// eraseCode is the confirmation code of erasing the customers and the agent-registered cases.
func eraseCode(openIDs, agentCases []string) string {
	m := hmac.New(sha256.New, eraseKey)
	m.Write([]byte("erase:" + strings.Join(openIDs, ",") + "|" + strings.Join(agentCases, ",")))
	return hex.EncodeToString(m.Sum(nil))[:12]
}

// erasePreview is what an erasure will remove, shown before it is confirmed.
type erasePreview struct {
	// Customer is the masked openid (several, comma-separated, when a phone names several
	// customers; "" when only agent-registered cases are named).
	Customer string `json:"customer"`
	// By is how the customer was named: "openid", "phone 138****5678" or the case number.
	By string `json:"by"`
	// Cases are the case numbers (they are anonymised; their figures stay).
	Cases []string `json:"cases"`
	// AgentCases are those of them registered by an agent (no openid: anonymised by number).
	AgentCases []string `json:"agent_cases,omitempty"`
	// Turns is how many messages of their conversations are stored.
	Turns int `json:"turns"`
	// Confirm is the code the confirmation must carry.
	Confirm string `json:"confirm"`
	// Query is what the admin typed (for the page's confirmation form; not in the JSON).
	Query string `json:"-"`
}

// eraseWhat is what one request erases: customers whole, and cases no openid reaches.
type eraseWhat struct {
	openIDs    []string
	agentCases []string
}

var (
	erasePhoneRe  = regexp.MustCompile(`^\+?[0-9][0-9 \-]{5,20}$`)
	eraseOpenIDRe = regexp.MustCompile(`^[A-Za-z0-9_\-]{6,64}$`)
)

// erasePhone returns the digits of a phone number typed with spaces or dashes ("" when query is
// not one: 7 to 15 digits).
func erasePhone(query string) string {
	if !erasePhoneRe.MatchString(query) {
		return ""
	}
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, query)
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	return d
}

// eraseTarget finds what an admin named: a case number's customer (or, for a case an agent
// registered, that case), every customer and agent-registered case carrying a phone number, or
// an openid that has a conversation or a case.
func (c *Console) eraseTarget(ctx context.Context, who *actor, query string) (eraseWhat, erasePreview, error) {
	var w eraseWhat
	var p erasePreview
	if who.user.Role != complaintbot.RoleAdmin {
		return w, p, errForbidden
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return w, p, errEraseWho
	}
	var cases []string
	switch phone := erasePhone(query); {
	case complaintbot.IsCaseNumber(query):
		ce, err := c.store.CaseForErasure(ctx, query)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && ce.Anonymised) {
			return w, p, errEraseNoOne
		}
		if err != nil {
			return w, p, err
		}
		if ce.OpenID != "" {
			w.openIDs = []string{ce.OpenID}
		} else {
			w.agentCases = []string{query}
		}
		cases, p.By = []string{query}, query
	case phone != "":
		pc, err := c.store.CasesWithPhone(ctx, phone)
		if err != nil {
			return w, p, err
		}
		if len(pc.Numbers) == 0 {
			return w, p, errEraseNoOne
		}
		w.openIDs, w.agentCases = pc.OpenIDs, pc.Agent
		cases, p.By = pc.Numbers, "phone "+complaintbot.MaskPhone(phone)
	case eraseOpenIDRe.MatchString(query):
		w.openIDs, p.By = []string{query}, "openid"
	default:
		return w, p, errEraseBad
	}
	var masked []string
	for _, id := range w.openIDs {
		st, err := c.store.CustomerRetention(ctx, id)
		if err != nil {
			return w, p, err
		}
		if st.LastActive.IsZero() && p.By == "openid" {
			return w, p, errEraseNoOne
		}
		if !st.LastActive.IsZero() {
			if t, err := c.store.LatestTurn(ctx, id); err == nil {
				p.Turns += int(t.Version)
			}
		}
		for _, n := range st.Cases {
			if !slices.Contains(cases, n) {
				cases = append(cases, n)
			}
		}
		masked = append(masked, complaintbot.MaskOpenID(id))
	}
	p.Customer, p.Cases, p.AgentCases = strings.Join(masked, ","), cases, w.agentCases
	p.Confirm, p.Query = eraseCode(w.openIDs, w.agentCases), query
	return w, p, nil
}

// eraseSubject names what was erased in the audit trail and on the page: the masked openids, or
// the agent-registered cases' numbers.
func eraseSubject(p erasePreview) string {
	if p.Customer != "" {
		return p.Customer
	}
	return strings.Join(p.AgentCases, ",")
}

// erase records the erasure of the customers and cases once the code confirms it, audited
// (customer.erase, before anything is erased); the erasures job (scheduler.Erasures) carries it
// out in the background and audits the result (customer.erased).
func (c *Console) erase(ctx context.Context, who *actor, query, code string) (storage.ErasureRequest, error) {
	var r storage.ErasureRequest
	w, p, err := c.eraseTarget(ctx, who, query)
	if err != nil {
		return r, err
	}
	if !hmac.Equal([]byte(strings.TrimSpace(code)), []byte(p.Confirm)) {
		return r, errEraseConfirm
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	now := c.clock.Now()
	r = storage.ErasureRequest{ID: "ER" + now.In(complaintbot.Shanghai).Format("20060102150405") + "-" + hex.EncodeToString(suffix),
		By: p.By, Subject: eraseSubject(p), Cases: p.Cases, OpenIDs: w.openIDs, AgentCases: w.agentCases,
		RequestedBy: who.user.Name, RequestedAt: now}
	if err := c.audit(ctx, who, "customer.erase", "customer", r.Subject, "", "",
		fmt.Sprintf("request %s by %s; cases %s", r.ID, p.By, strings.Join(p.Cases, ","))); err != nil {
		return r, err
	}
	if err := c.store.RequestErasure(ctx, &r); err != nil {
		return r, fmt.Errorf("erase customer %s: %w", r.Subject, err)
	}
	c.log.Info("erasure of a customer's personal data requested", "erasure", r.ID, "customer", r.Subject, "by", who.user.Name)
	return r, nil
}

func (c *Console) registerErase(p, a *gin.RouterGroup) {
	p.GET("/erase", c.erasePage)
	p.POST("/erase", c.eraseSubmit)
	a.POST("/erasures", c.apiErase)
	a.GET("/erasures", c.apiErasures)
	a.GET("/erasures/:id", c.apiErasure)
}

// apiErasures is GET /api/v1/erasures: the latest requests and where they stand (admins only).
func (c *Console) apiErasures(g *gin.Context) {
	if actorOf(g).user.Role != complaintbot.RoleAdmin {
		c.apiError(g, errForbidden)
		return
	}
	rs, err := c.store.ErasureRequests(g.Request.Context(), eraseRecent)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"erasures": rs})
}

// apiErasure is GET /api/v1/erasures/:id: one request and where it stands (admins only).
func (c *Console) apiErasure(g *gin.Context) {
	if actorOf(g).user.Role != complaintbot.RoleAdmin {
		c.apiError(g, errForbidden)
		return
	}
	r, err := c.store.ErasureRequest(g.Request.Context(), g.Param("id"))
	if errors.Is(err, storage.ErrNotFound) {
		c.apiError(g, &Error{http.StatusNotFound, "没有这个删除请求。"})
		return
	}
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"erasure": r})
}

// apiErase is POST /api/v1/erasures with openid, phone or case: without confirm it answers the
// preview and erases nothing (a wrong code: 409); with the preview's code it records the request
// and answers 202 with it (its id and status); the erasures job carries it out.
func (c *Console) apiErase(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	who, ctx := actorOf(g), g.Request.Context()
	query := form("openid")
	if query == "" {
		query = form("phone")
	}
	if query == "" {
		query = form("case")
	}
	if form("confirm") == "" {
		_, p, err := c.eraseTarget(ctx, who, query)
		if err != nil {
			c.apiError(g, err)
			return
		}
		g.JSON(http.StatusOK, gin.H{"preview": p})
		return
	}
	r, err := c.erase(ctx, who, query, form("confirm"))
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusAccepted, gin.H{"erasure": r})
}

// eraseView is the erase page's data.
type eraseView struct {
	Preview *erasePreview
	Result  *storage.ErasureRequest
	Error   string
	// Recent are the latest requests and where they stand.
	Recent []storage.ErasureRequest
}

// eraseRecent is how many of the latest requests the page lists.
const eraseRecent = 20

// renderErase shows the page with the latest requests.
func (c *Console) renderErase(g *gin.Context, status int, v eraseView) {
	recent, err := c.store.ErasureRequests(g.Request.Context(), eraseRecent)
	if err != nil {
		c.log.Error("list erasure requests", "err", err)
	}
	v.Recent = recent
	c.render(g, status, "erase", c.newView(g, "删除客户个人信息", "erase", v), nil)
}

func (c *Console) erasePage(g *gin.Context) {
	if actorOf(g).user.Role != complaintbot.RoleAdmin {
		c.pageError(g, errForbidden)
		return
	}
	c.renderErase(g, http.StatusOK, eraseView{})
}

func (c *Console) eraseSubmit(g *gin.Context) {
	who, ctx := actorOf(g), g.Request.Context()
	if who.user.Role != complaintbot.RoleAdmin {
		c.pageError(g, errForbidden)
		return
	}
	var v eraseView
	status := http.StatusOK
	if code := g.PostForm("confirm"); code == "" {
		if _, p, err := c.eraseTarget(ctx, who, g.PostForm("who")); err != nil {
			status, v.Error = c.userError(err)
		} else {
			v.Preview = &p
		}
	} else if r, err := c.erase(ctx, who, g.PostForm("who"), code); err != nil {
		status, v.Error = c.userError(err)
	} else {
		v.Result = &r
	}
	c.renderErase(g, status, v)
}
