package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app/apptest"
)

// A customer waiting for a person can leave the queue in words and go on with the bot; their
// queue entry is closed, so no agent takes a conversation nobody waits in any more.
func TestWaitingCustomerCanLeaveTheQueue(t *testing.T) {
	h := apptest.New(t, nil)
	who := "oQueue000001gina"
	expect(t, h, who, "人工")
	waiting, err := h.App.Store.WaitingHandoffs(context.Background(), 10)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("queue after 人工: %+v %v", waiting, err)
	}
	back := h.Say(who, "不要人工了")
	if !strings.Contains(back, "结束人工排队") {
		t.Fatalf("still trapped in the queue: %s", back)
	}
	if waiting, _ := h.App.Store.WaitingHandoffs(context.Background(), 10); len(waiting) != 0 {
		t.Fatalf("the queue entry stays after the customer left: %+v", waiting)
	}
	expect(t, h, who, "我要投诉", "发生了什么")
}
