package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/gin-gonic/gin"
)

// TimeTravel moves the service's clock forward in sandbox mode, so that a trainer or tester sees
// reminders, overdue marks, escalations, surveys and expiries happen without waiting.
type TimeTravel interface {
	// Now is the service's time.
	Now() time.Time
	// Offset is how far the service's time stands ahead of the real time.
	Offset() time.Duration
	// Advance moves the service's time forward by d and runs the jobs that are due by then.
	Advance(ctx context.Context, d time.Duration) error
}

// maxTravel is the longest one move of the clock may be.
const maxTravel = 90 * 24 * time.Hour

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
	if d <= 0 || d > maxTravel {
		return 0, errBadTravel
	}
	return d, nil
}

// travel moves the clock for an admin: refused outside sandbox mode and to everyone else.
func (c *Console) travel(ctx context.Context, who *actor, advance string) error {
	if c.timeTravel == nil {
		return errNoTravel
	}
	if who.user.Role != complaintbot.RoleAdmin {
		return errForbidden
	}
	d, err := parseTravel(advance)
	if err != nil {
		return err
	}
	before := c.timeTravel.Now()
	if err := c.audit(ctx, who, "sandbox.clock", "sandbox", "clock", "", before.Format(time.RFC3339), before.Add(d).Format(time.RFC3339)); err != nil {
		return err
	}
	if err := c.timeTravel.Advance(ctx, d); err != nil {
		return fmt.Errorf("advance the sandbox clock by %s: %w", d, err)
	}
	return nil
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
	return clockState{Now: c.timeTravel.Now(), Offset: c.timeTravel.Offset().String()}
}

func (c *Console) sandboxAllowed(who *actor) error {
	switch {
	case c.timeTravel == nil:
		return errNoTravel
	case who.user.Role != complaintbot.RoleAdmin:
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
