package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func testCase(n int, branch string, at time.Time) *complaintbot.Case {
	return &complaintbot.Case{
		Number: fmt.Sprintf("TS%s-%04d", at.In(complaintbot.Shanghai).Format("20060102"), n), Kind: complaintbot.KindComplaint,
		Status: complaintbot.StatusReceived, OpenID: fmt.Sprintf("oCust%04d", n), Channel: "wechat",
		Category: &complaintbot.Category{Code: "attitude", Name: "服务态度"}, Branch: complaintbot.Branch{Code: branch, Name: "网点" + branch},
		Fields:   map[string]string{complaintbot.FieldDescription: fmt.Sprintf("第%d号 柜员态度差 (a+b)", n), complaintbot.FieldPhone: fmt.Sprintf("1381234%04d", n)},
		Received: at, ReplyDue: at.Add(72 * time.Hour), DecisionDue: at.Add(15 * 24 * time.Hour), SourceTurn: fmt.Sprintf("turn%d", n),
		Day: at.Format("2006-01-02"), Month: at.Format("2006-01"), Updated: at,
	}
}

func TestCaseWorkUpdatesAreGuardedByRevision(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	c := testCase(1, "0101", t0)
	if err := st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	assignee := "alice"
	investigating := complaintbot.StatusInvestigating
	ch := storage.CaseChange{Rev: 0, FromStatus: complaintbot.StatusReceived, Status: &investigating, Assignee: &assignee, At: t0,
		Entries: []complaintbot.TimelineEntry{{ID: "1", At: t0, By: "alice", Kind: "status", From: "received", To: "investigating"}, {ID: "1n", At: t0, By: "alice", Kind: "notice", Text: "已受理"}}}
	if err := st.UpdateCase(ctx, c.Number, ch); err != nil {
		t.Fatal(err)
	}
	// The same decision again (a double click, another agent): refused.
	if err := st.UpdateCase(ctx, c.Number, ch); !errors.Is(err, storage.ErrCaseChanged) {
		t.Fatalf("second update on the same revision: %v", err)
	}
	rec, err := st.Case(ctx, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != investigating || rec.Work.Rev != 1 || rec.Work.Assignee != "alice" || len(rec.Work.Timeline) != 2 || rec.Fields[complaintbot.FieldPhone] == "" {
		t.Fatalf("after update: %+v", rec)
	}
	flag := complaintbot.Flag{Reason: "重复骚扰", By: "bob", At: t0}
	if err := st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: 1, Malicious: &flag, At: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateCase(ctx, c.Number, storage.CaseChange{Rev: 2, ClearMalicious: true, At: t0}); err != nil {
		t.Fatal(err)
	}
	rec, _ = st.Case(ctx, c.Number)
	if rec.Work.Malicious != nil || rec.Work.Rev != 3 {
		t.Fatalf("flag not cleared: %+v", rec.Work)
	}
}

func TestListCasesFiltersAndSearch(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i := 1; i <= 12; i++ {
		branch := "0101"
		if i%3 == 0 {
			branch = "0201"
		}
		if err := st.InsertCase(ctx, testCase(i, branch, t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	bob := "bob"
	if err := st.UpdateCase(ctx, "TS20261128-0002", storage.CaseChange{Assignee: &bob, At: t0}); err != nil {
		t.Fatal(err)
	}
	// Every case but the twelfth was answered before its reply date.
	for i := 1; i <= 11; i++ {
		if err := st.MarkReplied(ctx, fmt.Sprintf("TS20261128-%04d", i), t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(f storage.CaseFilter) int {
		t.Helper()
		rows, err := st.ListCases(ctx, f, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	for name, tc := range map[string]struct {
		f    storage.CaseFilter
		want int
	}{
		"all":                {storage.CaseFilter{}, 12},
		"scoped":             {storage.CaseFilter{Branches: []string{"0201"}}, 4},
		"scoped none":        {storage.CaseFilter{Branches: []string{}}, 0},
		"number":             {storage.CaseFilter{Query: "ts20261128-0003"}, 1},
		"number scoped out":  {storage.CaseFilter{Query: "TS20261128-0003", Branches: []string{"0101"}}, 0},
		"number prefix":      {storage.CaseFilter{Query: "TS20261128-001"}, 3},
		"phone":              {storage.CaseFilter{Query: "13812340007"}, 1},
		"text":               {storage.CaseFilter{Query: "第11号"}, 1},
		"regex chars":        {storage.CaseFilter{Query: "(a+b)"}, 12},
		"assignee":           {storage.CaseFilter{Assignee: "bob"}, 1},
		"unassigned":         {storage.CaseFilter{Assignee: "-"}, 11},
		"overdue":            {storage.CaseFilter{Overdue: true, Now: t0.Add(15*24*time.Hour + 150*time.Minute)}, 3}, // two past the decision deadline, the twelfth unanswered
		"overdue unanswered": {storage.CaseFilter{Overdue: true, Now: t0.Add(4 * 24 * time.Hour)}, 1},
		"range":              {storage.CaseFilter{From: t0.Add(2 * time.Hour), To: t0.Add(5 * time.Hour)}, 3},
		"status":             {storage.CaseFilter{Status: []complaintbot.Status{complaintbot.StatusClosed}}, 0},
		"category":           {storage.CaseFilter{Category: "attitude", Kind: complaintbot.KindComplaint}, 12},
		"branch in scope":    {storage.CaseFilter{Branches: []string{"0201"}, Branch: "0201"}, 4},
		"branch out":         {storage.CaseFilter{Branches: []string{"0201"}, Branch: "0101"}, 0},
		"overdue status":     {storage.CaseFilter{Status: []complaintbot.Status{complaintbot.StatusReceived}, Overdue: true, Now: t0.Add(40 * 24 * time.Hour)}, 12},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d cases, want %d", name, got, tc.want)
		}
	}
	rows, err := st.ListCases(ctx, storage.CaseFilter{}, 10, 5)
	if err != nil || len(rows) != 2 || rows[0].Number != "TS20261128-0002" {
		t.Fatalf("page 3: %v %+v", err, rows)
	}
	if rows[0].Work.Assignee != "bob" {
		t.Fatalf("projection lost the assignee: %+v", rows[0])
	}
	by, err := st.CountCasesBy(ctx, storage.CaseFilter{}, "branch.code")
	if err != nil || by["0101"] != 8 || by["0201"] != 4 {
		t.Fatalf("count by branch: %v %v", by, err)
	}
	n := 0
	if err := st.EachCase(ctx, storage.CaseFilter{Branches: []string{"0201"}}, 100, func(*complaintbot.Case) error { n++; return nil }); err != nil || n != 4 {
		t.Fatalf("export: %d %v", n, err)
	}
}

func TestUsersSessionsAttemptsAudit(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	if has, err := st.HasUsers(ctx); err != nil || has {
		t.Fatalf("fresh store has users: %v %v", has, err)
	}
	u := &storage.User{Name: "alice", Role: storage.RoleAgent, Branches: []string{"0101"}, PasswordHash: "x", Created: t0, Updated: t0}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, u); !storage.IsDuplicate(err) {
		t.Fatalf("second alice: %v", err)
	}
	disabled := true
	if err := st.UpdateUser(ctx, "alice", storage.UserChange{Disabled: &disabled}, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateUser(ctx, "nobody", storage.UserChange{Disabled: &disabled}, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	got, err := st.UserByName(ctx, "alice")
	if err != nil || !got.Disabled || got.Covers("0201") || !got.Covers("0101") || got.Covers("") {
		t.Fatalf("alice: %+v %v", got, err)
	}
	if err := st.CreateSession(ctx, &storage.Session{ID: "h1", User: "alice", Kind: "cookie", Created: t0, LastSeen: t0}); err != nil {
		t.Fatal(err)
	}
	if err := st.TouchSession(ctx, "h1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s, err := st.Session(ctx, "h1"); err != nil || !s.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Fatalf("session %+v %v", s, err)
	}
	if err := st.PurgeSessions(ctx, t0.Add(2*time.Minute), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, "h1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("idle session not purged: %v", err)
	}
	for i := range 3 {
		if err := st.RecordLogin(ctx, []string{"user:alice", "addr:1.2.3.4"}, i == 1, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	att, err := st.LoginAttempts(ctx, "user:alice", t0, 10)
	if err != nil || len(att) != 3 || att[0].OK || !att[1].OK {
		t.Fatalf("attempts %+v %v", att, err)
	}
	if err := st.Audit(ctx, &storage.AuditEntry{At: t0, User: "alice", Action: "note", TargetType: "case", Target: "TS1", Branch: "0101"}); err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: "case", Target: "TS1", Branches: []string{"0101"}})
	if err != nil || len(log) != 1 {
		t.Fatalf("audit %+v %v", log, err)
	}
}
