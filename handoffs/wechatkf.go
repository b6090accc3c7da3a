package handoffs

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// TransferToWeChatKF records that the customer's waiting request was handed to WeChat's own
// customer-service system (console.handoff_mode wechat_kf): the conversation is held by the
// pseudo-agent "wechat_kf", so the bot stays silent and the webhook answers every further
// message with a transfer_customer_service reply until WeChatKFClosed.
func (s *Service) TransferToWeChatKF(ctx context.Context, openID string) error {
	h, err := s.store.ActiveHandoffOf(ctx, openID)
	if err != nil {
		return err
	}
	if h.Mode == evWeChatKF {
		return nil
	}
	e := &complaintbot.HandoffEvent{Kind: evWeChatKF, Agent: complaintbot.WeChatKFUser, By: complaintbot.SystemUser}
	if err := s.change(ctx, h, e); err != nil {
		return err
	}
	if err := s.setHandoff(ctx, openID, evWeChatKF, complaintbot.ConversationWithAgent, ""); err != nil {
		return err
	}
	s.cacheEvent(ctx, h, e)
	mode := evWeChatKF
	return s.store.UpdateHandoff(ctx, h.ID, storage.HandoffUpdate{Mode: &mode})
}

// WeChatKFClosed hands the conversation back to the bot when WeChat's customer-service session
// ends (the kf_close_session event).
func (s *Service) WeChatKFClosed(ctx context.Context, openID string) error {
	h, err := s.store.ActiveHandoffOf(ctx, openID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e := &complaintbot.HandoffEvent{Kind: evEnd, By: complaintbot.WeChatKFUser}
	if err := s.change(ctx, h, e); err != nil {
		return err
	}
	if err := s.setHandoff(ctx, openID, "wechat_kf session closed", complaintbot.ConversationWithBot, ""); err != nil {
		return err
	}
	s.cacheEvent(ctx, h, e)
	return nil
}
