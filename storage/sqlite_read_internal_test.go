package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The case index reads its rows straight from SQLite on the embedded server: every
// field of every kind of case comes out exactly as the server gives it.
func TestCaseRowsFromSQLiteMatchTheServer(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "rows", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if rows, err := st.allCaseRowsFromSQLite(ctx); err != nil || len(rows) != 0 {
		t.Fatalf("no cases yet: %v %v", rows, err)
	}
	t0 := time.Date(2026, 12, 2, 9, 30, 15, 123_000_000, time.UTC)
	for i := range 40 {
		c := &complaintbot.Case{Number: fmt.Sprintf("TS20261202-%04d", i+1), Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived,
			OpenID: fmt.Sprint("o", i), Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行", Aliases: []string{"东门"}},
			Fields:   map[string]string{"description": "柜员态度\"很差\"\n等了一个小时", "phone": "13800000000"},
			Received: t0.Add(time.Duration(i) * time.Hour), ReplyDue: t0.Add(72 * time.Hour), DecisionDue: t0.Add(15 * 24 * time.Hour),
			SourceTurn: fmt.Sprint("turn", i), Day: "2026-12-02", Month: "2026-12", Updated: t0}
		switch i % 4 {
		case 0:
			c.Category = &complaintbot.Category{Code: "attitude", Name: "服务态度", Channel: "A01", Business: "B99", Reason: "C01"}
			c.Coding = complaintbot.Coding{Channel: "A0101", Business: "B01", Reason: "C01"} // the lists show it
		case 1:
			c.Kind, c.Fields, c.Branch = complaintbot.KindSuggestion, nil, complaintbot.Branch{Code: complaintbot.NoBranchCode, Name: "不涉及网点"}
		case 2:
			c.DecisionDue = time.Time{}
		}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 1:
			_, err = st.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.Number}}, bson.D{{Key: "$set", Value: bson.D{{Key: "work.assignee", Value: "wangli"}}}})
		case 2:
			_, err = st.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.Number}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved},
				{Key: "work.malicious", Value: complaintbot.Flag{Reason: "反复骚扰", By: "admin", At: t0.Add(time.Minute)}}}}})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want, err := st.allCaseRowsFromServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.allCaseRowsFromSQLite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(rows []complaintbot.Case) []complaintbot.Case {
		for i := range rows {
			r := &rows[i]
			r.Received, r.ReplyDue, r.DecisionDue = r.Received.UTC(), r.ReplyDue.UTC(), r.DecisionDue.UTC()
			if r.Work.Malicious != nil {
				r.Work.Malicious.At = r.Work.Malicious.At.UTC()
			}
		}
		slices.SortFunc(rows, func(a, b complaintbot.Case) int { return strings.Compare(a.Number, b.Number) })
		return rows
	}
	want, got = norm(want), norm(got)
	if len(want) != 40 || !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("row %d differs:\nsqlite %+v\nserver %+v", i, got[i], want[i])
			}
		}
		t.Fatalf("%d rows from SQLite, %d from the server", len(got), len(want))
	}
	// One case's row, read when it changes, is the same as in the full read.
	for _, w := range want {
		one, err := st.caseListRow(ctx, w.Number)
		if err != nil {
			t.Fatal(err)
		}
		if g := norm([]complaintbot.Case{*one})[0]; !reflect.DeepEqual(g, w) {
			t.Fatalf("case %s read alone:\nsqlite %+v\nserver %+v", w.Number, g, w)
		}
	}
	if _, err := st.caseListRow(ctx, "TS20991231-0001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a case not stored read alone: %v, want ErrNotFound", err)
	}
}

// allCaseRowsFromSQLite collects what caseRowsFromSQLite reads.
func (s *Store) allCaseRowsFromSQLite(ctx context.Context) ([]complaintbot.Case, error) {
	out := []complaintbot.Case{}
	err := s.caseRowsFromSQLite(ctx, func(c *complaintbot.Case) { out = append(out, *c) })
	return out, err
}

// allCaseRowsFromServer reads every case's list fields through the server.
func (s *Store) allCaseRowsFromServer(ctx context.Context) ([]complaintbot.Case, error) {
	cur, err := s.ScanCollection("cases").Find(ctx, bson.D{}, options.Find().SetProjection(caseListProjection))
	if err != nil {
		return nil, err
	}
	out := []complaintbot.Case{}
	return out, cur.All(ctx, &out)
}

// The outbox's open messages read from SQLite are exactly those the server lists.
func TestOpenOutboxFromSQLiteMatchesTheServer(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "open", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if got, err := st.openOutboxFromSQLite(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty outbox: %v %v", got, err)
	}
	t0 := time.Date(2026, 12, 2, 9, 30, 15, 123_000_000, time.UTC)
	for i := range 30 {
		m := complaintbot.OutboxMessage{ID: fmt.Sprint("m", i), OpenID: fmt.Sprint("o", i%7), Text: "x", Purpose: complaintbot.PurposeNotice, Created: t0, NextAt: t0.Add(time.Duration(i) * time.Second)}
		if _, err := st.Enqueue(ctx, &m); err != nil {
			t.Fatal(err)
		}
		o := OutboxOutcome{At: t0, OpenID: m.OpenID}
		switch i % 3 {
		case 0:
			continue // pending
		case 1:
			o.Status = complaintbot.OutboxSent
		case 2:
			o.Status, o.Unknown = complaintbot.OutboxUnknown, true
		}
		if err := st.RecordOutcome(ctx, m.ID, 1, o); err != nil {
			t.Fatal(err)
		}
	}
	cur, err := st.outbox.Find(ctx, bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.OutboxPending, complaintbot.OutboxUnknown}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var want []complaintbot.OutboxMessage
	if err := cur.All(ctx, &want); err != nil {
		t.Fatal(err)
	}
	got, err := st.openOutboxFromSQLite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := func(ms []complaintbot.OutboxMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprint(m.ID, " ", m.OpenID, " ", m.Status, " ", m.NextAt.UTC().Format(time.RFC3339Nano)))
		}
		slices.Sort(out)
		return out
	}
	if len(want) != 20 || !reflect.DeepEqual(key(got), key(want)) {
		t.Fatalf("from SQLite %v\nfrom the server %v", key(got), key(want))
	}
}
