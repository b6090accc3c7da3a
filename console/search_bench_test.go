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

// BenchmarkSearchAPI times GET /api/v1/search on the embedded database holding 3,000 customers'
// conversations of 10 messages each (30,000 turns), for a branch agent and head office: a word
// every customer wrote (the search reads the newest 30 conversations through handoffs.ViewFor),
// and one customer's phone number. The index is built before the timing.
//
//	go test ./console -run '^$' -bench SearchAPI -benchtime 20x
func BenchmarkSearchAPI(b *testing.B) {
	h := apptest.New(b, nil)
	ctx := context.Background()
	st := h.App.Store
	start := apptest.Start.Add(-30 * 24 * time.Hour)
	const customers, each = 3000, 10
	var turns []any
	for i := range customers {
		openID := fmt.Sprintf("oSearchBench%08d", i)
		for j := range each {
			at := start.Add(time.Duration(i*each+j) * time.Minute)
			text := fmt.Sprintf("第%d位客户的第%d条：柜员态度很差，电话138%08d", i, j, i)
			doc, err := storage.TurnRecord(&complaintbot.Turn{ID: storage.TurnID(openID, int64(j+1)), OpenID: openID, Version: int64(j + 1), Dedupe: fmt.Sprintf("m:%d-%d", i, j),
				At: at, In: complaintbot.Input{Type: complaintbot.InputText, Text: text, At: at}, Replies: []string{"请问是哪方面的问题？"},
				State: complaintbot.ConversationState{Session: 1, LastActive: at}})
			if err != nil {
				b.Fatal(err)
			}
			turns = append(turns, doc)
		}
	}
	for i := 0; i < len(turns); i += 1000 {
		if _, err := st.Collection("turns").InsertMany(ctx, turns[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	if _, err := st.IndexSearch(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed %d turns in %v", len(turns), time.Since(t0).Round(time.Millisecond))
	addUser(b, h, users.NewUser{Name: "alice", Role: storage.RoleAgent, Branches: []string{"0101"}, Password: password})
	addUser(b, h, users.NewUser{Name: "hq", Role: storage.RoleSupervisor, Branches: []string{storage.HeadOffice}, Password: password})
	e := &env{Harness: h, t: &testing.T{}, url: h.App.ConsoleURL()}
	for _, who := range []string{"alice", "hq"} {
		c := e.token(who)
		for _, q := range []string{"态度", fmt.Sprintf("138%08d", 1234)} {
			b.Run(who+" "+q, func(b *testing.B) {
				for b.Loop() {
					if st, body := c.do("GET", "/api/v1/search?q="+url.QueryEscape(q), nil); st != 200 {
						b.Fatalf("search %s: %d %s", q, st, body)
					}
				}
			})
		}
	}
}
