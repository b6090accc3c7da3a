package bot_test

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

func TestWeChatKFModeTransfersToWeChatCustomerService(t *testing.T) {
	h := apptest.New(t, func(c *config.Config) { c.Console.HandoffMode = "wechat_kf" })
	who := "oKF0000001"
	if got := h.Say(who, "你好"); !strings.Contains(got, "投诉") {
		t.Fatalf("before the handoff the bot answers: %s", got)
	}
	for _, line := range []string{"人工", "我的卡被吞了"} {
		r, err := h.Sim.Text(who, line)
		if err == nil || r == nil || !strings.Contains(string(r.Body), "<MsgType>transfer_customer_service</MsgType>") {
			t.Fatalf("%q: want a transfer_customer_service reply, got %v %s", line, err, r.Body)
		}
	}
	// WeChat's customer service closes the session: the bot answers again.
	r, err := h.Sim.Send(wechatsim.Message{From: who, Type: message.MsgTypeEvent, Event: "kf_close_session"})
	if err != nil || !r.Success {
		t.Fatalf("close event: %v %+v", err, r)
	}
	if got := h.Say(who, "你好"); !strings.Contains(got, "投诉") {
		t.Fatalf("after the session: %s", got)
	}
}
