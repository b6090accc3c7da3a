package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// retCustomer plants a customer whose turns are written at the given times, each with a message
// holding their phone number; cases are registered by the turns at the indexes given.
func retCustomer(t *testing.T, st *storage.Store, openID, phone string, turnsAt []time.Time, cases map[int]complaintbot.Case) {
	t.Helper()
	ctx := context.Background()
	var numbers []string
	for i, at := range turnsAt {
		v := int64(i + 1)
		if c, ok := cases[i]; ok {
			c.OpenID, c.SourceTurn = openID, storage.TurnID(openID, v)
			c.Fields = map[string]string{complaintbot.FieldPhone: phone, complaintbot.FieldDescription: "我的电话是" + phone}
			c.Received = at
			c.Day, c.Month = at.Format("2006-01-02"), at.Format("2006-01")
			c.Kind, c.Branch = complaintbot.KindComplaint, complaintbot.Branch{Code: "0101", Name: "城东支行"}
			if _, err := st.Collection("cases").InsertOne(ctx, c); err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, c.Number)
		}
		tu := complaintbot.Turn{ID: storage.TurnID(openID, v), OpenID: openID, Version: v, Dedupe: fmt.Sprintf("%s-%d", openID, v), At: at,
			In: complaintbot.Input{Type: complaintbot.InputText, Text: "电话" + phone}, Replies: []string{"好的"}, Cases: numbers}
		doc, err := storage.TurnRecord(&tu)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Collection("turns").InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
	}
}

// holding counts the documents of the collection that hold s.
func holding(t *testing.T, st *storage.Store, coll, s string) int {
	t.Helper()
	ctx := context.Background()
	cur, err := st.Collection(coll).Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for cur.Next(ctx) {
		var m bson.M
		if err := bson.Unmarshal(cur.Current, &m); err != nil {
			t.Fatal(err)
		}
		js, _ := bson.MarshalExtJSON(m, false, false)
		if strings.Contains(string(js), s) {
			n++
		}
	}
	return n
}

// The retention job, run past the retention period, anonymises the cases that ended more than
// three years ago and erases the customers with nothing kept who have been quiet for the caseless
// period, and leaves everything younger alone; a run cut short after each batch ends as one
// complete run does.
//
// Not parallel: opening two embedded stores at once races inside FerretDB (ferretdb.New writes a
// package variable).
func TestRetentionJobByAge(t *testing.T) {
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprintf("cut=%v", cut), func(t *testing.T) {
			st := storagetest.Open(t)
			ctx := context.Background()
			now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
			old := time.Date(2022, 11, 1, 8, 0, 0, 0, time.UTC)
			closed := func(n string, updated time.Time) complaintbot.Case {
				return complaintbot.Case{Number: n, Status: complaintbot.StatusClosed, Updated: updated,
					ReplyDue: old.Add(72 * time.Hour), DecisionDue: old.Add(15 * 24 * time.Hour)}
			}
			// A: one case, closed four years ago, quiet since: erased whole.
			retCustomer(t, st, "oCustA_000000000000000000000", "13900000001", []time.Time{old, old.Add(time.Minute)},
				map[int]complaintbot.Case{1: closed("TS20221101-0001", old.Add(48*time.Hour))})
			// B: that old case and a new open one: the old case and the conversation before it lose
			// their personal data; the new case and its conversation stay.
			recent := now.AddDate(0, 0, -10)
			retCustomer(t, st, "oCustB_000000000000000000000", "13900000002", []time.Time{old, old.Add(time.Minute), recent, recent.Add(time.Minute)},
				map[int]complaintbot.Case{1: closed("TS20221101-0002", old.Add(48*time.Hour)),
					3: {Number: "TS20261122-0001", Status: complaintbot.StatusInvestigating, Updated: recent}})
			// C: no case, quiet for 200 days: erased. D: no case, wrote 10 days ago: kept.
			retCustomer(t, st, "oCustC_000000000000000000000", "13900000003", []time.Time{now.AddDate(0, 0, -201), now.AddDate(0, 0, -200)}, nil)
			retCustomer(t, st, "oCustD_000000000000000000000", "13900000004", []time.Time{recent}, nil)
			// E: a case closed two years ago: kept whole.
			two := now.AddDate(-2, 0, 0)
			retCustomer(t, st, "oCustE_000000000000000000000", "13900000005", []time.Time{two.Add(-48 * time.Hour), two.Add(-47 * time.Hour)},
				map[int]complaintbot.Case{1: closed("TS20241130-0001", two)})
			// F: an open case received four years ago: never anonymised while open.
			retCustomer(t, st, "oCustF_000000000000000000000", "13900000006", []time.Time{old, old.Add(time.Minute)},
				map[int]complaintbot.Case{1: {Number: "TS20221101-0003", Status: complaintbot.StatusEscalated, Updated: old.Add(48 * time.Hour)}})

			forgot := map[string]bool{}
			r := &scheduler.Retention{Store: st, Clock: complaintbot.NewManualClock(now), Config: config.Default().Retention, Batch: 1,
				Forget: func(id string) { forgot[id] = true }}
			if cut {
				calls := 0
				r.AfterBatch = func(int) error {
					calls++
					if calls == 1 || calls == 3 || calls == 6 || calls == 10 { // crashes at different points
						return errors.New("cut short")
					}
					return nil
				}
				runs := 0
				for {
					runs++
					_, err := r.Run(ctx)
					if err == nil {
						break
					}
					if runs > 30 {
						t.Fatalf("the job never finished when cut short after each batch: %v", err)
					}
				}
				r.AfterBatch = nil
			} else if _, err := r.Run(ctx); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				phone     string
				inTurns   int
				inCases   int
				turnsLeft int
			}{
				{"13900000001", 0, 0, 0},
				{"13900000002", 2, 1, 4},
				{"13900000003", 0, 0, 0},
				{"13900000004", 1, 0, 1},
				{"13900000005", 2, 1, 2},
				{"13900000006", 2, 1, 2},
			} {
				openID := "oCust" + string("ABCDEF"[tc.phone[len(tc.phone)-1]-'1']) + "_000000000000000000000"
				if n := holding(t, st, "turns", tc.phone); n != tc.inTurns {
					t.Errorf("%s: %d turns hold the phone number, want %d", openID[:6], n, tc.inTurns)
				}
				if n := holding(t, st, "cases", tc.phone); n != tc.inCases {
					t.Errorf("%s: %d cases hold the phone number, want %d", openID[:6], n, tc.inCases)
				}
				if n := holding(t, st, "turns", openID); n != tc.turnsLeft {
					t.Errorf("%s: %d turns left, want %d", openID[:6], n, tc.turnsLeft)
				}
			}
			// The figures of the anonymised cases stay.
			for _, n := range []string{"TS20221101-0001", "TS20221101-0002"} {
				c, err := st.Case(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				if c.OpenID != "" || len(c.Fields) != 0 || c.Status != complaintbot.StatusClosed || c.Branch.Code != "0101" ||
					!c.Received.Equal(old.Add(time.Minute)) || c.Kind != complaintbot.KindComplaint {
					t.Errorf("case %s after retention: %+v", n, c)
				}
			}
			// B's conversation goes on: its newest turn is found and untouched.
			last, err := st.LatestTurn(ctx, "oCustB_000000000000000000000")
			if err != nil || last.Version != 4 || !strings.Contains(last.In.Text, "13900000002") {
				t.Errorf("B's newest turn after retention: %+v, %v", last, err)
			}
			if !forgot["oCustA_000000000000000000000"] || !forgot["oCustC_000000000000000000000"] || forgot["oCustD_000000000000000000000"] {
				t.Errorf("cached conversations forgotten: %v", forgot)
			}
			// A second run finds nothing to do.
			if n, err := r.Run(ctx); err != nil || n != 0 {
				t.Errorf("second run: %d, %v", n, err)
			}
		})
	}
}
