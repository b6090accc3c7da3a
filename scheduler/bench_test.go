package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkSurveyRun100k seeds 100,000 resolved cases whose surveys are due (the cases, and the
// survey entries the notices job writes when it sees a case resolved), then times one run of the
// surveys job, which asks them all (survey documents, open-survey records, outbox messages,
// reminder and expiry entries), and a second run right after, which must ask nothing. It reports
// the peak Go heap in use during the first run (sampled every 10 ms; the embedded database runs in
// this process, so its Go memory counts) and the process's peak resident size during that run
// (VmHWM, reset before it; it includes SQLite's own memory, which is not Go heap).
//
//	go test ./scheduler -run '^$' -bench SurveyRun100k -benchtime 1x
//
// COMPLAINTBOT_BENCH_CASES changes the number of cases; COMPLAINTBOT_TEST_MONGODB_URI runs it
// against MongoDB instead of the embedded server.
func BenchmarkSurveyRun100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("COMPLAINTBOT_BENCH_CASES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		st := storagetest.Open(b)
		clock := complaintbot.NewManualClock(t0)
		x := newScheduler(b, st, clock, "bench", testConfig())
		seedDueSurveys(b, st, n, t0)
		runtime.GC()
		resetHWM()
		peak := sampleHeap()
		b.StartTimer()
		start := time.Now()
		r, err := x.RunOnce(ctx, scheduler.JobSurveys)
		took := time.Since(start)
		b.StopTimer()
		heap := peak()
		hwm := vmHWM()
		if err != nil || !r.Ran {
			b.Fatalf("run: %+v %v", r, err)
		}
		asked, _ := st.Collection("outbox").CountDocuments(ctx, bson.D{})
		surveys, _ := st.Collection("surveys").CountDocuments(ctx, bson.D{})
		if asked != int64(n) || surveys != int64(n) {
			b.Fatalf("asked %d, surveys %d, want %d", asked, surveys, n)
		}
		clock.Advance(time.Minute)
		start = time.Now()
		r2, err := x.RunOnce(ctx, scheduler.JobSurveys)
		took2 := time.Since(start)
		again, _ := st.Collection("outbox").CountDocuments(ctx, bson.D{})
		if err != nil || again != asked {
			b.Fatalf("second run: %+v %v, outbox %d → %d", r2, err, asked, again)
		}
		b.ReportMetric(float64(n), "surveys/run")
		b.ReportMetric(took.Seconds(), "s/first-run")
		b.ReportMetric(took2.Seconds(), "s/second-run")
		b.ReportMetric(float64(heap)/(1<<20), "MB-peak-heap")
		b.ReportMetric(float64(hwm)/(1<<10), "MB-VmHWM")
	}
}

// seedDueSurveys stores n cases resolved two to three hours before now with their survey entries
// due, as the notices job leaves them, in batches.
func seedDueSurveys(tb testing.TB, st *storage.Store, n int, now time.Time) {
	tb.Helper()
	ctx := context.Background()
	const batch = 1000
	for i := 0; i < n; i += batch {
		var cases []any
		var due []storage.DueEntry
		for j := i; j < min(i+batch, n); j++ {
			number := fmt.Sprintf("TS20261127-%06d", j)
			openID := fmt.Sprintf("oBench%022d", j)
			resolved := now.Add(-3*time.Hour + time.Duration(j%3600)*time.Second)
			c := complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusResolved, OpenID: openID,
				Channel: "wechat", Category: &complaintbot.Category{Code: "attitude", Name: "服务态度"}, Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"},
				Fields: map[string]string{"description": "柜员态度很差，让我等了一个小时", "phone": "13812345678"}, Received: resolved.Add(-72 * time.Hour),
				ReplyDue: resolved, DecisionDue: resolved.Add(240 * time.Hour), SourceTurn: "bench:" + number, Day: "2026-11-24", Month: "2026-11", Updated: resolved}
			cases = append(cases, c)
			seed := complaintbot.Survey{ID: number + "#1", Subject: complaintbot.SurveyOfCase, Case: number, Round: 1, OpenID: openID, Kind: "complaint",
				Branch: "0101", BranchName: "城东支行", Category: "attitude", CategoryName: "服务态度", By: "system"}
			due = append(due, storage.DueEntry{ID: "survey#" + seed.ID, Kind: storage.DueSurvey, At: resolved.Add(2 * time.Hour), Case: number, Survey: &seed})
		}
		if _, err := st.Collection("cases").InsertMany(ctx, cases); err != nil {
			tb.Fatal(err)
		}
		if err := st.InsertDue(ctx, due); err != nil {
			tb.Fatal(err)
		}
	}
}

// sampleHeap samples the Go heap in use until the returned function is called, which returns the
// highest value seen.
func sampleHeap() func() uint64 {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// resetHWM resets the process's peak resident set size (Linux 4.0 and later), so that vmHWM
// measures from here.
func resetHWM() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// vmHWM is the process's peak resident set size in KiB (Linux), 0 elsewhere.
func vmHWM() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			v, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return 0
}
