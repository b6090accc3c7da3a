package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot/sandbox"
	"github.com/gin-gonic/gin"
)

var (
	errNoTravel  = &Error{http.StatusForbidden, "调整时间仅在沙箱模式下可用。"}
	errBadTravel = invalid("请填写向前调整的时长，例如 72h、30m 或 3d（最多 90 天）。")
)

// parseTravel reads a span to move the clock by: a Go duration ("72h", "90m") or whole days ("3d").
func parseTravel(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, errBadTravel
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errBadTravel
		}
	}
	return d, nil
}

// travel has the sandbox move the clock for an admin: refused outside sandbox mode and to
// everyone else (sandbox.MayAdvance), before the span is read.
func (c *Console) travel(ctx context.Context, who *actor, advance string) error {
	if err := c.sandboxAllowed(who); err != nil {
		return err
	}
	d, err := parseTravel(advance)
	if err != nil {
		return err
	}
	switch err := c.sandbox.Advance(ctx, who.by(), d); {
	case errors.Is(err, sandbox.ErrForbidden):
		return errForbidden
	case errors.Is(err, sandbox.ErrSpan):
		return errBadTravel
	case errors.Is(err, sandbox.ErrUnaudited):
		return errUnaudited
	default:
		return err
	}
}

func (c *Console) registerSandbox(p, a *gin.RouterGroup) {
	p.GET("/sandbox", c.sandboxPage)
	p.POST("/sandbox/clock", c.sandboxClockSubmit)
	a.GET("/sandbox/clock", c.apiSandboxClock)
	a.POST("/sandbox/clock", c.apiSandboxClockAdvance)
}

// clockState is what the console says of the service's time.
type clockState struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
}

func (c *Console) clockState() clockState {
	return clockState{Now: c.sandbox.Now(), Offset: c.sandbox.Offset().String()}
}

func (c *Console) sandboxAllowed(who *actor) error {
	switch {
	case c.sandbox == nil:
		return errNoTravel
	case !sandbox.MayAdvance(who.user):
		return errForbidden
	}
	return nil
}

func (c *Console) apiSandboxClock(g *gin.Context) {
	if err := c.sandboxAllowed(actorOf(g)); err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, c.clockState())
}

func (c *Console) apiSandboxClockAdvance(g *gin.Context) {
	form, ok := c.bodyForm(g)
	if !ok {
		return
	}
	if err := c.travel(g.Request.Context(), actorOf(g), form("advance")); err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, c.clockState())
}

func (c *Console) sandboxPage(g *gin.Context) {
	if err := c.sandboxAllowed(actorOf(g)); err != nil {
		c.pageError(g, err)
		return
	}
	c.render(g, http.StatusOK, "sandbox", c.newView(g, "沙箱时间", "sandbox", c.clockState()), nil)
}

func (c *Console) sandboxClockSubmit(g *gin.Context) {
	err := c.travel(g.Request.Context(), actorOf(g), g.PostForm("advance"))
	if errors.Is(err, errNoTravel) || errors.Is(err, errForbidden) {
		c.pageError(g, err)
		return
	}
	c.done(g, "/sandbox", err, "服务时间已向前调整，到期的提醒、超期标记、升级和满意度调查已按新时间处理。")
}
