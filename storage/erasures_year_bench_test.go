package storage_test

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkEraseYear times one erasure on request on a copy of a seeded year (100,000 cases,
// 1.1 M turns) named by COMPLAINTBOT_ERASE_YEAR_DIR (a COPY: the benchmark writes to it): the
// customer of a sample case erased whole, an agent case's phone looked up, one case anonymised.
// Without the variable it is skipped.
func BenchmarkEraseYear(b *testing.B) {
	dir := os.Getenv("COMPLAINTBOT_ERASE_YEAR_DIR")
	if dir == "" {
		b.Skip("COMPLAINTBOT_ERASE_YEAR_DIR names no copy of a seeded year")
	}
	ctx := context.Background()
	t0 := time.Now()
	st, err := storage.Open(ctx, storage.Options{DataDir: dir, Database: "complaintbot", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	b.Logf("open: %s", time.Since(t0))
	f, err := os.Open(filepath.Join(dir, "sample_cases"))
	if err != nil {
		b.Fatal(err)
	}
	var numbers []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		numbers = append(numbers, sc.Text())
	}
	f.Close()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N && i < len(numbers); i++ {
		n := numbers[i]
		t1 := time.Now()
		c, err := st.CaseForErasure(ctx, n)
		if err != nil {
			b.Fatal(err)
		}
		var phone struct {
			Fields map[string]string `bson:"fields"`
		}
		_ = st.Collection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: n}}).Decode(&phone)
		t2 := time.Now()
		pc, err := st.CasesWithPhone(ctx, phone.Fields["phone"])
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		var ids []string
		if c.OpenID != "" {
			ids = []string{c.OpenID}
		}
		e, err := st.EraseRequested(ctx, ids, append(pc.Numbers, n), now)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("case %s: lookup %s, phone scan %s (%d cases), erase %s (%d records: %v)", n, t2.Sub(t1), t3.Sub(t2), len(pc.Numbers), time.Since(t3), e.Total(), e)
	}
}
