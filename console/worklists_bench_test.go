package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

// BenchmarkWorkLists times 我的任务, 回访, 待联系客户 and every page's task count on the embedded
// database holding 4,000 open follow-ups, 500 undeliverable messages and 20,000 delivered ones
// (what the lists read whole before they had their own entries):
//
//	go test ./console -run '^$' -bench WorkLists -benchtime 10x
func BenchmarkWorkLists(b *testing.B) {
	h := apptest.New(b, nil)
	ctx := context.Background()
	st := h.App.Store
	branches := []string{"0101", "0102", "0201"}
	t0 := apptest.Start.Add(-30 * 24 * time.Hour)
	for i := range 4000 {
		sv := complaintbot.Survey{ID: fmt.Sprintf("TS20261001-%04d#1", i), Case: fmt.Sprintf("TS20261001-%04d", i), OpenID: fmt.Sprintf("oBenchFU%06d", i),
			Branch: branches[i%len(branches)], Rating: 1, Comment: "不满意"}
		if err := st.RaiseFollowUp(ctx, &sv, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	var undeliverable []complaintbot.OutboxMessage
	for i := range 500 {
		done := t0.Add(time.Duration(i) * time.Minute)
		undeliverable = append(undeliverable, complaintbot.OutboxMessage{ID: fmt.Sprintf("notice:TS20261001-%04d:accepted", i), OpenID: fmt.Sprintf("oBenchFU%06d", i),
			Text: "您的投诉已受理", Purpose: complaintbot.PurposeNotice, CaseNumber: fmt.Sprintf("TS20261001-%04d", i), Status: complaintbot.OutboxUndeliverable,
			Created: done, Done: &done})
	}
	if _, err := st.EnqueueMany(ctx, undeliverable); err != nil {
		b.Fatal(err)
	}
	var sent []any
	for i := range 20000 {
		at := t0.Add(time.Duration(i) * time.Second)
		sent = append(sent, complaintbot.OutboxMessage{ID: fmt.Sprintf("reply:oBenchSent%06d:1", i), OpenID: fmt.Sprintf("oBenchSent%06d", i), Text: "您好，请问有什么可以帮您？",
			Purpose: complaintbot.PurposeReply, Status: complaintbot.OutboxSent, Attempts: 1, Created: at, NextAt: at, Done: &at})
	}
	for i := 0; i < len(sent); i += 1000 {
		if _, err := st.Collection("outbox").InsertMany(ctx, sent[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	addUser(b, h, users.NewUser{Name: "alice", Role: storage.RoleAgent, Branches: []string{"0101"}, Password: password})
	addUser(b, h, users.NewUser{Name: "hq", Role: storage.RoleAdmin, Branches: []string{storage.HeadOffice}, Password: password})
	e := &env{Harness: h, t: &testing.T{}, url: h.App.ConsoleURL()}
	for _, who := range []string{"alice", "hq"} {
		c := e.token(who)
		for _, p := range []string{"/api/v1/tasks", "/tasks", "/tasks/sign", "/api/v1/followups", "/followups", "/api/v1/calls", "/calls"} {
			b.Run(who+" "+p, func(b *testing.B) {
				for b.Loop() {
					if st, _ := c.do("GET", p, nil); st != 200 {
						b.Fatalf("GET %s: %d", p, st)
					}
				}
			})
		}
	}
}
