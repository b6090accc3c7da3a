package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// robotPosts is a WeCom group robot that hands over each text posted to it.
func robotPosts(t *testing.T) (string, <-chan string) {
	t.Helper()
	posts := make(chan string, 16)
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Text struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		_ = json.Unmarshal(body, &m)
		posts <- m.Text.Content
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(robot.Close)
	return robot.URL, posts
}

// nextPost waits for the robot's next message (it is posted off the customer's path).
func nextPost(t *testing.T, posts <-chan string) string {
	t.Helper()
	select {
	case p := <-posts:
		return p
	case <-time.After(15 * time.Second):
		t.Fatal("nothing posted to the WeCom robot")
		return ""
	}
}

// complain registers a complaint about 城东支行 with the description given and returns the case.
func complain(t *testing.T, h *apptest.Harness, who, description string) *complaintbot.Case {
	t.Helper()
	expect(t, h, who, "我要投诉", "发生了什么")
	expect(t, h, who, "1", "网点")
	expect(t, h, who, "城东支行", "什么时候")
	expect(t, h, who, "昨天下午3点", "经过")
	toReadback(t, h, who, h.Say(who, description), "希望支行道歉并改进服务")
	done := expect(t, h, who, "确认", "TS")
	cs := cases(t, h, who)
	if len(cs) == 0 || !strings.Contains(done, cs[0].Number) {
		t.Fatalf("no case registered: %s", done)
	}
	c, err := h.App.Store.Case(context.Background(), cs[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// toReadback answers what the bot still asks after got (the branch 城东支行, the time, the request
// given, the phone number) until the read-back.
func toReadback(t *testing.T, h *apptest.Harness, who, got, request string) {
	t.Helper()
	for range 6 {
		switch {
		case strings.Contains(got, "内容无误"):
			return
		case strings.Contains(got, "网点"):
			got = h.Say(who, "城东支行")
		case strings.Contains(got, "什么时候"):
			got = h.Say(who, "昨天晚上11点")
		case strings.Contains(got, "如何处理"):
			got = h.Say(who, request)
		case strings.Contains(got, "电话"):
			got = h.Say(who, "138 1234 5678")
		}
	}
	t.Fatalf("no read-back: %s", got)
}

// A customer who threatens to go to the media raises the case's risk flag at registration: the
// branch's live console pages hear of it, the WeCom robot is told (no customer data), and the
// branch supervisor's reminders hold it; what the customer adds later raises nothing twice.
func TestMediaThreatRaisesTheRiskFlag(t *testing.T) {
	url, posts := robotPosts(t)
	h := apptest.New(t, func(c *config.Config) { c.Scheduler.WeComRobotURL = url })
	seen, stop := h.App.Bus.Subscribe(events.Risk)
	defer stop()
	who := "oE2ERisk0001media"
	c := complain(t, h, who, "柜员态度很差，让我等了一个小时，不给个说法我要找媒体曝光")
	if c.Risk == nil || c.Risk.Reason != complaintbot.RiskWords || !slices.Equal(c.Risk.Words, []string{"媒体", "曝光"}) {
		t.Fatalf("risk %+v", c.Risk)
	}
	select {
	case ev := <-seen:
		if ev.Ref != c.Number {
			t.Fatalf("risk event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no risk event for the console")
	}
	post := nextPost(t, posts)
	if !strings.Contains(post, c.Number) || !strings.Contains(post, "城东支行") || !strings.Contains(post, "媒体") || strings.Contains(post, who) ||
		strings.Contains(post, "13812345678") {
		t.Fatalf("robot post %q", post)
	}
	rem, err := storagetest.Reminders(context.Background(), h.App.Store, []string{c.Branch.Code}, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rem, func(r storage.Reminder) bool { return r.Kind == "risk" && r.Case == c.Number }) {
		t.Fatalf("reminders %+v", rem)
	}
	// The case list row carries the flag (the console's badge).
	rows, err := h.App.Store.ListCases(context.Background(), storage.CaseFilter{Risk: true}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Number != c.Number || rows[0].Risk == nil {
		t.Fatalf("risk-flagged list %+v", rows)
	}
	// After a restart the lists are read from the database's file (the embedded server's case
	// index): the flag, the level and a pending extension request are still on the rows.
	ctx := context.Background()
	if err := h.App.Cases.SetLevel(ctx, agent, c.Number, complaintbot.LevelComplex); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Cases.Extend(ctx, branchAgent, c.Number, shanghai(2026, 12, 20, 0, 0, 0), "需要调取监控"); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Cases.RequestExtension(ctx, branchAgent, c.Number, shanghai(2027, 1, 10, 0, 0, 0), "需总行协查"); err != nil {
		t.Fatal(err)
	}
	h.Restart()
	rows, err = h.App.Store.ListCases(ctx, storage.CaseFilter{Risk: true}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Risk == nil || !slices.Equal(rows[0].Risk.Words, []string{"媒体", "曝光"}) || !rows[0].Risk.At.Equal(c.Risk.At) ||
		rows[0].Level != complaintbot.LevelComplex || rows[0].Work.ExtensionRequest == nil ||
		!rows[0].Work.ExtensionRequest.Due.Equal(shanghai(2027, 1, 10, 23, 59, 59)) || rows[0].Work.ExtensionRequest.By != "li" {
		t.Fatalf("rows after a restart %+v", rows)
	}
	// A flag taken off is off after a restart too.
	if err := h.App.Cases.ClearRisk(ctx, agent, c.Number, ""); err != nil {
		t.Fatal(err)
	}
	h.Restart()
	if rows, err = h.App.Store.ListCases(ctx, storage.CaseFilter{}, 0, 10); err != nil || len(rows) != 1 || rows[0].Risk != nil {
		t.Fatalf("rows after clearing and a restart %+v %v", rows, err)
	}
}

// branchAgent is an agent of 城东支行 (0101), who needs approval beyond the first extension.
var branchAgent = complaintbot.Actor{User: &complaintbot.User{Name: "li", DisplayName: "李强", Role: complaintbot.RoleAgent, Branches: []string{"0101"}}}

// Three complaints by one customer within 30 days make the third a repeat complaint; with the
// clock moved on, the old ones no longer count.
func TestRepeatComplaintsRaiseTheRiskFlag(t *testing.T) {
	h := apptest.New(t, func(c *config.Config) { c.Intake.DuplicateWindow = 0 })
	who := "oE2ERisk0002again"
	first := complain(t, h, who, "柜员态度很差，让我等了一个小时")
	h.Clock.Advance(10 * 24 * time.Hour)
	second := complain(t, h, who, "柜员又是态度很差，又让我等了很久")
	if first.Risk != nil || second.Risk != nil {
		t.Fatalf("risk on the first two: %+v %+v", first.Risk, second.Risk)
	}
	h.Clock.Advance(10 * 24 * time.Hour)
	third := complain(t, h, who, "第三次了，柜员还是不理人")
	if third.Risk == nil || third.Risk.Reason != complaintbot.RiskRepeat || third.Risk.Note != "30天内第3次投诉" {
		t.Fatalf("third complaint's risk %+v", third.Risk)
	}
	// 45 days later only the third is within 30 days.
	h.Clock.Advance(45 * 24 * time.Hour)
	fourth := complain(t, h, who, "柜员态度依旧很差")
	if fourth.Risk != nil {
		t.Fatalf("fourth complaint's risk %+v", fourth.Risk)
	}
}

// What a customer adds to an open case is read for the risk words too.
func TestAdditionRaisesTheRiskFlag(t *testing.T) {
	url, posts := robotPosts(t)
	h := apptest.New(t, func(c *config.Config) { c.Scheduler.WeComRobotURL = url })
	who := "oE2ERisk0003added"
	c := complain(t, h, who, "柜员态度很差，让我等了一个小时")
	if c.Risk != nil {
		t.Fatalf("risk %+v", c.Risk)
	}
	h.Clock.Advance(24 * time.Hour)
	for _, line := range []string{"我要投诉", "1", "城东支行", "今天上午", "今天又去了还是没人理，我已经请了律师", "希望尽快处理"} {
		h.Say(who, line)
	}
	expect(t, h, who, "13812345678", "补充到 "+c.Number)
	expect(t, h, who, "1", "已将以下内容补充到您的投诉 "+c.Number)
	got, err := h.App.Store.Case(context.Background(), c.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Risk == nil || got.Risk.Reason != complaintbot.RiskWords || !slices.Equal(got.Risk.Words, []string{"律师"}) {
		t.Fatalf("risk after the addition %+v (additions %+v)", got.Risk, got.Additions)
	}
	if post := nextPost(t, posts); !strings.Contains(post, c.Number) || !strings.Contains(post, "律师") {
		t.Fatalf("robot post %q", post)
	}
}

// Money at risk (the bot's urgent matters: here a stolen card) flags the case for the branch
// supervisor at registration: the hotline advice first in the chat, then the flag 资金风险 on the
// case, the branch's reminder and the WeCom robot.
func TestMoneyAtRiskFlagsTheCaseForTheSupervisor(t *testing.T) {
	url, posts := robotPosts(t)
	h := apptest.New(t, func(c *config.Config) { c.Scheduler.WeComRobotURL = url })
	who := "oE2ERisk0004money"
	toReadback(t, h, who, expect(t, h, who, "我的信用卡昨晚被盗刷了两万块，我人一直在家", "95588"), "把钱追回来")
	expect(t, h, who, "确认", "TS")
	cs := cases(t, h, who)
	if len(cs) != 1 {
		t.Fatalf("cases %+v", cs)
	}
	c, err := h.App.Store.Case(context.Background(), cs[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if c.Urgent != complaintbot.UrgentTheft || c.Risk == nil || c.Risk.Reason != complaintbot.RiskMoney || c.Risk.Note != "资金被盗用" {
		t.Fatalf("urgent %q risk %+v", c.Urgent, c.Risk)
	}
	if post := nextPost(t, posts); !strings.Contains(post, c.Number) || strings.Contains(post, "13812345678") {
		t.Fatalf("robot post %q", post)
	}
	rem, err := storagetest.Reminders(context.Background(), h.App.Store, []string{c.Branch.Code}, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rem, func(r storage.Reminder) bool { return r.Kind == "risk" && r.Case == c.Number }) {
		t.Fatalf("reminders %+v", rem)
	}
}
