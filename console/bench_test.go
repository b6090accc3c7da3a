package console_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

// BenchmarkPagesWith10000Cases times the console's pages on the embedded database holding 10,000
// cases (each with some work done on it) and 30,000 conversation turns:
//
//	go test ./console -run '^$' -bench PagesWith10000Cases -benchtime 20x
func BenchmarkPagesWith10000Cases(b *testing.B) {
	h := apptest.New(b, nil)
	ctx := context.Background()
	st := h.App.Store
	branches := []string{"0101", "0102", "0201", "0301", "0401"}
	start := apptest.Start.Add(-60 * 24 * time.Hour)
	const n = 10000
	var docs, turns []any
	for i := range n {
		at := start.Add(time.Duration(i) * 8 * time.Minute)
		openID := fmt.Sprintf("oBench%08d", i)
		c := complaintbot.Case{
			Number: fmt.Sprintf("TS%s-%04d", at.In(complaintbot.Shanghai).Format("20060102"), i%10000), Kind: complaintbot.KindComplaint,
			Status: []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusResolved}[i%3],
			OpenID: openID, Channel: "wechat", Category: &complaintbot.Category{Code: "attitude", Name: "服务态度"},
			Branch: complaintbot.Branch{Code: branches[i%len(branches)], Name: "网点"},
			Fields: map[string]string{complaintbot.FieldDescription: fmt.Sprintf("第%d位客户：柜员态度很差，让我在窗口等了一个小时也没人理", i),
				complaintbot.FieldRequest: "希望道歉", complaintbot.FieldPhone: fmt.Sprintf("138%08d", i)},
			Received: at, ReplyDue: at.Add(72 * time.Hour), DecisionDue: at.Add(15 * 24 * time.Hour), SourceTurn: fmt.Sprintf("%s#000000000003", openID),
			Day: at.Format("2006-01-02"), Month: at.Format("2006-01"), Updated: at,
		}
		c.Work.Rev = 3
		c.Work.Assignee = "alice"
		for j := range 3 {
			c.Work.Timeline = append(c.Work.Timeline, complaintbot.TimelineEntry{ID: fmt.Sprintf("r%d", j), At: at, By: "alice", Kind: "note", Text: "已联系客户，正在核实"})
			turns = append(turns, complaintbot.Turn{ID: storage.TurnID(openID, int64(j+1)), OpenID: openID, Version: int64(j + 1), Dedupe: fmt.Sprintf("m:%d-%d", i, j),
				At: at.Add(time.Duration(j) * time.Minute), In: complaintbot.Input{Type: complaintbot.InputText, Text: "我要投诉", At: at}, Replies: []string{"请问是哪方面的问题？"}})
		}
		docs = append(docs, c)
	}
	for i := 0; i < len(docs); i += 1000 {
		if _, err := st.Collection("cases").InsertMany(ctx, docs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < len(turns); i += 1000 {
		if _, err := st.Collection("turns").InsertMany(ctx, turns[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	h.App.Console.RefreshIndex()
	addUser(b, h, users.NewUser{Name: "alice", Role: storage.RoleAgent, Branches: []string{"0101"}, Password: password})
	addUser(b, h, users.NewUser{Name: "hq", Role: storage.RoleSupervisor, Branches: []string{storage.HeadOffice}, Password: password})
	e := &env{Harness: h, t: &testing.T{}, url: h.App.ConsoleURL()}
	number := docs[n-5].(complaintbot.Case).Number
	for _, who := range []string{"alice", "hq"} {
		c := e.token(who)
		for _, p := range []string{"/inbox", "/cases", "/cases?status=open&overdue=1", "/cases?q=" + url.QueryEscape("第9995位"), "/cases?q=" + number,
			"/cases?p=100", "/cases/" + number, "/cases/" + number + "/timeline", "/reports"} {
			b.Run(who+" "+p, func(b *testing.B) {
				for b.Loop() {
					if st, _ := c.do("GET", p, nil); st != 200 && st != 403 {
						b.Fatalf("GET %s: %d", p, st)
					}
				}
			})
		}
	}
}
