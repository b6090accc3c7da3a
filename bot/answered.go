package bot

import (
	"context"
	"time"

	"github.com/complaintbot/complaintbot/conversations"
	"github.com/gin-gonic/gin"
)

// answered completes the aftermath of a turn whose outcome was pending (see
// conversations.Outcome.Pending) once its answer is out: flushed to WeChat passively, or queued
// for the outbox. A crash before this leaves the mark for start-up recovery.
func (h *Webhook) answered(c *gin.Context, out conversations.Outcome) {
	if !out.Pending || out.TurnID == "" {
		return
	}
	if !out.Late && !c.Writer.Written() {
		return // nothing was answered (the request failed): WeChat retries, or recovery finishes it
	}
	c.Writer.Flush()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.convs.Answered(ctx, out.TurnID)
}
