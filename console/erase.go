package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Erasure on request (issue #14): an admin erases one customer's personal data, found by openid
// or by one of their case numbers, in two steps — the first shows what will go and gives a
// confirmation code, the second, with that code, erases (storage.Store.EraseCustomers). Both the
// request and the result (how many records) are written to the audit trail, the request before
// anything is erased; the trail names the customer by masked openid only.

var (
	errEraseWho     = invalid("请填写客户的 openid 或其案件编号。")
	errEraseNoOne   = &Error{http.StatusNotFound, "未找到该客户：没有这个 openid 的会话或案件，或该案件已匿名化。"}
	errEraseConfirm = conflict("确认码不符：请先预览，再用预览给出的确认码确认删除。")
)

// eraseKey signs the confirmation codes: a code is good only for the customer it was shown for,
// on this instance, until the service restarts.
var eraseKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// eraseCode is the confirmation code of erasing the customer.
func eraseCode(openID string) string {
	m := hmac.New(sha256.New, eraseKey)
	m.Write([]byte("erase:" + openID))
	return hex.EncodeToString(m.Sum(nil))[:12]
}

// erasePreview is what an erasure will remove, shown before it is confirmed.
type erasePreview struct {
	// Customer is the masked openid.
	Customer string `json:"customer"`
	// By is how the customer was named: "openid" or the case number.
	By string `json:"by"`
	// Cases are the customer's case numbers (they are anonymised; their figures stay).
	Cases []string `json:"cases"`
	// Turns is how many messages of their conversation are stored.
	Turns int `json:"turns"`
	// Confirm is the code the confirmation must carry.
	Confirm string `json:"confirm"`
	// Query is what the admin typed (for the page's confirmation form; not in the JSON).
	Query string `json:"-"`
}

// eraseResult is what an erasure removed.
type eraseResult struct {
	Customer string         `json:"customer"`
	Records  int            `json:"records"`
	ByColl   map[string]int `json:"by_collection"`
}

// eraseTarget finds the customer an admin named: a case number's customer, or an openid that has
// a conversation or a case.
func (c *Console) eraseTarget(ctx context.Context, who *actor, query string) (string, erasePreview, error) {
	var p erasePreview
	if who.user.Role != complaintbot.RoleAdmin {
		return "", p, errForbidden
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return "", p, errEraseWho
	}
	openID, by := query, "openid"
	if complaintbot.IsCaseNumber(query) {
		id, err := c.store.CustomerOfCase(ctx, query)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && id == "") {
			return "", p, errEraseNoOne
		}
		if err != nil {
			return "", p, err
		}
		openID, by = id, query
	}
	st, err := c.store.CustomerRetention(ctx, openID)
	if err != nil {
		return "", p, err
	}
	turns := 0
	if !st.LastActive.IsZero() {
		if t, err := c.store.LatestTurn(ctx, openID); err == nil {
			turns = int(t.Version)
		}
	}
	if st.LastActive.IsZero() && by == "openid" {
		return "", p, errEraseNoOne
	}
	cases := st.Cases
	if by != "openid" && !slices.Contains(cases, by) {
		cases = append(cases, by)
	}
	return openID, erasePreview{Customer: complaintbot.MaskOpenID(openID), By: by, Cases: cases, Turns: turns,
		Confirm: eraseCode(openID), Query: query}, nil
}

// erase erases the customer once the code confirms it: audited before (the request) and after
// (how many records went).
func (c *Console) erase(ctx context.Context, who *actor, query, code string) (eraseResult, error) {
	openID, p, err := c.eraseTarget(ctx, who, query)
	if err != nil {
		return eraseResult{}, err
	}
	if !hmac.Equal([]byte(strings.TrimSpace(code)), []byte(p.Confirm)) {
		return eraseResult{}, errEraseConfirm
	}
	if err := c.audit(ctx, who, "customer.erase", "customer", p.Customer, "", "", fmt.Sprintf("requested by %s; cases %s", p.By, strings.Join(p.Cases, ","))); err != nil {
		return eraseResult{}, err
	}
	e, err := c.store.EraseCustomers(ctx, []string{openID}, c.clock.Now())
	if c.convs != nil {
		c.convs.Forget(openID)
	}
	if err != nil {
		return eraseResult{}, fmt.Errorf("erase customer %s: %w", p.Customer, err)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(e)) {
		if e[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, e[k]))
		}
	}
	after := fmt.Sprintf("%d records: %s", e.Total(), strings.Join(parts, " "))
	if err := c.audit(ctx, who, "customer.erased", "customer", p.Customer, "", "", after); err != nil {
		c.log.Error("customer erased, but its audit entry was not written", "customer", p.Customer, "records", e.Total())
	}
	c.log.Info("customer's personal data erased on request", "customer", p.Customer, "by", who.user.Name, "records", e.Total())
	return eraseResult{Customer: p.Customer, Records: e.Total(), ByColl: e}, nil
}

func (c *Console) registerErase(p, a *gin.RouterGroup) {
	p.GET("/erase", c.erasePage)
	p.POST("/erase", c.eraseSubmit)
	a.POST("/erasures", c.apiErase)
}

// apiErase is POST /api/v1/erasures with openid or case: without confirm (or with a wrong one)
// it answers the preview and erases nothing (a wrong code: 409); with the preview's code it erases.
func (c *Console) apiErase(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	who, ctx := actorOf(g), g.Request.Context()
	query := form("openid")
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
	g.JSON(http.StatusOK, gin.H{"erased": r})
}

// eraseView is the erase page's data.
type eraseView struct {
	Preview *erasePreview
	Result  *eraseResult
	Error   string
}

func (c *Console) erasePage(g *gin.Context) {
	if actorOf(g).user.Role != complaintbot.RoleAdmin {
		c.pageError(g, errForbidden)
		return
	}
	c.render(g, http.StatusOK, "erase", c.newView(g, "删除客户个人信息", "erase", eraseView{}), nil)
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
	c.render(g, status, "erase", c.newView(g, "删除客户个人信息", "erase", v), nil)
}
