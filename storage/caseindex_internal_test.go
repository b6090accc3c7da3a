package storage

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// indexTestStore opens an embedded store with 80 cases of every kind: branches, statuses,
// categories, assignees, texts, phone numbers, and receipts that tie (the lists then order by
// number).
func indexTestStore(t *testing.T) (*Store, time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "index", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	t0 := time.Date(2026, 11, 27, 1, 0, 0, 123_000_000, time.UTC)
	branches := []complaintbot.Branch{{Code: "0101", Name: "城东支行"}, {Code: "0202", Name: "高新区支行"}, {Code: complaintbot.NoBranchCode, Name: "不涉及网点"}}
	statuses := []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusEscalated,
		complaintbot.StatusResolved, complaintbot.StatusClosed, complaintbot.StatusReopened}
	texts := []string{"柜员态度很差 (a+b)", "收费不透明，a.b 年费", "ATM 吞卡", "", "等了一个小时，态度冷淡"}
	for i := range 80 {
		at := t0.Add(time.Duration(i/2) * 7 * time.Hour) // pairs received at the same moment
		kind := []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}[i%4]
		c := &complaintbot.Case{Number: fmt.Sprintf("%s%s-%04d", kind.Prefix(), at.Format("20060102"), i+1), Kind: kind, Status: statuses[i%len(statuses)],
			OpenID: fmt.Sprint("o", i), Channel: "wechat", Branch: branches[i%len(branches)], Received: at, ReplyDue: at.Add(72 * time.Hour),
			DecisionDue: at.Add(time.Duration(3+i%5) * 24 * time.Hour), SourceTurn: fmt.Sprint("turn", i), Day: at.Format("2006-01-02"),
			Month: at.Format("2006-01"), Updated: at}
		switch i % 3 {
		case 0:
			c.Category = &complaintbot.Category{Code: "attitude", Name: "服务态度"}
		case 1:
			c.Category = &complaintbot.Category{Code: "fees", Name: "收费"}
		}
		if i%7 != 3 {
			c.Fields = map[string]string{complaintbot.FieldDescription: texts[i%len(texts)], complaintbot.FieldPhone: fmt.Sprintf("1381234%04d", i*37%10000)}
			if i%4 == 1 {
				c.Fields[complaintbot.FieldName], c.Fields[complaintbot.FieldRequest] = "张三", "希望道歉"
			}
		}
		switch i % 4 {
		case 1:
			c.Work.Assignee = "wangli"
		case 2:
			c.Work.Assignee = "lisi"
		}
		if i%5 == 0 {
			replied := at.Add(time.Duration(i%3) * 40 * time.Hour) // before, after or well after the reply date
			c.RepliedAt = &replied
		}
		if i%9 == 0 {
			c.Work.Malicious = &complaintbot.Flag{Reason: "反复骚扰", By: "admin", At: at}
		}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return st, t0
}

// The embedded server's case index answers every filter exactly as the database's query does:
// the same cases in the same order, and the same counts. (matches, which the index uses, and the
// filter's bson must agree.)
func TestCaseIndexAnswersAsTheDatabase(t *testing.T) {
	st, t0 := indexTestStore(t)
	ctx := context.Background()
	due := t0.Add(7*time.Hour + 5*24*time.Hour) // the decision deadline of an open case (the third), to the millisecond
	filters := map[string]CaseFilter{
		"everything":               {},
		"branches":                 {Branches: []string{"0101"}},
		"two branches":             {Branches: []string{"0101", complaintbot.NoBranchCode}},
		"no branches":              {Branches: []string{}},
		"branch":                   {Branch: "0202"},
		"branch outside branches":  {Branches: []string{"0101"}, Branch: "0202"},
		"branch within branches":   {Branches: []string{"0101", "0202"}, Branch: "0202"},
		"status":                   {Status: []complaintbot.Status{complaintbot.StatusReceived}},
		"statuses":                 {Status: []complaintbot.Status{complaintbot.StatusResolved, complaintbot.StatusClosed}},
		"kind":                     {Kind: complaintbot.KindSuggestion},
		"category":                 {Category: "attitude"},
		"unassigned":               {Assignee: "-"},
		"assignee":                 {Assignee: "wangli"},
		"overdue":                  {Overdue: true, Now: t0.Add(10 * 24 * time.Hour)},
		"overdue at a deadline":    {Overdue: true, Now: due},
		"overdue just after":       {Overdue: true, Now: due.Add(1500 * time.Microsecond)},
		"overdue within a ms":      {Overdue: true, Now: due.Add(500 * time.Microsecond)},
		"reply date passed only":   {Overdue: true, Now: t0.Add(75 * time.Hour)},
		"at a reply date":          {Overdue: true, Now: t0.Add(72*time.Hour + 7*time.Hour)},
		"just after a reply date":  {Overdue: true, Now: t0.Add(79*time.Hour + 1500*time.Microsecond)},
		"overdue with status":      {Overdue: true, Now: t0.Add(20 * 24 * time.Hour), Status: []complaintbot.Status{complaintbot.StatusResolved, complaintbot.StatusEscalated}},
		"from":                     {From: t0.Add(70 * time.Hour)},
		"from within a ms":         {From: t0.Add(70*time.Hour + 400*time.Microsecond)},
		"to":                       {To: t0.Add(140 * time.Hour)},
		"to within a ms":           {To: t0.Add(140*time.Hour + 400*time.Microsecond)},
		"from and to":              {From: t0.Add(35 * time.Hour), To: t0.Add(105 * time.Hour)},
		"number":                   {Query: "TS20261127-0001"},
		"number in lower case":     {Query: " ts20261127-0002 "},
		"number prefix":            {Query: "ts2026112"},
		"phone":                    {Query: "12340037"},
		"phone with spaces":        {Query: "1381 234"},
		"short digits":             {Query: "12"},
		"three digits":             {Query: "123"},
		"text":                     {Query: "态度"},
		"text with regexp":         {Query: "(a+b)"},
		"text with a dot":          {Query: "a.b"},
		"name":                     {Query: "张三"},
		"request":                  {Query: "道歉"},
		"nothing found":            {Query: "没有这样的内容"},
		"branch, status and query": {Branches: []string{"0101", "0202"}, Status: []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusReopened}, Query: "态度"},
		"everything at once": {Branches: []string{"0101", "0202", complaintbot.NoBranchCode}, Branch: "0101", Kind: complaintbot.KindComplaint,
			Category: "attitude", Assignee: "-", Overdue: true, Now: t0.Add(30 * 24 * time.Hour), From: t0, To: t0.Add(30 * 24 * time.Hour), Query: "态度"},
		"assignee and overdue": {Assignee: "lisi", Overdue: true, Now: t0.Add(12 * 24 * time.Hour)},
	}
	nonEmpty := 0
	for name, f := range filters {
		want, err := st.listCasesFromServer(ctx, f, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := st.caseIndex.list(ctx, f, 0, 1000)
		if !ok {
			t.Fatal("the index did not answer")
		}
		if g, w := numbers(got), numbers(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: the index lists %v, the database %v", name, g, w)
		}
		if len(want) > 0 {
			nonEmpty++
		}
		for i := range want {
			if c := want[i]; !f.matches(&c) {
				t.Errorf("%s: matches refuses %s, which the database lists", name, c.Number)
			}
		}
		// A page further on.
		want, _ = st.listCasesFromServer(ctx, f, 3, 5)
		got, _ = st.caseIndex.list(ctx, f, 3, 5)
		if g, w := numbers(got), numbers(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%s, skip 3 limit 5: the index lists %v, the database %v", name, g, w)
		}
		for _, field := range []string{"status", "branch.code", "kind"} {
			want, err := st.countCasesFromServer(ctx, f, field)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := st.caseIndex.countBy(ctx, f, field)
			if !ok || !maps.Equal(got, want) {
				t.Errorf("%s by %s: the index counts %v, the database %v", name, field, got, want)
			}
		}
	}
	if nonEmpty < len(filters)-5 {
		t.Fatalf("only %d of %d filters find anything: the seed does not exercise them", nonEmpty, len(filters))
	}
}

// A list answered from the index has the list's fields as the database's query reads them.
func TestCaseIndexRowsAreTheListFields(t *testing.T) {
	st, _ := indexTestStore(t)
	ctx := context.Background()
	want, err := st.listCasesFromServer(ctx, CaseFilter{}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.caseIndex.list(ctx, CaseFilter{}, 0, 1000)
	if len(got) != len(want) || len(got) != 80 {
		t.Fatalf("%d rows from the index, %d from the database", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.Received, w.ReplyDue, w.DecisionDue = w.Received.UTC(), w.ReplyDue.UTC(), w.DecisionDue.UTC()
		if w.Work.Malicious != nil {
			w.Work.Malicious.At = w.Work.Malicious.At.UTC()
		}
		// The index keeps the texts a search reads, and only those that say something.
		var fields map[string]string
		for _, k := range []string{complaintbot.FieldDescription, complaintbot.FieldRequest, complaintbot.FieldName, complaintbot.FieldPhone} {
			if v := w.Fields[k]; v != "" {
				if fields == nil {
					fields = map[string]string{}
				}
				fields[k] = v
			}
		}
		w.Fields = fields
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("row %d:\nindex    %+v\ndatabase %+v", i, g, w)
		}
	}
}

// The index follows the store's own writes at once, and what was written behind the store's back
// after a refresh.
func TestCaseIndexFollowsTheStoresWrites(t *testing.T) {
	st, t0 := indexTestStore(t)
	ctx := context.Background()
	count := func(f CaseFilter) int {
		t.Helper()
		rows, ok := st.caseIndex.list(ctx, f, 0, 1000)
		if !ok {
			t.Fatal("the index did not answer")
		}
		return len(rows)
	}
	number := fmt.Sprintf("TS%s-%04d", t0.Add(42*time.Hour).Format("20060102"), 13) // received, not worked yet
	before := count(CaseFilter{Assignee: "zhaoliu"})
	c, _ := st.Case(ctx, number)
	to := "zhaoliu"
	if err := st.UpdateCase(ctx, number, CaseChange{Rev: c.Work.Rev, Assignee: &to, At: t0}); err != nil {
		t.Fatal(err)
	}
	if n := count(CaseFilter{Assignee: "zhaoliu"}); n != before+1 {
		t.Fatalf("assigned through the store: %d cases of zhaoliu, want %d", n, before+1)
	}
	if _, err := st.EscalateOverdue(ctx, number, DeadlineReply, t0); err != nil {
		t.Fatal(err)
	}
	if rows, _ := st.caseIndex.list(ctx, CaseFilter{Query: number}, 0, 1); len(rows) != 1 || rows[0].Status != complaintbot.StatusEscalated {
		t.Fatalf("escalated by the scheduler: %+v", rows)
	}
	// Behind the store's back: seen after RefreshCaseIndex.
	if _, err := st.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: number}}, bson.D{{Key: "$set", Value: bson.D{{Key: "work.assignee", Value: "qianqi"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.RefreshCaseIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(CaseFilter{Assignee: "qianqi"}); n != 1 {
		t.Fatalf("after a refresh: %d cases of qianqi, want 1", n)
	}
}

func numbers(cs []complaintbot.Case) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return out
}
