package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
)

// Cookie names.
const (
	sessionCookie = "cb_session"
	loginCookie   = "cb_login" // the login form's CSRF token (double submit)
	flashCookie   = "cb_flash"
)

// touchEvery limits how often a session's last activity is written.
const touchEvery = time.Minute

// maxSessionAge ends a session however active it is.
const maxSessionAge = 12 * time.Hour

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// dummyHash is compared against when the user does not exist, so that a login takes as long
// either way.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("complaintbot-no-such-user"), bcrypt.DefaultCost)

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ---- users (shared by the console and `complaintbot user`) ----

var userNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,31}$`)

// NewUser describes an account to create.
type NewUser struct {
	Name, DisplayName string
	Role              storage.Role
	Branches          []string
	Password          string
}

// ParseBranches reads "0101,0102" or "HQ" into branch codes.
func ParseBranches(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' }) {
		if strings.EqualFold(f, storage.HeadOffice) {
			f = storage.HeadOffice
		}
		out = append(out, f)
	}
	return out
}

func (c *Console) checkUser(u NewUser, withPassword bool) error {
	if !userNameRe.MatchString(u.Name) || u.Name == system.user.Name {
		return invalid("用户名须为 2–32 位小写字母、数字或 _ . -，以字母或数字开头。")
	}
	if !u.Role.Valid() {
		return invalid("角色须为 agent（坐席）、supervisor（主管）或 admin（管理员）。")
	}
	if len(u.Branches) == 0 {
		return invalid("请至少指定一个网点（或 HQ 表示总行）。")
	}
	for _, b := range u.Branches {
		if !c.knownBranch(b) {
			return invalid("未知的网点代码：" + b)
		}
	}
	if withPassword {
		return checkPassword(u.Password)
	}
	return nil
}

func checkPassword(p string) error {
	if len([]rune(p)) < MinPasswordLength {
		return invalid(fmt.Sprintf("密码至少 %d 位。", MinPasswordLength))
	}
	if len(p) > 72 {
		return invalid("密码过长（最多 72 字节）。")
	}
	return nil
}

// AddUser creates an account.
func (c *Console) AddUser(ctx context.Context, by *actor, nu NewUser) (*storage.User, error) {
	if err := c.checkUser(nu, true); err != nil {
		return nil, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	u := &storage.User{Name: nu.Name, DisplayName: strings.TrimSpace(nu.DisplayName), Role: nu.Role, Branches: nu.Branches,
		PasswordHash: hash, Created: now, Updated: now}
	if err := c.store.CreateUser(ctx, u); err != nil {
		if storage.IsDuplicate(err) {
			return nil, conflict("用户名 " + nu.Name + " 已存在。")
		}
		return nil, err
	}
	c.audit(ctx, by, "user.add", "user", u.Name, "", "", fmt.Sprintf("role=%s branches=%s", u.Role, strings.Join(u.Branches, ",")))
	return u, nil
}

// SetPassword changes a user's password and ends their sessions.
func (c *Console) SetPassword(ctx context.Context, by *actor, name, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := c.store.UpdateUser(ctx, name, storage.UserChange{PasswordHash: &hash}, c.clock.Now()); err != nil {
		return err
	}
	if err := c.store.DeleteUserSessions(ctx, name); err != nil {
		return err
	}
	c.audit(ctx, by, "user.password", "user", name, "", "", "")
	return nil
}

// SetDisabled disables (ending their sessions) or enables a user.
func (c *Console) SetDisabled(ctx context.Context, by *actor, name string, disabled bool) error {
	if disabled && by.user.Name == name {
		return invalid("不能停用自己的账号。")
	}
	if err := c.store.UpdateUser(ctx, name, storage.UserChange{Disabled: &disabled}, c.clock.Now()); err != nil {
		return err
	}
	if disabled {
		if err := c.store.DeleteUserSessions(ctx, name); err != nil {
			return err
		}
	}
	c.audit(ctx, by, map[bool]string{true: "user.disable", false: "user.enable"}[disabled], "user", name, "", "", "")
	return nil
}

// SetRole changes a user's role and branches.
func (c *Console) SetRole(ctx context.Context, by *actor, name string, role storage.Role, branches []string) error {
	old, err := c.store.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if err := c.checkUser(NewUser{Name: name, Role: role, Branches: branches}, false); err != nil {
		return err
	}
	if by.user.Name == name && role != storage.RoleAdmin {
		return invalid("不能取消自己的管理员角色。")
	}
	if err := c.store.UpdateUser(ctx, name, storage.UserChange{Role: &role, Branches: branches}, c.clock.Now()); err != nil {
		return err
	}
	c.audit(ctx, by, "user.role", "user", name, "", fmt.Sprintf("role=%s branches=%s", old.Role, strings.Join(old.Branches, ",")),
		fmt.Sprintf("role=%s branches=%s", role, strings.Join(branches, ",")))
	return nil
}

// CLI is the actor of `complaintbot user` commands.
func CLI() *actor {
	return &actor{user: &storage.User{Name: "cli", DisplayName: "命令行", Role: storage.RoleAdmin, Branches: []string{storage.HeadOffice}}, addr: "local"}
}

// Bootstrap makes sure someone can log in: with no users at all, it creates the admin account
// (head office) with the given password, or, without one, logs how to create an account.
func (c *Console) Bootstrap(ctx context.Context, adminPassword string) error {
	has, err := c.store.HasUsers(ctx)
	if err != nil || has {
		return err
	}
	if adminPassword == "" {
		c.log.Warn("the console has no users yet: create the first admin with `complaintbot user add admin --role admin --branches HQ` " +
			"(password from stdin or a prompt, with the service stopped when it uses the embedded database), " +
			"or start once with COMPLAINTBOT_ADMIN_PASSWORD set")
		return nil
	}
	_, err = c.AddUser(ctx, &actor{user: system.user, addr: "bootstrap"},
		NewUser{Name: "admin", DisplayName: "管理员", Role: storage.RoleAdmin, Branches: []string{storage.HeadOffice}, Password: adminPassword})
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusConflict {
		return nil // another instance created it first
	}
	if err != nil {
		return fmt.Errorf("create the admin account from COMPLAINTBOT_ADMIN_PASSWORD: %w", err)
	}
	c.log.Info("created the console's admin account from COMPLAINTBOT_ADMIN_PASSWORD", "user", "admin")
	return nil
}

// ---- login ----

// lockedUntil tells whether the key (a user or an address) is locked out at now, and until when:
// LoginMaxFailures failures in a row (no success in between) within LoginLockout lock it until
// the oldest of them is LoginLockout old.
func (c *Console) lockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	max := c.cfg.LoginMaxFailures
	att, err := c.store.LoginAttempts(ctx, key, now.Add(-c.cfg.LoginLockout.D()), max)
	if err != nil {
		return time.Time{}, err
	}
	if len(att) < max {
		return time.Time{}, nil
	}
	for _, a := range att {
		if a.OK {
			return time.Time{}, nil
		}
	}
	return att[max-1].At.Add(c.cfg.LoginLockout.D()), nil
}

// login checks a username and password from addr.
func (c *Console) login(ctx context.Context, name, password, addr string) (*storage.User, error) {
	now := c.clock.Now()
	name = strings.TrimSpace(strings.ToLower(name))
	keys := []string{"user:" + name, "addr:" + addr}
	for _, k := range keys {
		until, err := c.lockedUntil(ctx, k, now)
		if err != nil {
			return nil, err
		}
		if !until.IsZero() {
			c.log.Warn("console login refused: locked out", "key", strings.SplitN(k, ":", 2)[0])
			return nil, &Error{http.StatusTooManyRequests, fmt.Sprintf("登录失败次数过多，请于 %s 后再试。", until.In(complaintbot.Shanghai).Format("15:04"))}
		}
	}
	u, err := c.store.UserByName(ctx, name)
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && u != nil && !u.Disabled
	if err := c.store.RecordLogin(ctx, keys, ok, now); err != nil {
		return nil, err
	}
	who := &actor{user: &storage.User{Name: name}, addr: addr}
	if !ok {
		c.audit(ctx, who, "login.failed", "session", name, "", "", "")
		return nil, &Error{http.StatusUnauthorized, "用户名或密码错误，或账号已停用。"}
	}
	c.audit(ctx, who, "login", "session", name, "", "", "")
	c.purge(ctx, now)
	return u, nil
}

// purge drops idle sessions and old login attempts, at most once an hour per process.
func (c *Console) purge(ctx context.Context, now time.Time) {
	c.purgeMu.Lock()
	due := now.Sub(c.lastPurge) > time.Hour
	if due {
		c.lastPurge = now
	}
	c.purgeMu.Unlock()
	if !due {
		return
	}
	if err := c.store.PurgeSessions(ctx, now.Add(-c.cfg.SessionIdle.D()), now.Add(-24*time.Hour-c.cfg.LoginLockout.D())); err != nil {
		c.log.Error("purge sessions", "err", err)
	}
}

// newSession starts a session of the given kind and returns its secret token.
func (c *Console) newSession(ctx context.Context, u *storage.User, kind, addr string) (string, *storage.Session, error) {
	token := randomToken(32)
	now := c.clock.Now()
	s := &storage.Session{ID: hashToken(token), User: u.Name, Kind: kind, CSRF: randomToken(24), Created: now, LastSeen: now, Addr: addr}
	if err := c.store.CreateSession(ctx, s); err != nil {
		return "", nil, err
	}
	return token, s, nil
}

// addr is the address a request comes from: the connection's peer (X-Forwarded-For is not
// trusted, so it cannot be forged to dodge the per-address lock-out).
func addr(g *gin.Context) string { return g.RemoteIP() }

func secure(g *gin.Context) bool {
	return g.Request.TLS != nil || strings.EqualFold(g.GetHeader("X-Forwarded-Proto"), "https")
}

func setCookie(g *gin.Context, name, value string, maxAge int) {
	http.SetCookie(g.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure(g), SameSite: http.SameSiteStrictMode})
}

// authenticate loads the session from the bearer token or the cookie, refuses requests without a
// live one, and checks the CSRF token of a cookie session's state-changing requests. api selects
// JSON answers instead of a redirect to the login page.
func (c *Console) authenticate(api bool) gin.HandlerFunc {
	return func(g *gin.Context) {
		who, err := c.session(g)
		if err != nil {
			status, msg := c.userError(err)
			if api || status != http.StatusUnauthorized {
				if !api && status == http.StatusUnauthorized {
					status = http.StatusUnauthorized
				}
				c.fail(g, api, status, msg)
				return
			}
			next := "/inbox"
			if g.Request.Method == http.MethodGet {
				next = g.Request.URL.RequestURI()
			}
			if g.GetHeader("HX-Request") != "" {
				g.Header("HX-Redirect", "/login")
				g.AbortWithStatus(http.StatusUnauthorized)
				return
			}
			g.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(next))
			g.Abort()
			return
		}
		if who.session.Kind == "cookie" && !safeMethod(g.Request.Method) {
			if !sameOrigin(g) || !validCSRF(g, who.session.CSRF) {
				c.fail(g, api, http.StatusForbidden, "请求无效（安全校验失败），请刷新页面后重试。")
				return
			}
		}
		g.Set("actor", who)
		g.Next()
	}
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

var errNoSession = &Error{http.StatusUnauthorized, "请先登录。"}

// session returns the live session of the request.
func (c *Console) session(g *gin.Context) (*actor, error) {
	var token, kind string
	if h := g.GetHeader("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || t == "" {
			return nil, errNoSession
		}
		token, kind = strings.TrimSpace(t), "bearer"
	} else if ck, err := g.Cookie(sessionCookie); err == nil && ck != "" {
		token, kind = ck, "cookie"
	} else {
		return nil, errNoSession
	}
	ctx := g.Request.Context()
	s, err := c.store.Session(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && s.Kind != kind) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	if now.Sub(s.LastSeen) > c.cfg.SessionIdle.D() || now.Sub(s.Created) > maxSessionAge {
		_ = c.store.DeleteSession(ctx, s.ID)
		return nil, &Error{http.StatusUnauthorized, "登录已过期，请重新登录。"}
	}
	u, err := c.store.UserByName(ctx, s.User)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		_ = c.store.DeleteSession(ctx, s.ID)
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(s.LastSeen) > touchEvery && g.Request.URL.Path != "/events" && g.Request.URL.Path != "/api/v1/events" {
		if err := c.store.TouchSession(ctx, s.ID, now); err != nil {
			c.log.Error("touch session", "err", err)
		}
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
	token := randomToken(18)
	setCookie(g, loginCookie, token, 3600)
	c.render(g, http.StatusOK, "login", nil, map[string]any{"CSRF": token, "Next": safeNext(g.Query("next"))})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") || strings.Contains(n, "://") {
		return "/inbox"
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
	u, err := c.login(ctx, g.PostForm("username"), g.PostForm("password"), addr(g))
	if err != nil {
		status, msg := c.userError(err)
		token := randomToken(18)
		setCookie(g, loginCookie, token, 3600)
		c.render(g, status, "login", nil, map[string]any{"CSRF": token, "Next": next, "Error": msg, "Username": g.PostForm("username")})
		return
	}
	token, _, err := c.newSession(ctx, u, "cookie", addr(g))
	if err != nil {
		status, msg := c.userError(err)
		c.renderError(g, status, msg)
		return
	}
	setCookie(g, loginCookie, "", -1)
	setCookie(g, sessionCookie, token, 0)
	g.Redirect(http.StatusSeeOther, next)
}

func (c *Console) logout(g *gin.Context) {
	who := actorOf(g)
	_ = c.store.DeleteSession(g.Request.Context(), who.session.ID)
	c.audit(g.Request.Context(), who, "logout", "session", who.user.Name, "", "", "")
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
	u, err := c.login(ctx, req.Username, req.Password, addr(g))
	if err == nil {
		var token string
		token, _, err = c.newSession(ctx, u, "bearer", addr(g))
		if err == nil {
			g.JSON(http.StatusCreated, gin.H{"token": token, "token_type": "Bearer",
				"idle_timeout_seconds": int(c.cfg.SessionIdle.D().Seconds()), "user": u})
			return
		}
	}
	status, msg := c.userError(err)
	g.JSON(status, gin.H{"error": msg})
}

func (c *Console) apiLogout(g *gin.Context) {
	who := actorOf(g)
	if err := c.store.DeleteSession(g.Request.Context(), who.session.ID); err != nil {
		c.apiError(g, err)
		return
	}
	c.audit(g.Request.Context(), who, "logout", "session", who.user.Name, "", "", "")
	g.Status(http.StatusNoContent)
}

func (c *Console) apiMe(g *gin.Context) {
	who := actorOf(g)
	out := gin.H{"user": who.user}
	if who.session.Kind == "cookie" {
		out["csrf_token"] = who.session.CSRF
	}
	g.JSON(http.StatusOK, out)
}

// securityHeaders keeps pages out of frames and scripts to our own files.
func securityHeaders(g *gin.Context) {
	h := g.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(g.Request.URL.Path, "/metrics") && !strings.HasPrefix(g.Request.URL.Path, "/sandbox") {
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	}
	if !strings.HasPrefix(g.Request.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	g.Next()
}
