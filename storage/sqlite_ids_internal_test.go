package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// A returning customer's newest turn is found with one read of the _id index in the embedded
// server's file, whatever their number of turns; a customer whose openid begins like another's
// gets their own, a customer never seen none.
func TestLatestTurnFromTheIDIndex(t *testing.T) {
	t.Parallel()
	st := openInternal(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for who, n := range map[string]int{"o_ids": 41, "o_ids1": 3} {
		for v := 1; v <= n; v++ {
			tr := &complaintbot.Turn{OpenID: who, Version: int64(v), At: at, In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好"}}
			if err := st.AppendTurn(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	for who, want := range map[string]int64{"o_ids": 41, "o_ids1": 3, "o_id": 0, "o_never": 0} {
		id, ok, err := st.lastIDWithPrefix(ctx, "turns", who+"#")
		if err != nil || !ok {
			t.Fatalf("%s: the index was not read: %v", who, err)
		}
		got := int64(0)
		if id != "" {
			got, ok = turnVersion(id, who)
			if !ok {
				t.Fatalf("%s: id %q is no turn of theirs", who, id)
			}
		}
		if got != want {
			t.Errorf("%s: newest version %d from the index, want %d", who, got, want)
		}
		if v, err := st.latestVersion(ctx, who); err != nil || v != want {
			t.Errorf("%s: latestVersion %d, %v; want %d", who, v, err, want)
		}
	}
	// The range is read from the index, not by reading the table.
	db, table, err := st.ids.open(ctx, st, "turns")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+sjsonColumn+`->>'$._id' FROM "`+table+`" WHERE `+idExpr+` > ? AND `+idExpr+` < ? ORDER BY `+idExpr+` DESC LIMIT 1`, `"o_ids#`, `"o_ids#~`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("query plan %q: want a range of the _id index, in its order", p)
	}
}

// A customer's last complaint entry is read from the index whatever the byte order of its
// numbers (#12 sorts before #9).
func TestCustomerLastFromTheIDIndex(t *testing.T) {
	t.Parallel()
	st := openInternal(t)
	ctx := context.Background()
	keys := st.CustomerKeys("o_many", "")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 12; i++ {
		if err := st.AddCustomerCase(ctx, keys, fmt.Sprintf("TS20261201-%04d", i), at); err != nil {
			t.Fatal(err)
		}
	}
	if n, ok := st.customerLastFromIndex(ctx, keys[0]); !ok || n != 12 {
		t.Fatalf("the last entry from the index: %d, %v; want 12", n, ok)
	}
	st.customerHints = lastHints{} // a fresh process
	got, err := st.RecentCustomerCases(ctx, keys, at, 3)
	if err != nil || len(got) != 3 || got[0] != "TS20261201-0012" {
		t.Fatalf("the newest three complaints read by a fresh process: %v, %v", got, err)
	}
}
