package reports_test

import (
	"context"
	"testing"
)

// BenchmarkMarkCaseReport is the cost a change pays to announce itself: one insert.
func BenchmarkMarkCaseReport(b *testing.B) {
	st, _, clock := setup(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := st.MarkCaseReport(ctx, "TS20261102-0001", "", clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrain drains the marks of ten changes to seven cases (refresh and roll up their days),
// and an empty drain.
func BenchmarkDrain(b *testing.B) {
	st, svc, clock := setup(b)
	ctx := context.Background()
	numbers := []string{"TS20261102-0001", "TS20261103-0001", "TS20261110-0001", "TS20261120-0001", "JY20261128-0001", "TS20261105-0001", "TS20261106-0001"}
	b.Run("10 marks", func(b *testing.B) {
		for b.Loop() {
			for i := range 10 {
				if err := st.MarkCaseReport(ctx, numbers[i%len(numbers)], "", clock.Now()); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := svc.Drain(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("empty", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Drain(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
