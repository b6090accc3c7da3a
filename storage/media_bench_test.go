package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// BenchmarkRequestMedia is the customer's path's cost of a picture: one insert.
func BenchmarkRequestMedia(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := st.RequestMedia(ctx, storage.MediaRequest{ID: fmt.Sprintf("MEDIA_bench_%d", i), OpenID: "oCustomer0001", Type: "image", At: mediaNow}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMediaSaveAndRead stores a 1 MB picture (4 chunks) and reads it back, as the worker and
// the console do.
func BenchmarkMediaSaveAndRead(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	data := bytes.Repeat([]byte{7}, 1<<20)
	b.ResetTimer()
	for i := range b.N {
		r := storage.MediaRequest{ID: fmt.Sprintf("MEDIA_save_%d", i), OpenID: "oCustomer0001", Type: "image", At: mediaNow}
		if err := st.RequestMedia(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := st.SaveMedia(ctx, r, "image/jpeg", data, mediaNow); err != nil {
			b.Fatal(err)
		}
		f, _, err := st.MediaState(ctx, r.ID, mediaNow)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.MediaData(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenMediaRequests is the worker's look for work with 50 pictures open among 2,000
// finished ones.
func BenchmarkOpenMediaRequests(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	for i := range 2050 {
		r := storage.MediaRequest{ID: fmt.Sprintf("MEDIA_open_%d", i), OpenID: "oCustomer0001", Type: "image", At: mediaNow}
		if err := st.RequestMedia(ctx, r); err != nil {
			b.Fatal(err)
		}
		if i >= 50 {
			if err := st.SaveMedia(ctx, r, "image/png", []byte("x"), mediaNow); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for range b.N {
		open, err := st.OpenMediaRequests(ctx, mediaNow.Add(-time.Hour))
		if err != nil || len(open) != 50 {
			b.Fatalf("%d open, %v", len(open), err)
		}
	}
}

// BenchmarkMediaRead reads a stored 1 MB picture back, as the console does for each view.
func BenchmarkMediaRead(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	r := storage.MediaRequest{ID: "MEDIA_read_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	if err := st.RequestMedia(ctx, r); err != nil {
		b.Fatal(err)
	}
	if err := st.SaveMedia(ctx, r, "image/jpeg", bytes.Repeat([]byte{7}, 1<<20), mediaNow); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		f, _, err := st.MediaState(ctx, r.ID, mediaNow)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.MediaData(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}
