package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// searchTurn writes the customer's message as the service does (one turn).
func searchTurn(t *testing.T, st *storage.Store, openID string, v int64, session int, at time.Time, text string, cases ...string) {
	t.Helper()
	tr := &complaintbot.Turn{OpenID: openID, Version: v, At: at, In: complaintbot.Input{Type: complaintbot.InputText, Text: text, At: at},
		Replies: []string{"收到，保安的情况我们记下了"}, State: complaintbot.ConversationState{Session: session, LastActive: at}}
	for _, n := range cases {
		tr.Effects = append(tr.Effects, complaintbot.TurnEffect{Effect: complaintbot.Effect{Type: complaintbot.EffectCreateCase, CaseNumber: n}})
	}
	if err := st.AppendTurn(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
}

func hitLines(r storage.SearchResult) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, h.Line)
	}
	return out
}

// An agent finds the lines customers and agents wrote by any two or more of their letters or
// digits — a Chinese word of two characters, the tail of a phone number written with dashes, a
// case number, traditional or full-width writing — newest first, and never the bot's own replies.
func TestSearchFindsWhatCustomersAndAgentsWrote(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	searchTurn(t, st, "oSearchCust000000000000001", 1, 1, at, "城西支行的保安也很凶")
	searchTurn(t, st, "oSearchCust000000000000001", 2, 1, at.Add(time.Minute), "电话 138-1234-5678", "TS20261102-0007")
	searchTurn(t, st, "oSearchCust000000000000002", 1, 1, at.Add(2*time.Minute), "櫃員態度很差")
	if err := st.AppendLine(ctx, storage.Line{ID: "reply:1", OpenID: "oSearchCust000000000000002", Dir: storage.Outbound, Type: complaintbot.InputText,
		Text: "我们会联系保安队长", At: at.Add(3 * time.Minute), By: "alice"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"保安", []string{"reply:1", storage.TurnID("oSearchCust000000000000001", 1)}},
		{"5678", []string{storage.TurnID("oSearchCust000000000000001", 2)}},
		{"12345678", []string{storage.TurnID("oSearchCust000000000000001", 2)}},
		{"ts20261102-0007", []string{storage.TurnID("oSearchCust000000000000001", 2)}},
		{"柜员", []string{storage.TurnID("oSearchCust000000000000002", 1)}},
		{"保安 队长", []string{"reply:1"}},
		{"５６７８", []string{storage.TurnID("oSearchCust000000000000001", 2)}},
		{"记下", nil}, // only in the bot's replies
	} {
		r, err := st.SearchLines(ctx, c.q, 50, time.Minute)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		if got := hitLines(r); !slices.Equal(got, c.want) || r.Behind {
			t.Errorf("%q: hits %v (behind %v), want %v", c.q, got, r.Behind, c.want)
		}
	}
	r, _ := st.SearchLines(ctx, "5678", 50, time.Minute)
	if h := r.Hits[0]; h.OpenID != "oSearchCust000000000000001" || h.Session != 1 || h.Dir != storage.Inbound || !slices.Equal(h.Cases, []string{"TS20261102-0007"}) ||
		!h.At.Equal(at.Add(time.Minute)) {
		t.Errorf("hit %+v", h)
	}
	for _, q := range []string{"", "  ", "保", "a 保安", "，，"} {
		if _, err := st.SearchLines(ctx, q, 50, time.Minute); !errors.Is(err, storage.ErrSearchTooShort) {
			t.Errorf("%q: %v, want too short", q, err)
		}
	}
	if _, err := st.SearchLines(ctx, "aa bb cc dd ee ff", 50, time.Minute); !errors.Is(err, storage.ErrSearchTooLong) {
		t.Errorf("six words: %v, want too long", err)
	}
}

// The index follows what is written after it was read, and a deleted index file is built again
// from the start: the customer's write never depends on it.
func TestSearchIndexFollowsNewLinesAndRebuilds(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	note := func(key, text string) {
		t.Helper()
		if err := st.AppendLine(ctx, storage.Line{ID: key, OpenID: "oSearchCust000000000000003", Dir: storage.Note, Type: complaintbot.InputText,
			Text: text, At: at.Add(2 * time.Minute), By: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	searchTurn(t, st, "oSearchCust000000000000003", 1, 1, at, "第一条留言 保安")
	note("note:1", "客户提到保安")
	if n, err := st.IndexSearch(ctx); err != nil || n != 2 {
		t.Fatalf("index: %d %v", n, err)
	}
	searchTurn(t, st, "oSearchCust000000000000003", 2, 1, at.Add(time.Minute), "第二条留言 保安")
	note("note:2", "又提到保安")
	// Without catching up, the search answers from what is indexed.
	r, err := st.SearchLines(ctx, "保安", 50, 0)
	if err != nil || len(r.Hits) != 2 {
		t.Fatalf("before indexing: %v %v", hitLines(r), err)
	}
	if n, err := st.IndexSearch(ctx); err != nil || n != 2 {
		t.Fatalf("index again: %d %v", n, err)
	}
	if n, err := st.IndexSearch(ctx); err != nil || n != 0 {
		t.Fatalf("nothing new: %d %v", n, err)
	}
	if r, err = st.SearchLines(ctx, "保安", 50, 0); err != nil || len(r.Hits) != 4 {
		t.Fatalf("after indexing: %v %v", hitLines(r), err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, storage.SearchIndexFile+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if r, err = st.SearchLines(ctx, "留言", 50, time.Minute); err != nil || len(r.Hits) != 2 {
		t.Fatalf("rebuilt: %v %v", hitLines(r), err)
	}
}

func TestSearchMatchShowsTheTextAsWritten(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, q, before, match, after string }{
		{"电话 138-1234-5678 谢谢", "12345678", "电话 138-", "1234-5678", " 谢谢"},
		{"城西支行的保安也很凶", "保安", "城西支行的", "保安", "也很凶"},
		{"櫃員態度很差", "柜员", "", "櫃員", "態度很差"},
	} {
		b, m, a, ok := storage.SearchMatch(c.text, c.q)
		if !ok || b != c.before || m != c.match || a != c.after {
			t.Errorf("%q in %q: %q|%q|%q %v", c.q, c.text, b, m, a, ok)
		}
	}
	if _, _, _, ok := storage.SearchMatch("没有", "保安"); ok {
		t.Error("matched text without the word")
	}
}

// A customer's data erased: the turn erased last (whose rowid the database gives to the next one)
// neither hides the next customer's message nor makes the index start again (on a year, minutes
// of work), and ForgetSearch takes the erased customer's lines out of the index.
func TestSearchForgetsErasedCustomers(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	searchTurn(t, st, "oSearchCust000000000000004", 1, 1, at, "旧的留言 保安")
	searchTurn(t, st, "oSearchCust000000000000005", 1, 1, at.Add(time.Minute), "要删除的留言 保安")
	if _, err := st.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection("turns").DeleteOne(ctx, map[string]string{"_id": storage.TurnID("oSearchCust000000000000005", 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IndexSearch(ctx); err != nil {
		t.Fatal(err)
	}
	searchTurn(t, st, "oSearchCust000000000000006", 1, 1, at.Add(2*time.Minute), "新的留言 保安")
	search := func() []string {
		t.Helper()
		r, err := st.SearchLines(ctx, "保安", 50, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return hitLines(r)
	}
	erased, kept, added := storage.TurnID("oSearchCust000000000000005", 1), storage.TurnID("oSearchCust000000000000004", 1), storage.TurnID("oSearchCust000000000000006", 1)
	// Still indexed: the index was not built again (which would have dropped it).
	if got, want := search(), []string{added, erased, kept}; !slices.Equal(got, want) {
		t.Fatalf("hits %v, want %v", got, want)
	}
	if n, err := st.ForgetSearch(ctx, []string{"oSearchCust000000000000005"}, time.Time{}); err != nil || n != 1 {
		t.Fatalf("forget: %d %v", n, err)
	}
	if got, want := search(), []string{added, kept}; !slices.Equal(got, want) {
		t.Fatalf("after forgetting: hits %v, want %v", got, want)
	}
}
