package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// openBench opens the embedded store in dir, its log in the returned buffer.
func openBench(dir string) (*storage.Store, *logBuffer, error) {
	logs := &logBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	st, err := storage.Open(ctx, storage.Options{DataDir: dir, Database: "complaintbot_test",
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return st, logs, err
}

// BenchmarkStartCheck measures the start-up checks of the embedded database at a given size:
//
//	COMPLAINTBOT_BENCH_DB_MB=1024 COMPLAINTBOT_BENCH_DIR=/var/tmp/cbbench \
//	  go test ./storage -run XXX -bench StartCheck -benchtime 1x
//
// It fills a data folder with turn-sized documents up to the size (once: a folder already there
// is reused), then reports the start after a clean stop (quick checks only), and the start that
// checks every page (after a crash or an outside change) with the file in the page cache and
// without.
func BenchmarkStartCheck(b *testing.B) {
	mb, _ := strconv.Atoi(os.Getenv("COMPLAINTBOT_BENCH_DB_MB"))
	dir := os.Getenv("COMPLAINTBOT_BENCH_DIR")
	if mb == 0 || dir == "" {
		b.Skip("set COMPLAINTBOT_BENCH_DB_MB and COMPLAINTBOT_BENCH_DIR")
	}
	ctx := context.Background()
	file := filepath.Join(dir, "db", "complaintbot_test.sqlite")
	if fi, err := os.Stat(file); err != nil || fi.Size() < int64(mb)<<20*9/10 {
		start := time.Now()
		st, _, err := openBench(dir)
		if err != nil {
			b.Fatal(err)
		}
		pad := strings.Repeat("我要投诉网点服务态度", 40)
		docs := make([]any, 1000)
		for n := 0; ; n++ {
			if n%20 == 0 {
				if fi, err := os.Stat(file); err == nil && fi.Size() >= int64(mb)<<20 {
					break
				}
			}
			for i := range docs {
				docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("o%07d#%d", n, i)}, {Key: "dedupe", Value: fmt.Sprintf("m:%d:%d", n, i)},
					{Key: "openid", Value: fmt.Sprintf("o%07d", n)}, {Key: "version", Value: i}, {Key: "text", Value: pad}}
			}
			if _, err := st.Collection("turns").InsertMany(ctx, docs); err != nil {
				b.Fatal(err)
			}
			if _, err := st.CheckpointWAL(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %s in %s", file, time.Since(start).Round(time.Second))
	}
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("database file: %d MB", fi.Size()>>20)
	open := func(what string, prepare func()) {
		prepare()
		start := time.Now()
		st, _, err := openBench(dir)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if err := st.Close(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(took.Seconds(), what+"_s")
		b.Logf("%s: start took %s", what, took.Round(time.Millisecond))
	}
	dropCache := func() {
		if out, err := exec.Command("dd", "if="+file, "iflag=nocache", "count=0").CombinedOutput(); err != nil {
			b.Fatalf("drop %s from the page cache: %v %s", file, err, out)
		}
	}
	touch := func() {
		now := time.Now()
		if err := os.Chtimes(file, now, now); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		open("clean_cold", dropCache)
		open("full_cold", func() { touch(); dropCache() })
		open("full_warm", touch)
	}
}
