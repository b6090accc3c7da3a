package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/users"
	"github.com/gin-gonic/gin"
)

// The console's account pages and API: admins manage users (用户管理), every user changes their
// own password (修改密码). The rules are the users package's; this file only presents them.

func (c *Console) usersPage(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	list, err := c.users.List(ctx, who.by())
	if err != nil {
		c.pageError(g, err)
		return
	}
	locks, err := c.users.Locks(ctx, who.by())
	if err != nil {
		c.pageError(g, err)
		return
	}
	until := map[string]*time.Time{} // a missing name is a nil pointer: false in the template
	for name, t := range locks {
		until[name] = &t
	}
	c.render(g, http.StatusOK, "users", c.newView(g, "用户管理", "users",
		map[string]any{"Users": list, "Locks": until, "Branches": c.branches}), nil)
}

// newUserFrom reads the account to create from a form or a JSON body.
func newUserFrom(form func(string) string) users.NewUser {
	return users.NewUser{Name: strings.TrimSpace(form("username")), DisplayName: form("display_name"),
		Role: complaintbot.Role(form("role")), Branches: users.ParseBranches(form("branches")), Password: form("password")}
}

func (c *Console) usersAdd(g *gin.Context) {
	who := actorOf(g)
	_, err := c.users.AddUser(g.Request.Context(), who.by(), newUserFrom(g.PostForm))
	c.done(g, "/users", err, "已新增用户。该用户首次登录时须先设置自己的密码。")
}

// userAction carries out an admin's action on a user; the users package decides who may.
func (c *Console) userAction(g *gin.Context, who *actor, name, action string, form func(string) string) (string, error) {
	ctx, by := g.Request.Context(), who.by()
	switch action {
	case "disable":
		return "已停用。", c.users.SetDisabled(ctx, by, name, true)
	case "enable":
		return "已启用。", c.users.SetDisabled(ctx, by, name, false)
	case "password":
		return "已重设密码，该用户需重新登录，并须先设置自己的新密码。", c.users.SetPassword(ctx, by, name, form("password"))
	case "role":
		return "已保存。", c.users.SetRole(ctx, by, name, complaintbot.Role(form("role")), users.ParseBranches(form("branches")))
	case "unlock":
		return "已解除登录锁定。", c.users.Unlock(ctx, by, name)
	}
	return "", errNotFound
}

func (c *Console) usersAction(g *gin.Context) {
	who := actorOf(g)
	msg, err := c.userAction(g, who, g.Param("name"), g.Param("action"), g.PostForm)
	c.done(g, "/users", err, msg)
}

func (c *Console) apiUsers(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	list, err := c.users.List(ctx, who.by())
	if err != nil {
		c.apiError(g, err)
		return
	}
	locks, err := c.users.Locks(ctx, who.by())
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"users": list, "locked_until": locks})
}

func (c *Console) apiUsersAdd(g *gin.Context) {
	who := actorOf(g)
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	u, err := c.users.AddUser(g.Request.Context(), who.by(), newUserFrom(form))
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusCreated, gin.H{"user": u})
}

func (c *Console) apiUsersAction(g *gin.Context) {
	who := actorOf(g)
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	msg, err := c.userAction(g, who, g.Param("name"), g.Param("action"), form)
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, gin.H{"ok": true, "message": msg})
}

// ---- one's own password ----

// passwordData is what the password page shows.
type passwordData struct {
	// Forced: someone else chose the password; nothing else works until the user sets their own.
	Forced bool
	Next   string
	Error  string
}

func (c *Console) passwordPage(g *gin.Context) {
	who := actorOf(g)
	d := passwordData{Forced: who.user.MustChangePassword, Next: safeNext(g.Query("next"))}
	c.render(g, http.StatusOK, "password", c.newView(g, "修改密码", "password", d), nil)
}

func (c *Console) passwordSubmit(g *gin.Context) {
	who := actorOf(g)
	d := passwordData{Forced: who.user.MustChangePassword, Next: safeNext(g.PostForm("next"))}
	var err error
	if next := g.PostForm("new_password"); next != g.PostForm("confirm_password") {
		err = invalid("两次输入的新密码不一致。")
	} else {
		err = c.users.ChangePassword(g.Request.Context(), who.by(), who.session.ID, g.PostForm("current_password"), next)
	}
	if err != nil {
		status, msg := c.userError(err)
		d.Error = msg
		c.render(g, status, "password", c.newView(g, "修改密码", "password", d), nil)
		return
	}
	setCookie(g, flashCookie, url.QueryEscape("ok|密码已修改，您在其他地方的登录已退出。"), 60)
	g.Redirect(http.StatusSeeOther, d.Next)
}

// apiPassword answers POST /api/v1/password {"current_password", "new_password"}: 204 when the
// password is changed; the user's other sessions end.
func (c *Console) apiPassword(g *gin.Context) {
	who := actorOf(g)
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	if err := c.users.ChangePassword(g.Request.Context(), who.by(), who.session.ID, form("current_password"), form("new_password")); err != nil {
		c.apiError(g, err)
		return
	}
	g.Status(http.StatusNoContent)
}
