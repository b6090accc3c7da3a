package bot

import (
	"context"

	"github.com/complaintbot/complaintbot/conversations"
	"github.com/gin-gonic/gin"
)

// answered completes the aftermath of a turn whose outcome was pending (see
// conversations.Outcome.Pending) once its answer is out: flushed to WeChat passively, or queued
// for the outbox. A crash before this leaves the mark for start-up recovery.
// The effects left for after the answer (conversations.Message.AfterReply) are applied here, after
// the answer is flushed and before the mark is cleared.
func (h *Webhook) answered(c *gin.Context, out conversations.Outcome) {
	if !out.Pending || out.TurnID == "" {
		return
	}
	written := out.Late || c.Writer.Written()
	if written {
		c.Writer.Flush()
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.workTimeout)
	defer cancel()
	out.Finish(ctx)
	if !written {
		return // nothing was answered (the request failed): WeChat retries, or recovery finishes it
	}
	h.convs.Answered(ctx, out.TurnID)
}
