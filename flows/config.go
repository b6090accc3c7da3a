package flows

import (
	"fmt"
	"time"
)

// Config tunes the engine. Zero fields take the defaults below.
type Config struct {
	// IdleTimeout: after this long without a message mid-intake, the next message offers to
	// continue the draft or start again. Default 30 minutes.
	IdleTimeout time.Duration
	// DraftKeep: a cancelled or abandoned draft is kept this long after it was last worked on,
	// then forgotten. Default 24 hours.
	DraftKeep time.Duration
	// DailyCaseCap is the most new cases a customer may register per Asia/Shanghai day.
	// Default 5.
	DailyCaseCap int
	// DuplicateWindow: an open complaint about the same branch and category received within
	// this long is offered as the case to add to. Default 7 days.
	DuplicateWindow time.Duration
	// ReviewWindow: a customer may ask for a review (核查) of a decision until the end of the day
	// this long after it. Default 30 days.
	ReviewWindow time.Duration
}

// The defaults of Config.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultDraftKeep       = 24 * time.Hour
	DefaultDailyCaseCap    = 5
	DefaultDuplicateWindow = 7 * 24 * time.Hour
	DefaultReviewWindow    = 30 * 24 * time.Hour
)

// withDefaults fills zero fields and refuses negative ones.
func (c Config) withDefaults() (Config, error) {
	if c.IdleTimeout < 0 || c.DraftKeep < 0 || c.DailyCaseCap < 0 || c.DuplicateWindow < 0 || c.ReviewWindow < 0 {
		return c, fmt.Errorf("flows: config: negative value in %+v", c)
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.DraftKeep == 0 {
		c.DraftKeep = DefaultDraftKeep
	}
	if c.DailyCaseCap == 0 {
		c.DailyCaseCap = DefaultDailyCaseCap
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.ReviewWindow == 0 {
		c.ReviewWindow = DefaultReviewWindow
	}
	return c, nil
}
