package console

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/quickreplies"
	"github.com/gin-gonic/gin"
)

// quickReplyError names a refused quick-reply change in Chinese.
func quickReplyError(err error) error {
	switch {
	case errors.Is(err, quickreplies.ErrForbidden):
		return &Error{http.StatusForbidden, "主管可维护本网点的快捷回复，管理员可维护全部网点的快捷回复。"}
	case errors.Is(err, quickreplies.ErrText):
		return invalid("请填写回复内容（最多 600 字）。")
	case errors.Is(err, quickreplies.ErrTitle):
		return invalid("标题最多 20 字。")
	case errors.Is(err, quickreplies.ErrBranch):
		return invalid("未知的网点。")
	case errors.Is(err, quickreplies.ErrUnaudited):
		return errUnaudited
	}
	return err
}

// offeredReply is a quick reply as the reply box offers it: filled in for the conversation.
type offeredReply struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// offeredReplies returns the quick replies offered to the agent in the customer's conversation,
// filled with the customer's newest case the agent may see and the agent's name.
func (c *Console) offeredReplies(ctx context.Context, who *actor, openID string) ([]offeredReply, error) {
	qs, err := c.quick.Offered(ctx, who.user)
	if err != nil || len(qs) == 0 {
		return nil, err
	}
	number := ""
	cases, err := c.store.CasesOf(ctx, openID, 20)
	if err != nil {
		return nil, err
	}
	for _, cs := range cases { // newest first
		if who.user.Covers(cs.Branch.Code) {
			number = cs.Number
			break
		}
	}
	out := make([]offeredReply, 0, len(qs))
	for _, q := range qs {
		out = append(out, offeredReply{Title: quickreplies.Fill(q.Title, number, who.user.Label()), Text: quickreplies.Fill(q.Text, number, who.user.Label())})
	}
	return out, nil
}

func (c *Console) registerQuickReplies(p, a *gin.RouterGroup) {
	p.GET("/quick-replies", c.quickRepliesPage)
	p.POST("/quick-replies", c.quickRepliesSubmit)
	p.POST("/quick-replies/:id/:action", c.quickRepliesSubmit)
	a.GET("/quick-replies", c.apiQuickReplies)
	a.POST("/quick-replies", c.apiQuickRepliesChange)
	a.POST("/quick-replies/:id/:action", c.apiQuickRepliesChange)
}

// quickReplyChange carries out an add ("" id), a "save" or a "delete" and returns the reply saved.
func (c *Console) quickReplyChange(ctx context.Context, who *actor, id, action string, form func(string) string) (*complaintbot.QuickReply, error) {
	switch {
	case id == "" || action == "save":
		q, err := c.quick.Save(ctx, who.by(), complaintbot.QuickReply{ID: id, Branch: form("branch"), Title: form("title"), Text: form("text")})
		return q, quickReplyError(err)
	case action == "delete":
		return nil, quickReplyError(c.quick.Delete(ctx, who.by(), id))
	}
	return nil, errNotFound
}

type quickRepliesData struct {
	Replies []complaintbot.QuickReply
	// Branches are those the user may write for; AllBranches says they may write for every one.
	Branches    []complaintbot.Branch
	AllBranches bool
	Case, Agent string
}

func (c *Console) quickRepliesPage(g *gin.Context) {
	who := actorOf(g)
	qs, err := c.quick.Manageable(g.Request.Context(), who.by())
	if err != nil {
		c.pageError(g, quickReplyError(err))
		return
	}
	d := quickRepliesData{Replies: qs, AllBranches: who.user.Role == complaintbot.RoleAdmin,
		Case: complaintbot.QuickReplyCase, Agent: complaintbot.QuickReplyAgent}
	for _, b := range c.branches {
		if d.AllBranches || (b.Code != "" && slices.Contains(who.user.Branches, b.Code)) {
			d.Branches = append(d.Branches, b)
		}
	}
	c.render(g, http.StatusOK, "quickreplies", c.newView(g, "快捷回复", "quick-replies", d), nil)
}

func (c *Console) quickRepliesSubmit(g *gin.Context) {
	who := actorOf(g)
	_, err := c.quickReplyChange(g.Request.Context(), who, g.Param("id"), g.Param("action"), g.PostForm)
	msg := "快捷回复已保存。"
	if g.Param("action") == "delete" {
		msg = "快捷回复已删除。"
	}
	c.done(g, "/quick-replies", err, msg)
}

func (c *Console) apiQuickReplies(g *gin.Context) {
	who := actorOf(g)
	qs, err := c.quick.Offered(g.Request.Context(), who.user)
	if err != nil {
		c.apiError(g, err)
		return
	}
	if qs == nil {
		qs = []complaintbot.QuickReply{}
	}
	g.JSON(http.StatusOK, gin.H{"quick_replies": qs})
}

func (c *Console) apiQuickRepliesChange(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	q, err := c.quickReplyChange(g.Request.Context(), actorOf(g), g.Param("id"), g.Param("action"), form)
	if err != nil {
		c.apiError(g, err)
		return
	}
	if q == nil {
		g.JSON(http.StatusOK, gin.H{"deleted": g.Param("id")})
		return
	}
	g.JSON(http.StatusOK, q)
}
