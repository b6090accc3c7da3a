package storage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// A signed pair is new once; the same pair again with the same body is WeChat repeating itself,
// with another body a replayed signature. The answer is the same from a second store on the same
// database (another instance).
func TestRecordCallbackTellsRepeatsFromReplays(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	ts := time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai).Unix()
	check := func(nonce, hash string, want storage.CallbackSeen) {
		t.Helper()
		got, err := st.RecordCallback(ctx, ts, nonce, hash)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("pair (%d, %s) body %s: %v, want %v", ts, nonce, hash, got, want)
		}
	}
	check("111", "aaaa", storage.CallbackNew)
	check("111", "aaaa", storage.CallbackRepeated)
	check("111", "bbbb", storage.CallbackReused)
	check("111", "aaaa", storage.CallbackRepeated) // the refused body left nothing behind
	check("222", "bbbb", storage.CallbackNew)
	ts++
	check("111", "bbbb", storage.CallbackNew) // another second, another pair

	// Many copies at once of one new pair: exactly one is new.
	var news atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := st.RecordCallback(ctx, ts, "333", "cccc")
			if err != nil {
				t.Error(err)
			}
			if got == storage.CallbackNew {
				news.Add(1)
			}
		}()
	}
	wg.Wait()
	if news.Load() != 1 {
		t.Fatalf("8 copies of a new pair: %d counted new", news.Load())
	}
}

// Maintenance makes the hours ready that may be used before it runs again (up to an hour and the
// skew ahead) and drops hours whose pairs are too old to
// be accepted, without touching the ones still in the window.
func TestMaintainCallbacksDropsOnlyDeadHours(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	skew := 5 * time.Minute
	now := time.Date(2026, 11, 27, 10, 58, 0, 0, time.UTC)
	if _, err := st.MaintainCallbacks(ctx, now, skew, true); err != nil {
		t.Fatal(err)
	}
	got, _ := st.CallbackBuckets(ctx)
	want := []string{"webhook_nonces_2026112710", "webhook_nonces_2026112711", "webhook_nonces_2026112712"}
	if !slices.Equal(got, want) {
		t.Fatalf("after maintenance at 10:58: %v, want %v", got, want)
	}
	// A pair of 10:59 is remembered through the hour change.
	if _, err := st.RecordCallback(ctx, now.Add(time.Minute).Unix(), "1", "h"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7 * time.Minute) // 11:05: 10:59 + 5 min skew is past, but the margin keeps it
	if n, err := st.MaintainCallbacks(ctx, now, skew, true); err != nil || n != 0 {
		t.Fatalf("at 11:05: dropped %d, %v", n, err)
	}
	if seen, _ := st.RecordCallback(ctx, time.Date(2026, 11, 27, 10, 59, 0, 0, time.UTC).Unix(), "1", "other"); seen != storage.CallbackReused {
		t.Fatalf("a pair of 10:59 at 11:05: %v", seen)
	}
	now = time.Date(2026, 11, 27, 13, 30, 0, 0, time.UTC)
	n, err := st.MaintainCallbacks(ctx, now, skew, true)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = st.CallbackBuckets(ctx)
	want = []string{"webhook_nonces_2026112713", "webhook_nonces_2026112714"}
	if n != 3 || !slices.Equal(got, want) {
		t.Fatalf("at 13:30: dropped %d, left %v, want %v", n, got, want)
	}
	// Twice in a row (or on two instances) changes nothing.
	if n, err := st.MaintainCallbacks(ctx, now, skew, true); err != nil || n != 0 {
		t.Fatalf("second run: dropped %d, %v", n, err)
	}
	// Without preparing (no plaintext callbacks any more), it only drops.
	now = now.Add(3 * time.Hour)
	if n, err := st.MaintainCallbacks(ctx, now, skew, false); err != nil || n != 2 {
		t.Fatalf("dropping only: dropped %d, %v", n, err)
	}
	if got, _ := st.CallbackBuckets(ctx); len(got) != 0 {
		t.Fatalf("dropping only left %v", got)
	}
}

// BenchmarkRecordCallback measures the replay record a plaintext message costs: one insert on
// the store's connection, from 1 and 10 goroutines at once.
func BenchmarkRecordCallback(b *testing.B) {
	for _, par := range []int{1, 10} {
		b.Run(fmt.Sprintf("goroutines=%d", par), func(b *testing.B) {
			st := storagetest.Open(b)
			ctx := context.Background()
			now := time.Now()
			if _, err := st.MaintainCallbacks(ctx, now, 5*time.Minute, true); err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / par
			for g := range par {
				n := per
				if g == 0 {
					n += b.N % par
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range n {
						if _, err := st.RecordCallback(ctx, now.Unix(), fmt.Sprint(seq.Add(1)), "0123456789abcdef0123456789abcdef"); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
