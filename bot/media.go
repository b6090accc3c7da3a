package bot

import (
	"context"
	"log/slog"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/storage"
)

// MediaRequester records that a customer's picture must be downloaded and kept (one insert keyed
// by its MediaId); *storage.Store is one. The download itself is the scheduler's (JobMedia).
type MediaRequester interface {
	RequestMedia(ctx context.Context, r storage.MediaRequest) error
}

// requestMedia asks for the message's picture to be kept while WeChat still has it (3 days). It
// runs before the message is handled, so that a message stored is never without its request;
// it costs one insert and no wait for the download. A failure is logged and does not hold up the
// customer's answer.
func (h *Webhook) requestMedia(ctx context.Context, m conversations.Message) {
	if h.Media == nil || m.Input.Type != complaintbot.InputImage || m.Input.MediaID == "" {
		return
	}
	clock := h.ServiceClock
	if clock == nil {
		clock = h.clock
	}
	now := clock.Now()
	err := h.Media.RequestMedia(ctx, storage.MediaRequest{ID: m.Input.MediaID, OpenID: m.OpenID, Type: string(m.Input.Type),
		At: now, Expires: now.Add(storage.MediaLifetime)})
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "record a customer's picture to keep", slog.String("openid", complaintbot.MaskOpenID(m.OpenID)),
			slog.String("media", m.Input.MediaID), slog.Any("err", err))
	}
}
