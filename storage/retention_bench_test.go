package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
)

// BenchmarkEraseCustomers plants customers (300; 60 with -short), each with 4 turns, a closed case
// with survey, follow-up, outbox messages, a picture and audit entries, then erases 20 of them one
// at a time (an erasure on request: ms/one) and the rest in batches of 100 (the retention job:
// ms/customer-in-batch). Run with -benchtime 1x.
func BenchmarkEraseCustomers(b *testing.B) {
	ctx := context.Background()
	customers := 300
	if testing.Short() {
		customers = 60
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := storage.Open(ctx, storage.Options{DataDir: b.TempDir(), Database: "retention_bench", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		at := time.Date(2022, 3, 1, 2, 0, 0, 0, time.UTC)
		ids := make([]string, customers)
		for i := range ids {
			p := personFor(1)
			p.openID = fmt.Sprintf("oBench_Customer_%014d", i)
			p.media = fmt.Sprintf("sim-media-bench-%d", i)
			ids[i] = p.openID
			plantCustomer(b, st, p, fmt.Sprintf("TS20220301-%04d", i+1), at)
		}
		now := at.AddDate(4, 0, 0)
		b.StartTimer()
		start := time.Now()
		for _, id := range ids[:20] {
			if _, err := st.EraseCustomers(ctx, []string{id}, now); err != nil {
				b.Fatal(err)
			}
		}
		one := time.Since(start)
		start = time.Now()
		for from := 20; from < len(ids); from += 100 {
			if _, err := st.EraseCustomers(ctx, ids[from:min(from+100, len(ids))], now); err != nil {
				b.Fatal(err)
			}
		}
		batch := time.Since(start)
		b.ReportMetric(float64(one.Milliseconds())/20, "ms/one")
		b.ReportMetric(float64(batch.Milliseconds())/float64(len(ids)-20), "ms/customer-in-batch")
		b.StopTimer()
		st.Close(ctx)
	}
}
