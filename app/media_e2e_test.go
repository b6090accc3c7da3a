package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// A customer's picture costs the webhook one insert and no wait for WeChat's media API: with the
// media API hung, the customer still gets the acknowledgement at once, and nothing on the main
// connection reads by anything but _id. The scheduler's job then keeps the picture as evidence of
// the case.
func TestPictureIsKeptWithoutHoldingUpTheCustomer(t *testing.T) {
	var log commandLog
	h := apptest.NewWith(t, nil, app.Options{ObserveStore: log.observe})
	h.App.Sandbox.HangNext(fakewechat.PathMediaGet, 1000)
	who := "oMedia000001erin"
	expect(t, h, who, "我要投诉", "发生了什么")
	expect(t, h, who, "1", "网点")
	expect(t, h, who, "城东支行", "什么时候")
	log.watch(true)
	const pic = "sim-media-e2e-1"
	r, err := h.Sim.Send(wechatsim.Message{From: who, Type: message.MsgTypeImage, MediaID: pic})
	if err != nil || !strings.Contains(r.Text, "已收到您的图片（共1张）") {
		t.Fatalf("picture while the media API hangs: %+v %v; want the acknowledgement in the passive reply", r, err)
	}
	if scans := log.take(); len(scans) > 0 {
		t.Fatalf("a picture read by other keys than _id on the main connection: %v", uniq(scans))
	}
	log.watch(false)
	h.App.Sandbox.Release()
	expect(t, h, who, "昨天下午3点", "经过")
	expect(t, h, who, "柜员态度很差，让我在窗口等了一个小时也没人理", "如何处理")
	expect(t, h, who, "希望支行道歉并改进服务", "电话")
	expect(t, h, who, "13812345678", "确认")
	expect(t, h, who, "确认", "TS20261127-0001")

	ctx := context.Background()
	if _, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobMedia); err != nil {
		t.Fatal(err)
	}
	c, err := h.App.Store.Case(ctx, "TS20261127-0001")
	if err != nil || len(c.Evidence) != 1 || c.Evidence[0].MediaID != pic {
		t.Fatalf("case evidence = %+v, %v; want the picture", c, err)
	}
	f, _, err := h.App.Store.MediaState(ctx, pic, h.Clock.Now())
	if err != nil || f.Status != storage.MediaStored {
		t.Fatalf("picture = %+v, %v; want it stored", f, err)
	}
	data, err := h.App.Store.MediaData(ctx, f)
	if err != nil || string(data) != string(fakewechat.TestImage(pic)) {
		t.Fatalf("stored bytes: %d, %v; want the picture WeChat served", len(data), err)
	}
}
