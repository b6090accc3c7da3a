package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CheckpointWAL brings the WAL back to nothing while a long read holds an old snapshot, once the
// read is over, and the data written meanwhile is all there.
func TestCheckpointWALTruncatesTheLog(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	if !st.Embedded() {
		if r, err := st.CheckpointWAL(context.Background()); err != nil || r != (storage.WALCheckpoint{}) {
			t.Fatalf("on MongoDB: %+v %v, want nothing done", r, err)
		}
		return
	}
	ctx := context.Background()
	wal := filepath.Join(dir, "db", "complaintbot_test.sqlite-wal")
	c := st.Collection("turns")
	for i := range 20 {
		docs := make([]any, 100)
		for j := range docs {
			docs[j] = turnDoc(i*100 + j)
		}
		if _, err := c.InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	// A long read on the scan connection: it holds its snapshot while writes go on.
	cur, err := st.ScanCollection("turns").Find(ctx, bson.D{{Key: "text", Value: bson.D{{Key: "$ne", Value: ""}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Next(ctx) {
		t.Fatal(cur.Err())
	}
	for i := range 20 {
		docs := make([]any, 100)
		for j := range docs {
			docs[j] = turnDoc(10000 + i*100 + j)
		}
		if _, err := c.InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	_ = cur.Close(ctx)
	fi, err := os.Stat(wal)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL to checkpoint (%v)", err)
	}
	r, err := st.CheckpointWAL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Busy || r.Before != fi.Size() || r.After != 0 {
		t.Fatalf("checkpoint: %+v, want the %d-byte WAL truncated", r, fi.Size())
	}
	if fi, err := os.Stat(wal); err == nil && fi.Size() != 0 {
		t.Fatalf("WAL still %d bytes", fi.Size())
	}
	if n, err := c.CountDocuments(ctx, bson.D{}); err != nil || n != 4000 {
		t.Fatalf("%d turns after the checkpoint (%v), want 4000", n, err)
	}
}

// BenchmarkWALUnderLoad measures the WAL file's size while 8 writers insert groups of 8 turns (as
// the turn writer does), in two phases of COMPLAINTBOT_BENCH_WAL_SECONDS (default 20) each:
//
//   - held: one reader works through a collection of 20,000 cases on the scan connection slowly, a
//     batch of 100 every 200 ms (as a scheduler job that writes between batches does), holding one
//     read snapshot throughout; two others read it whole, pausing 4 and 7 s between reads
//     (COMPLAINTBOT_BENCH_WAL_READ_PAUSE=15: 15 and 18 s);
//   - after: the slow reader is done, the two others go on.
//
// It runs without and with CheckpointWAL every 10 s (as the scheduler runs it), and reports the
// WAL's peak and its size at the end of each phase, and the writers' latency:
//
//	go test ./storage -run XXX -bench WALUnderLoad -benchtime 1x
func BenchmarkWALUnderLoad(b *testing.B) {
	secs, _ := strconv.Atoi(os.Getenv("COMPLAINTBOT_BENCH_WAL_SECONDS"))
	if secs == 0 {
		secs = 20
	}
	for _, every := range []time.Duration{0, 10 * time.Second} {
		name := "no-checkpoint"
		if every > 0 {
			name = "checkpoint-every-" + every.String()
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				walUnderLoad(b, time.Duration(secs)*time.Second, every)
			}
		})
	}
}

func walUnderLoad(b *testing.B, phase, every time.Duration) {
	pause := 4 * time.Second
	if s, err := strconv.Atoi(os.Getenv("COMPLAINTBOT_BENCH_WAL_READ_PAUSE")); err == nil {
		pause = time.Duration(s) * time.Second
	}
	dir := b.TempDir()
	st := storagetest.OpenDir(b, dir)
	if !st.Embedded() {
		b.Skip("the WAL is the embedded server's")
	}
	ctx := context.Background()
	pad := strings.Repeat("网点排队两个小时无人处理", 30)
	for i := range 20 {
		docs := make([]any, 1000)
		for j := range docs {
			docs[j] = bson.D{{Key: "_id", Value: fmt.Sprintf("TS20261201-%05d", i*1000+j)}, {Key: "description", Value: pad}}
		}
		if _, err := st.Collection("cases").InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.CheckpointWAL(ctx); err != nil {
		b.Fatal(err)
	}
	wal := filepath.Join(dir, "db", "complaintbot_test.sqlite-wal")
	walSize := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat []time.Duration
	var writes, scans, busy, checkpoints atomic.Int64
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := st.Collection("turns")
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				group := make([]any, 8)
				for j := range group {
					group[j] = bson.D{{Key: "_id", Value: fmt.Sprintf("o%d#%d#%d", w, i, j)}, {Key: "text", Value: pad}}
				}
				if _, err := c.InsertMany(ctx, group); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				writes.Add(int64(len(group)))
			}
		}()
	}
	all := bson.D{{Key: "description", Value: bson.D{{Key: "$ne", Value: ""}}}}
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(pause + time.Duration(3*r)*time.Second):
				}
				cur, err := st.ScanCollection("cases").Find(ctx, all)
				if err != nil {
					b.Error(err)
					return
				}
				for cur.Next(ctx) {
				}
				_ = cur.Close(ctx)
				scans.Add(1)
			}
		}()
	}
	slowDone := make(chan struct{})
	go func() { // the slow reader: one snapshot for the whole first phase
		defer close(slowDone)
		cur, err := st.ScanCollection("cases").Find(ctx, all, options.Find().SetBatchSize(100))
		if err != nil {
			b.Error(err)
			return
		}
		defer cur.Close(ctx)
		end := time.Now().Add(phase)
		for n := 0; time.Now().Before(end) && cur.Next(ctx); n++ {
			if n%100 == 99 {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	if every > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					r, err := st.CheckpointWAL(ctx)
					if err != nil {
						b.Error(err)
						return
					}
					checkpoints.Add(1)
					if r.Busy {
						busy.Add(1)
					}
				}
			}
		}()
	}
	var peak int64
	sample := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			time.Sleep(250 * time.Millisecond)
			peak = max(peak, walSize())
		}
	}
	sample(phase)
	<-slowDone
	held := walSize()
	sample(phase)
	close(stop)
	wg.Wait()
	after := walSize()
	db, _ := os.Stat(filepath.Join(dir, "db", "complaintbot_test.sqlite"))
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(float64(len(lat)-1)*q)] }
	b.ReportMetric(float64(peak)/(1<<20), "wal_peak_MB")
	b.ReportMetric(float64(held)/(1<<20), "wal_held_MB")
	b.ReportMetric(float64(after)/(1<<20), "wal_after_MB")
	b.ReportMetric(float64(db.Size())/(1<<20), "db_MB")
	b.ReportMetric(float64(writes.Load())/(2*phase).Seconds(), "turns/s")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "group_p99_ms")
	b.Logf("%s: WAL peak %d MB, %d MB at the end of the held phase, %d MB at the end; database %d MB; %d turns in groups of 8 (p50 %s, p99 %s, max %s), %d scans, %d checkpoints (%d busy)",
		b.Name(), peak>>20, held>>20, after>>20, db.Size()>>20, writes.Load(), p(0.5), p(0.99), lat[len(lat)-1], scans.Load(), checkpoints.Load(), busy.Load())
}
