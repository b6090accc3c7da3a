package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, complaintbot.Shanghai)

func TestAppendTurnDedupeAndVersionConflict(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	first := &complaintbot.Turn{OpenID: "oA", Version: 1, Dedupe: "m:1", At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好"}, Replies: []string{"欢迎"}}
	if err := st.AppendTurn(ctx, first); err != nil {
		t.Fatal(err)
	}
	// The same WeChat message again: a duplicate that names the first answer.
	retry := &complaintbot.Turn{OpenID: "oA", Version: 2, Dedupe: "m:1", At: t0}
	var dup *storage.DuplicateError
	if err := st.AppendTurn(ctx, retry); !errors.As(err, &dup) || dup.Existing.Replies[0] != "欢迎" {
		t.Fatalf("retry: got %v, want a duplicate carrying the first reply", err)
	}
	// Another message at a version someone else wrote: a conflict.
	other := &complaintbot.Turn{OpenID: "oA", Version: 1, Dedupe: "m:2", At: t0}
	if err := st.AppendTurn(ctx, other); !errors.Is(err, storage.ErrVersionConflict) {
		t.Fatalf("same version: got %v, want ErrVersionConflict", err)
	}
	latest, err := st.LatestTurn(ctx, "oA")
	if err != nil || latest.Version != 1 {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	if _, err := st.LatestTurn(ctx, "nobody"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown customer: %v", err)
	}
}

func TestConcurrentDuplicatesStoreOneTurn(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, dups := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oB", Version: 1, Dedupe: "m:42", At: t0, Replies: []string{fmt.Sprint(i)}})
			mu.Lock()
			defer mu.Unlock()
			var d *storage.DuplicateError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &d):
				dups++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || dups != 7 {
		t.Fatalf("wins=%d dups=%d, want 1 and 7", wins, dups)
	}
}

func TestCaseNumbersAreUniqueAndDaily(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := st.NextCaseNumber(ctx, "TS", "20261128", fmt.Sprint("turn", i))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[n] {
				t.Errorf("number %s handed out twice", n)
			}
			seen[n] = true
		}()
	}
	wg.Wait()
	if !seen["TS20261128-0001"] || !seen["TS20261128-0020"] {
		t.Fatalf("numbers: %v", seen)
	}
	n, err := st.NextCaseNumber(ctx, "TS", "20261129", "t")
	if err != nil || n != "TS20261129-0001" {
		t.Fatalf("next day: %s %v", n, err)
	}
}

func TestCaseNumbersContinueAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	for i := range 3 {
		if _, err := st.NextCaseNumber(ctx, "JY", "20261128", fmt.Sprint("t", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The same turn asking again (a retry) gets its own number back, not a new one.
	if n, err := st.NextCaseNumber(ctx, "JY", "20261128", "t1"); err != nil || n != "JY20261128-0002" {
		t.Fatalf("same turn again: %s %v", n, err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	n, err := st.NextCaseNumber(ctx, "JY", "20261128", "t9")
	if err != nil || n != "JY20261128-0004" {
		t.Fatalf("after restart: %s %v", n, err)
	}
}

func TestDataDirIsLockedToOneProcess(t *testing.T) {
	dir := t.TempDir()
	storagetest.OpenDir(t, dir)
	_, err := storage.Open(context.Background(), storage.Options{DataDir: dir, Database: "x"})
	if !errors.Is(err, storage.ErrDataDirLocked) {
		t.Fatalf("second open: %v, want ErrDataDirLocked", err)
	}
}

func TestCasesOfShowsOnlyTheCustomersOwn(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i, who := range []string{"oA", "oB", "oA"} {
		c := &complaintbot.Case{Number: fmt.Sprintf("TS20261128-%04d", i+1), Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived,
			OpenID: who, Received: t0.Add(time.Duration(i) * time.Hour), SourceTurn: fmt.Sprint("t", i)}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// Re-applying the same registration is harmless.
	if err := st.InsertCase(ctx, &complaintbot.Case{Number: "TS20261128-0001", OpenID: "oA", SourceTurn: "t0"}); err != nil {
		t.Fatal(err)
	}
	// Each customer's newest turn carries their case numbers, as the conversation service writes it.
	for v, tn := range []struct {
		who   string
		cases []string
	}{{"oA", []string{"TS20261128-0001"}}, {"oB", []string{"TS20261128-0002"}}, {"oA", []string{"TS20261128-0001", "TS20261128-0003"}}} {
		if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: tn.who, Version: int64(v/2 + 1), Dedupe: fmt.Sprint("m:c", v), At: t0, Cases: tn.cases,
			In: complaintbot.Input{Type: complaintbot.InputText, Text: "确认"}}); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := st.CasesOf(ctx, "oA", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Number != "TS20261128-0003" || cs[1].Number != "TS20261128-0001" {
		t.Fatalf("cases of oA: %+v", cs)
	}
}

func TestAddToCaseOncePerTurn(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	c := &complaintbot.Case{Number: "TS20261128-0001", OpenID: "oA", SourceTurn: "t", Received: t0}
	if err := st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	ev := []complaintbot.Evidence{{MediaID: "m1", Type: "image", At: t0}}
	for range 2 {
		if err := st.AddToCase(ctx, c.Number, "oA", "oA#2", "又等了一小时", ev, t0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Case(ctx, c.Number)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Evidence) != 1 {
		t.Fatalf("evidence added %d times, want once", len(got.Evidence))
	}
	// Another customer cannot add to it.
	if err := st.AddToCase(ctx, c.Number, "oB", "oB#1", "x", ev, t0); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Case(ctx, c.Number)
	if len(got.Evidence) != 1 {
		t.Fatal("another customer added evidence")
	}
}

func TestOutboxEnqueueClaimOutcome(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	m := &complaintbot.OutboxMessage{ID: "late:oA#1", OpenID: "oA", Text: "您好", Purpose: "reply", Created: t0}
	if ok, err := st.Enqueue(ctx, m); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: "late:oA#1", OpenID: "oA", Text: "again", Created: t0}); ok || err != nil {
		t.Fatal("second enqueue of one key must be a no-op", ok, err)
	}
	due, err := st.DueOutbox(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].Text != "您好" {
		t.Fatalf("due: %+v %v", due, err)
	}
	if ok, _ := st.ClaimAttempt(ctx, m.ID, 1, "a", t0); !ok {
		t.Fatal("first claim lost")
	}
	if ok, _ := st.ClaimAttempt(ctx, m.ID, 1, "b", t0); ok {
		t.Fatal("second claim of the same attempt won")
	}
	if err := st.RecordOutcome(ctx, m.ID, 1, storage.OutboxOutcome{Status: complaintbot.OutboxPending, NextAt: t0.Add(time.Minute), Error: "busy"}); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.DueOutbox(ctx, t0, 10); len(due) != 0 {
		t.Fatal("message due before its backoff")
	}
	if due, _ := st.DueOutbox(ctx, t0.Add(time.Minute), 10); len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("after backoff: %+v", due)
	}
}

func TestTokenStore(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	if tok, _, err := st.LoadToken(ctx, "wx1"); tok != "" || err != nil {
		t.Fatal(tok, err)
	}
	exp := t0.Add(time.Hour).UTC()
	if err := st.SaveToken(ctx, "wx1", "T1", exp); err != nil {
		t.Fatal(err)
	}
	tok, gotExp, err := st.LoadToken(ctx, "wx1")
	if tok != "T1" || !gotExp.Equal(exp) || err != nil {
		t.Fatal(tok, gotExp, err)
	}
	_ = st.DropToken(ctx, "wx1", "OTHER")
	if tok, _, _ := st.LoadToken(ctx, "wx1"); tok != "T1" {
		t.Fatal("dropped a token that was not the failed one")
	}
	_ = st.DropToken(ctx, "wx1", "T1")
	if tok, _, _ := st.LoadToken(ctx, "wx1"); tok != "" {
		t.Fatal("token not dropped")
	}
}

func TestTranscriptMergesTurnsAndLines(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	_ = st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oA", Version: 1, Dedupe: "m:1", At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: "人工"}, Replies: []string{"正在为您转接"}})
	_ = st.AppendLine(ctx, storage.Line{ID: "agent1", OpenID: "oA", Dir: storage.Outbound, Type: complaintbot.InputText, Text: "您好，我是客服小王", At: t0.Add(time.Minute), By: "wang"})
	_ = st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oA", Version: 2, Dedupe: "m:2", At: t0.Add(2 * time.Minute), In: complaintbot.Input{Type: complaintbot.InputText, Text: "谢谢"}})
	lines, err := st.Transcript(ctx, "oA", 50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, string(l.Dir)+":"+l.Text)
	}
	want := []string{"in:人工", "out:正在为您转接", "out:您好，我是客服小王", "in:谢谢"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("transcript %v, want %v", got, want)
	}
}

func TestMessagingWindow(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	if w, err := st.MessagingWindow(ctx, "oW", t0); err != nil || w.Open() {
		t.Fatalf("a customer who never wrote: %+v %v", w, err)
	}
	_ = st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oW", Version: 1, Dedupe: "m:w1", At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: "hi"}})
	// An agent's control turn later does not reopen the window.
	_ = st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oW", Version: 2, At: t0.Add(47 * time.Hour), In: complaintbot.Input{Type: complaintbot.InputControl}})
	w, err := st.MessagingWindow(ctx, "oW", t0.Add(time.Hour))
	if err != nil || w.Remaining != 5 || !w.LastInbound.Equal(t0) {
		t.Fatalf("fresh window: %+v %v", w, err)
	}
	for i := range 5 {
		id := fmt.Sprint("n", i)
		_, _ = st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: id, OpenID: "oW", Text: "x", Created: t0})
		_ = st.RecordOutcome(ctx, id, 1, storage.OutboxOutcome{Status: complaintbot.OutboxSent, Channel: "custom", At: t0.Add(time.Minute), OpenID: "oW"})
	}
	if w, _ := st.MessagingWindow(ctx, "oW", t0.Add(time.Hour)); w.Open() || w.Sent != 5 {
		t.Fatalf("allowance used up: %+v", w)
	}
	if w, _ := st.MessagingWindow(ctx, "oW", t0.Add(49*time.Hour)); w.Open() {
		t.Fatalf("48 hours later: %+v", w)
	}
}

func TestCaseSummariesByNumber(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i, n := range []string{"TS20261128-0001", "TS20261128-0002"} {
		_ = st.InsertCase(ctx, &complaintbot.Case{Number: n, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oS", SourceTurn: fmt.Sprint("t", i)})
	}
	got, err := st.CaseSummaries(ctx, []string{"TS20261128-0001", "TS20261128-0009", "TS20261128-0002"}, 10)
	if err != nil || len(got) != 2 || got[0].Number != "TS20261128-0002" || got[1].Status != complaintbot.StatusReceived {
		t.Fatalf("%+v %v", got, err)
	}
	if got, _ := st.CaseSummaries(ctx, []string{"TS20261128-0001", "TS20261128-0002"}, 1); len(got) != 1 {
		t.Fatal("limit ignored")
	}
}

func TestLatestTurnFindsEveryVersion(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for v := int64(1); v <= 37; v++ {
		if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oL", Version: v, At: t0, In: complaintbot.Input{Type: complaintbot.InputText, Text: fmt.Sprint(v)}}); err != nil {
			t.Fatal(err)
		}
		got, err := st.LatestTurn(ctx, "oL")
		if err != nil || got.Version != v {
			t.Fatalf("after %d turns: %v %v", v, got, err)
		}
	}
	lines, err := st.Transcript(ctx, "oL", 5)
	if err != nil || len(lines) != 5 || lines[0].Text != "33" || lines[4].Text != "37" {
		t.Fatalf("the newest five lines: %+v %v", lines, err)
	}
}

// Many customers writing at once: their turns are grouped into shared inserts, and every one of
// them is stored, in order, with its own outcome.
func TestConcurrentTurnsAreAllStored(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	const customers, turns = 32, 10
	var wg sync.WaitGroup
	for c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			openID := fmt.Sprintf("oMany%03d", c)
			for v := int64(1); v <= turns; v++ {
				if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: openID, Version: v, Dedupe: fmt.Sprintf("m:%s:%d", openID, v), At: t0}); err != nil {
					t.Errorf("%s v%d: %v", openID, v, err)
					return
				}
			}
			// A retry of an earlier message in the middle of the traffic is still recognised.
			var dup *storage.DuplicateError
			err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: openID, Version: turns + 1, Dedupe: fmt.Sprintf("m:%s:%d", openID, 3), At: t0})
			if !errors.As(err, &dup) || dup.Existing.Version != 3 {
				t.Errorf("%s: retry of message 3: %v", openID, err)
			}
		}()
	}
	wg.Wait()
	for c := range customers {
		latest, err := st.LatestTurn(ctx, fmt.Sprintf("oMany%03d", c))
		if err != nil || latest.Version != turns {
			t.Fatalf("customer %d: latest %+v %v, want version %d", c, latest, err, turns)
		}
	}
}
