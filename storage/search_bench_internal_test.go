package storage

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkSearchYear builds the search index of a seeded year (a data folder from
// loadtest.SeededFolder, named by COMPLAINTBOT_SEARCH_BENCH_DIR; its database file is only read)
// and measures searches on it: a common word, a rare phone number, a phone number's tail, a case
// number, two words, a word no one wrote. The index is written to a temporary folder.
//
//	COMPLAINTBOT_SEARCH_BENCH_DIR=/tmp/complaintbot-seed-… go test ./storage -run '^$' -bench SearchYear -benchtime 20x
func BenchmarkSearchYear(b *testing.B) {
	src := os.Getenv("COMPLAINTBOT_SEARCH_BENCH_DIR")
	if src == "" {
		b.Skip("COMPLAINTBOT_SEARCH_BENCH_DIR names no seeded data folder")
	}
	work := b.TempDir()
	if err := os.Symlink(filepath.Join(src, "db"), filepath.Join(work, "db")); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s := &Store{opts: Options{DataDir: work, Database: "complaintbot"}, embedded: &embeddedServer{}, log: slog.New(slog.DiscardHandler)}
	t0 := time.Now()
	n, err := s.IndexSearch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(t0)
	fi, _ := os.Stat(filepath.Join(work, SearchIndexFile))
	idx, _ := s.openSearchIndex(ctx)
	var rows int
	_ = idx.QueryRow(`SELECT count(*) FROM hits`).Scan(&rows)
	idx.Close()
	b.Logf("indexed %d documents (%d lines kept) in %v (%.0f/s); index file %.0f MB", n, rows, took.Round(time.Second), float64(n)/took.Seconds(), float64(fi.Size())/(1<<20))
	number := "TS"
	if data, err := os.ReadFile(filepath.Join(src, "sample_cases")); err == nil {
		number = strings.Fields(string(data))[len(strings.Fields(string(data)))/2]
	}
	for _, q := range []struct{ name, q string }{
		{"common-word", "吞卡"}, {"phone", "13800012345"}, {"phone-tail", "2345"}, {"case-number", number},
		{"two-words", "态度 窗口"}, {"nowhere", "保安"},
	} {
		b.Run(q.name, func(b *testing.B) {
			var hits int
			for b.Loop() {
				r, err := s.SearchLines(ctx, q.q, 500, 0)
				if err != nil {
					b.Fatal(err)
				}
				hits = len(r.Hits)
			}
			b.ReportMetric(float64(hits), "hits")
		})
	}
	// Catching up: what a search pays when a minute's lines arrived since the job ran.
	b.Run("nothing-new", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.indexSearch(ctx, time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
}
