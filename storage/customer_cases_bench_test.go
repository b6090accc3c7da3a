package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// The repeat count's reads and writes at registration on a collection of 5,000 customers' entries:
// a first-time customer (no entry), one with 3 complaints, one with 20 (by openid and phone).
func BenchmarkCustomerCases(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, complaintbot.Shanghai)
	for i := range 5000 {
		if err := st.AddCustomerCase(ctx, st.CustomerKeys(fmt.Sprintf("oFill%06d", i), ""), fmt.Sprintf("TS20261120-%05d", i), at); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range []int{0, 3, 20} {
		keys := st.CustomerKeys(fmt.Sprintf("oBench%d", n), fmt.Sprintf("139%08d", n))
		for j := range n {
			if err := st.AddCustomerCase(ctx, keys, fmt.Sprintf("TS20261121-%04d", j), at); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("read/%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.RecentCustomerCases(ctx, keys, at.AddDate(0, 0, -30), 12); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("add/first", func(b *testing.B) { // a customer's first complaint
		i := 0
		for b.Loop() {
			i++
			keys := st.CustomerKeys(fmt.Sprintf("oBenchAdd%d", i), fmt.Sprintf("137%08d", i))
			if err := st.AddCustomerCase(ctx, keys, fmt.Sprintf("TS20261122-%05d", i), at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("add/fourth", func(b *testing.B) { // a customer's fourth complaint
		i := 0
		for b.Loop() {
			i++
			b.StopTimer()
			keys := st.CustomerKeys(fmt.Sprintf("oBenchFour%d", i), "")
			for j := range 3 {
				if err := st.AddCustomerCase(ctx, keys, fmt.Sprintf("TS20261123-%05d", 10*i+j), at); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			if err := st.AddCustomerCase(ctx, keys, fmt.Sprintf("TS20261123-%05d", 10*i+3), at); err != nil {
				b.Fatal(err)
			}
		}
	})
}
