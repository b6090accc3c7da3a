package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/users"
	"github.com/gin-gonic/gin"
)

// Cookie names.
const (
	sessionCookie = "cb_session"
	loginCookie   = "cb_login" // the login form's CSRF token (double submit)
	flashCookie   = "cb_flash"
)

// by returns the actor as the workflows (users, cases, handoffs) know it.
func (a *actor) by() complaintbot.Actor { return complaintbot.Actor{User: a.user, Addr: a.addr} }

// usersError returns the HTTP status and message of a refusal from the users package (ok false
// for any other error).
func usersError(err error) (status int, msg string, ok bool) {
	var e *users.Error
	if !errors.As(err, &e) {
		return 0, "", false
	}
	switch e.Code {
	case users.Invalid:
		status = http.StatusBadRequest
	case users.Conflict:
		status = http.StatusConflict
	case users.Forbidden:
		status = http.StatusForbidden
	case users.Unauthenticated:
		status = http.StatusUnauthorized
	case users.LockedOut:
		status = http.StatusTooManyRequests
	case users.Unaudited:
		status = http.StatusInternalServerError
	default:
		status = http.StatusBadRequest
	}
	return status, e.Msg, true
}

// addr is the address a request comes from: the connection's peer or, when that is one of
// console.trusted_proxies, the client it forwarded for (X-Forwarded-For read from the right, past
// the trusted proxies, so a client cannot forge it to dodge the per-address lock-out). Register
// gives the router the trusted proxies.
func addr(g *gin.Context) string { return g.ClientIP() }

// secure reports whether the request says it came over HTTPS, to mark cookies Secure. Whoever
// claims it only keeps their own browser from sending the cookies over plain HTTP.
func secure(g *gin.Context) bool {
	return g.Request.TLS != nil || strings.EqualFold(g.GetHeader("X-Forwarded-Proto"), "https")
}

// servedOverHTTPS reports whether the console is known to be served over HTTPS: the connection is
// TLS, or a trusted proxy says its client's was (X-Forwarded-Proto: https, the first hop's).
func (c *Console) servedOverHTTPS(g *gin.Context) bool {
	if g.Request.TLS != nil {
		return true
	}
	proto, _, _ := strings.Cut(g.GetHeader("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https") && c.fromTrustedProxy(g)
}

// fromTrustedProxy reports whether the connection's peer is one of console.trusted_proxies.
func (c *Console) fromTrustedProxy(g *gin.Context) bool {
	a, err := netip.ParseAddr(g.RemoteIP())
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// trustProxies gives the router the trusted proxies, so that addr (gin's ClientIP) believes
// X-Forwarded-For from them only; with none, from nobody.
func (c *Console) trustProxies(r *gin.Engine) {
	list := make([]string, 0, len(c.trusted))
	for _, p := range c.trusted {
		list = append(list, p.String())
	}
	if len(list) == 0 {
		list = nil
	}
	if err := r.SetTrustedProxies(list); err != nil { // cannot happen: New parsed them
		c.log.Error("console.trusted_proxies refused by the router; forwarded headers are ignored", "err", err)
		_ = r.SetTrustedProxies(nil)
	}
}

func setCookie(g *gin.Context, name, value string, maxAge int) {
	http.SetCookie(g.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure(g), SameSite: http.SameSiteStrictMode})
}

// passwordChangeAllowed are the routes a user who must change their password may use.
var passwordChangeAllowed = map[string]bool{
	"GET /password": true, "POST /password": true, "POST /logout": true,
	"GET /api/v1/me": true, "POST /api/v1/password": true, "DELETE /api/v1/session": true,
}

// authenticate loads the session from the bearer token or the cookie, refuses requests without a
// live one, and checks the CSRF token of a cookie session's state-changing requests. A user whose
// password someone else chose is sent to the password page until they have chosen their own. api
// selects JSON answers instead of a redirect to the login page.
func (c *Console) authenticate(api bool) gin.HandlerFunc {
	return func(g *gin.Context) {
		who, err := c.session(g)
		if err != nil {
			status, msg := c.userError(err)
			if api || status != http.StatusUnauthorized {
				c.fail(g, api, status, msg)
				return
			}
			next := "/inbox"
			if g.Request.Method == http.MethodGet {
				next = g.Request.URL.RequestURI()
			}
			c.redirect(g, "/login?next="+url.QueryEscape(next), "/login", http.StatusUnauthorized)
			return
		}
		if who.session.Kind == users.Cookie && !safeMethod(g.Request.Method) {
			if !sameOrigin(g) || !validCSRF(g, who.session.CSRF) {
				c.fail(g, api, http.StatusForbidden, "请求无效（安全校验失败），请刷新页面后重试。")
				return
			}
		}
		if who.user.MustChangePassword && !passwordChangeAllowed[g.Request.Method+" "+g.FullPath()] {
			if api || g.Request.URL.Path == "/events" {
				g.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": errMustChange, "password_change_required": true})
				return
			}
			next := "/inbox"
			if g.Request.Method == http.MethodGet {
				next = g.Request.URL.RequestURI()
			}
			c.redirect(g, "/password?next="+url.QueryEscape(next), "/password", http.StatusForbidden)
			return
		}
		g.Set("actor", who)
		g.Next()
	}
}

// errMustChange tells a user why only the password page works for them.
const errMustChange = "您的密码由管理员设置，请先修改密码。"

// redirect sends the browser to another page and ends the request; an htmx request (a part of
// a page) gets status and the HX-Redirect header to the page hx instead.
func (c *Console) redirect(g *gin.Context, to, hx string, status int) {
	if g.GetHeader("HX-Request") != "" {
		g.Header("HX-Redirect", hx)
		g.AbortWithStatus(status)
		return
	}
	g.Redirect(http.StatusSeeOther, to)
	g.Abort()
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin refuses a request whose Origin (when the browser sends one) is another site.
func sameOrigin(g *gin.Context) bool {
	o := g.GetHeader("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == g.Request.Host
}

func validCSRF(g *gin.Context, want string) bool {
	got := g.GetHeader("X-CSRF-Token")
	if got == "" {
		got = g.PostForm("_csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// session returns the live session of the request.
func (c *Console) session(g *gin.Context) (*actor, error) {
	var token, kind string
	if h := g.GetHeader("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || t == "" {
			return nil, users.ErrNoSession
		}
		token, kind = strings.TrimSpace(t), users.Bearer
	} else if ck, err := g.Cookie(sessionCookie); err == nil && ck != "" {
		token, kind = ck, users.Cookie
	} else {
		return nil, users.ErrNoSession
	}
	touch := g.Request.URL.Path != "/events" && g.Request.URL.Path != "/api/v1/events"
	s, u, err := c.users.Session(g.Request.Context(), token, kind, touch)
	if err != nil {
		return nil, err
	}
	return &actor{user: u, session: s, addr: addr(g)}, nil
}

func actorOf(g *gin.Context) *actor { return g.MustGet("actor").(*actor) }

// fail answers an error as JSON (API) or a small page.
func (c *Console) fail(g *gin.Context, api bool, status int, msg string) {
	if api {
		g.AbortWithStatusJSON(status, gin.H{"error": msg})
		return
	}
	g.Abort()
	c.renderError(g, status, msg)
}

// ---- handlers ----

func (c *Console) loginPage(g *gin.Context) {
	token := complaintbot.RandomToken(18)
	setCookie(g, loginCookie, token, 3600)
	c.render(g, http.StatusOK, "login", nil, map[string]any{"CSRF": token, "Next": safeNext(g.Query("next"))})
}

// safeNext keeps a redirect after login (or a password change) on this site: only a plain path
// is accepted — one leading "/", no "//" anywhere, no backslash, no control, format or space
// character (a browser drops a tab or a newline, so "/\t/evil.example" would be read as
// "//evil.example", another site). Anything else goes to the inbox.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.Contains(n, "//") || strings.ContainsRune(n, '\\') || !utf8.ValidString(n) {
		return "/inbox"
	}
	for _, r := range n {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return "/inbox"
		}
	}
	return n
}

func (c *Console) loginSubmit(g *gin.Context) {
	ck, err := g.Cookie(loginCookie)
	if err != nil || ck == "" || subtle.ConstantTimeCompare([]byte(ck), []byte(g.PostForm("_csrf"))) != 1 || !sameOrigin(g) {
		c.renderError(g, http.StatusForbidden, "请求无效（安全校验失败），请刷新登录页后重试。")
		return
	}
	next := safeNext(g.PostForm("next"))
	ctx := g.Request.Context()
	u, err := c.users.Login(ctx, g.PostForm("username"), g.PostForm("password"), addr(g))
	if err != nil {
		status, msg := c.userError(err)
		token := complaintbot.RandomToken(18)
		setCookie(g, loginCookie, token, 3600)
		c.render(g, status, "login", nil, map[string]any{"CSRF": token, "Next": next, "Error": msg, "Username": g.PostForm("username")})
		return
	}
	token, _, err := c.users.NewSession(ctx, u, users.Cookie, addr(g))
	if err != nil {
		status, msg := c.userError(err)
		c.renderError(g, status, msg)
		return
	}
	setCookie(g, loginCookie, "", -1)
	setCookie(g, sessionCookie, token, 0)
	if u.MustChangePassword {
		next = "/password?next=" + url.QueryEscape(next)
	}
	g.Redirect(http.StatusSeeOther, next)
}

// logout ends the session and clears the cookie. When the session cannot be ended the user is
// told so (it would still work) and keeps the cookie; the cause is logged.
func (c *Console) logout(g *gin.Context) {
	who := actorOf(g)
	if err := c.users.EndSession(g.Request.Context(), who.by(), who.session.ID); err != nil {
		c.log.Error("log out: the session could not be ended; it stays valid",
			"user", who.user.Name, "addr", who.addr, "err", err)
		c.renderError(g, http.StatusInternalServerError, errLogout)
		return
	}
	setCookie(g, sessionCookie, "", -1)
	g.Redirect(http.StatusSeeOther, "/login")
}

type loginRequest struct {
	Username string `json:"username" form:"username"`
	Password string `json:"password" form:"password"`
}

// apiLogin answers POST /api/v1/session with a bearer token.
func (c *Console) apiLogin(g *gin.Context) {
	var req loginRequest
	if err := g.ShouldBind(&req); err != nil || req.Username == "" {
		g.JSON(http.StatusBadRequest, gin.H{"error": "请提供 username 和 password。"})
		return
	}
	ctx := g.Request.Context()
	u, err := c.users.Login(ctx, req.Username, req.Password, addr(g))
	if err == nil {
		var token string
		token, _, err = c.users.NewSession(ctx, u, users.Bearer, addr(g))
		if err == nil {
			out := gin.H{"token": token, "token_type": "Bearer", "idle_timeout_seconds": int(c.users.SessionIdle().Seconds()), "user": u}
			if u.MustChangePassword {
				out["password_change_required"] = true
			}
			g.JSON(http.StatusCreated, out)
			return
		}
	}
	status, msg := c.userError(err)
	g.JSON(status, gin.H{"error": msg})
}

// errLogout tells a user whose session could not be ended that they are still logged in.
const errLogout = "退出登录失败：您仍处于登录状态，请稍后重试。"

// apiLogout answers DELETE /api/v1/session: an error when the session could not be ended (it
// would still work); the cause is logged.
func (c *Console) apiLogout(g *gin.Context) {
	who := actorOf(g)
	if err := c.users.EndSession(g.Request.Context(), who.by(), who.session.ID); err != nil {
		c.log.Error("log out: the session could not be ended; it stays valid",
			"user", who.user.Name, "addr", who.addr, "err", err)
		g.JSON(http.StatusInternalServerError, gin.H{"error": errLogout})
		return
	}
	g.Status(http.StatusNoContent)
}

func (c *Console) apiMe(g *gin.Context) {
	who := actorOf(g)
	out := gin.H{"user": who.user}
	if who.session.Kind == users.Cookie {
		out["csrf_token"] = who.session.CSRF
	}
	if who.user.MustChangePassword {
		out["password_change_required"] = true
	}
	g.JSON(http.StatusOK, out)
}

// hstsMaxAge is how long a browser that saw the console over HTTPS keeps to HTTPS (one year).
const hstsMaxAge = "max-age=31536000"

// securityHeaders keeps pages out of frames and scripts to our own files, and, when the console
// is served over HTTPS, tells browsers to keep to it (Strict-Transport-Security).
func (c *Console) securityHeaders(g *gin.Context) {
	h := g.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if c.servedOverHTTPS(g) {
		h.Set("Strict-Transport-Security", hstsMaxAge)
	}
	if !strings.HasPrefix(g.Request.URL.Path, "/metrics") && !strings.HasPrefix(g.Request.URL.Path, "/sandbox") {
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	}
	if !strings.HasPrefix(g.Request.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	g.Next()
}
