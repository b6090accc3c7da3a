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
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A retry is recognised by its dedupe record (one lookup by _id) once the record is written, and
// by walking back the customer's newest turns before that (a record lost in a crash is written
// again then).
func TestRetryFindsItsTurnWithAndWithoutItsRecord(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	for v := int64(1); v <= 5; v++ {
		turn := &complaintbot.Turn{OpenID: "oR", Version: v, Dedupe: fmt.Sprint("msg:", v), At: t0, Replies: []string{fmt.Sprint("答", v)}}
		if err := st.AppendTurn(ctx, turn); err != nil {
			t.Fatal(err)
		}
	}
	// Right away, before the records are written: found by walking back.
	retry := &complaintbot.Turn{OpenID: "oR", Version: 6, Dedupe: "msg:2", At: t0}
	var dup *storage.DuplicateError
	if err := st.AppendTurn(ctx, retry); !errors.As(err, &dup) || dup.Existing.Version != 2 || dup.Existing.Replies[0] != "答2" {
		t.Fatalf("retry of message 2: %v", err)
	}
	if err := st.Close(ctx); err != nil { // writes the waiting records
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	got, err := st.TurnByDedupe(ctx, "msg:4")
	if err != nil || got.ID != storage.TurnID("oR", 4) {
		t.Fatalf("record of message 4 after a restart: %+v %v", got, err)
	}
	// A crash lost the record of message 5: the retry still finds its turn, and writes the record.
	if _, err := st.Collection(storage.DedupeCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: "msg:5"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TurnByDedupe(ctx, "msg:5"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("record of message 5 should be gone: %v", err)
	}
	// The returning customer's first message after the restart guesses version 1: a conflict
	// with the stored turn, not a duplicate.
	fresh := &complaintbot.Turn{OpenID: "oR", Version: 1, Dedupe: "msg:6", At: t0}
	if err := st.AppendTurn(ctx, fresh); !errors.Is(err, storage.ErrVersionConflict) {
		t.Fatalf("new message at a taken version: %v, want a conflict", err)
	}
	retry5 := &complaintbot.Turn{OpenID: "oR", Version: 1, Dedupe: "msg:5", At: t0}
	if err := st.AppendTurn(ctx, retry5); !errors.Is(err, storage.ErrVersionConflict) {
		// at a taken version the conflict comes first; the caller reloads and tries the next version
		t.Fatalf("retry at a taken version: %v", err)
	}
	retry5.Version, retry5.ID = 6, ""
	if err := st.AppendTurn(ctx, retry5); !errors.As(err, &dup) || dup.Existing.Version != 5 {
		t.Fatalf("retry of message 5 without its record: %v", err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	if got, err := st.TurnByDedupe(ctx, "msg:5"); err != nil || got.Version != 5 {
		t.Fatalf("the lost record is written again: %+v %v", got, err)
	}
}

// Case numbers go on past 9,999 a day, also after a restart, where the day's last number is
// found by probing ids rather than by a sorted query (which put -9999 after -10000).
func TestCaseNumbersGoPast9999AfterARestart(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	docs := make([]any, 0, 10123)
	for n := 1; n <= 10123; n++ {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("TS20261202-%04d", n)}, {Key: "turn", Value: fmt.Sprint("seed", n)}})
	}
	if _, err := st.Collection("case_numbers").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	n, err := st.NextCaseNumber(ctx, "TS", "20261202", "t1")
	if err != nil || n != "TS20261202-10124" {
		t.Fatalf("number 10124: %q %v", n, err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	if n, err := st.NextCaseNumber(ctx, "TS", "20261202", "t1"); err != nil || n != "TS20261202-10124" {
		t.Fatalf("the same turn after a restart: %q %v", n, err)
	}
	if n, err := st.NextCaseNumber(ctx, "TS", "20261202", "t2"); err != nil || n != "TS20261202-10125" {
		t.Fatalf("next after a restart: %q %v", n, err)
	}
}

// Two tries of one turn asking at once get one number between them, and the next turn the next
// number: no gap.
func TestConcurrentTriesOfOneTurnShareANumber(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	got := make(chan string, 4)
	for range 4 {
		go func() {
			n, err := st.NextCaseNumber(ctx, "TS", "20261203", "same-turn")
			if err != nil {
				t.Error(err)
			}
			got <- n
		}()
	}
	first := <-got
	for range 3 {
		if n := <-got; n != first {
			t.Fatalf("one turn got %s and %s", first, n)
		}
	}
	if n, err := st.NextCaseNumber(ctx, "TS", "20261203", "other"); err != nil || n != "TS20261203-0002" {
		t.Fatalf("next turn: %q %v (first was %s)", n, err, first)
	}
}

// The pending-turn marks name the turns in flight, oldest first, and go when cleared.
func TestPendingTurnMarks(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i, id := range []string{"o#3", "o#1", "o#2"} {
		p := storage.PendingTurn{Turn: id, OpenID: "o", At: t0.Add(time.Duration([]int{3, 1, 2}[i]) * time.Second)}
		if err := st.MarkPending(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkPending(ctx, p); err != nil { // again: harmless
			t.Fatal(err)
		}
	}
	if err := st.ClearPending(ctx, "o#2"); err != nil {
		t.Fatal(err)
	}
	ps, err := st.PendingTurns(ctx)
	if err != nil || len(ps) != 2 || ps[0].Turn != "o#1" || ps[1].Turn != "o#3" {
		t.Fatalf("pending: %+v %v", ps, err)
	}
}
