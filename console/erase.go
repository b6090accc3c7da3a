package console

import (
	"errors"
	"net/http"

	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
)

// Erasure on request (issue #14): an admin erases one customer's personal data in two steps, a
// preview with a confirmation code and the confirmed request. Finding the customer, the code and
// recording the request are the erasures package's; this file presents them.

// eraseError words the erasures' refusals for the user; other errors are returned as they are.
func eraseError(err error) error {
	switch {
	case errors.Is(err, erasures.ErrForbidden):
		return errForbidden
	case errors.Is(err, erasures.ErrNoQuery):
		return invalid("请填写客户的 openid、手机号或其案件编号。")
	case errors.Is(err, erasures.ErrUnrecognised):
		return invalid("无法识别：请填写客户的 openid、手机号（7 至 15 位数字）或案件编号（如 TS20261101-0001）。")
	case errors.Is(err, erasures.ErrNoOne):
		return &Error{http.StatusNotFound, "未找到该客户：没有这个 openid、手机号的会话或案件，或该案件已匿名化。"}
	case errors.Is(err, erasures.ErrCode):
		return conflict("确认码不符：请先预览，再用预览给出的确认码确认删除。")
	case errors.Is(err, erasures.ErrNoRequest):
		return &Error{http.StatusNotFound, "没有这个删除请求。"}
	case errors.Is(err, erasures.ErrUnaudited):
		return errUnaudited
	}
	return err
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
	rs, err := c.erasures.Requests(g.Request.Context(), actorOf(g).by(), eraseRecent)
	if err != nil {
		c.apiError(g, eraseError(err))
		return
	}
	g.JSON(http.StatusOK, gin.H{"erasures": rs})
}

// apiErasure is GET /api/v1/erasures/:id: one request and where it stands (admins only).
func (c *Console) apiErasure(g *gin.Context) {
	r, err := c.erasures.Get(g.Request.Context(), actorOf(g).by(), g.Param("id"))
	if err != nil {
		c.apiError(g, eraseError(err))
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
	by, ctx := actorOf(g).by(), g.Request.Context()
	query := form("openid")
	if query == "" {
		query = form("phone")
	}
	if query == "" {
		query = form("case")
	}
	if form("confirm") == "" {
		p, err := c.erasures.Preview(ctx, by, query)
		if err != nil {
			c.apiError(g, eraseError(err))
			return
		}
		g.JSON(http.StatusOK, gin.H{"preview": p})
		return
	}
	r, err := c.erasures.Request(ctx, by, query, form("confirm"))
	if err != nil {
		c.apiError(g, eraseError(err))
		return
	}
	g.JSON(http.StatusAccepted, gin.H{"erasure": r})
}

// eraseView is the erase page's data.
type eraseView struct {
	Preview *erasures.Preview
	Result  *storage.ErasureRequest
	Error   string
	// Recent are the latest requests and where they stand.
	Recent []storage.ErasureRequest
}

// eraseRecent is how many of the latest requests the page lists.
const eraseRecent = 20

// renderErase shows the page with the latest requests.
func (c *Console) renderErase(g *gin.Context, status int, v eraseView) {
	recent, err := c.erasures.Requests(g.Request.Context(), actorOf(g).by(), eraseRecent)
	if err != nil {
		c.log.Error("list erasure requests", "err", err)
	}
	v.Recent = recent
	c.render(g, status, "erase", c.newView(g, "删除客户个人信息", "erase", v), nil)
}

func (c *Console) erasePage(g *gin.Context) {
	if !erasures.MayErase(actorOf(g).by()) {
		c.pageError(g, errForbidden)
		return
	}
	c.renderErase(g, http.StatusOK, eraseView{})
}

func (c *Console) eraseSubmit(g *gin.Context) {
	who, ctx := actorOf(g), g.Request.Context()
	if !erasures.MayErase(who.by()) {
		c.pageError(g, errForbidden)
		return
	}
	var v eraseView
	status := http.StatusOK
	if code := g.PostForm("confirm"); code == "" {
		if p, err := c.erasures.Preview(ctx, who.by(), g.PostForm("who")); err != nil {
			status, v.Error = c.userError(eraseError(err))
		} else {
			v.Preview = p
		}
	} else if r, err := c.erasures.Request(ctx, who.by(), g.PostForm("who"), code); err != nil {
		status, v.Error = c.userError(eraseError(err))
	} else {
		v.Result = &r
	}
	c.renderErase(g, status, v)
}
