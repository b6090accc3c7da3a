package storage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

var mediaNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// A picture larger than a chunk is kept in several chunks and read back whole, by _id only; a
// retry of the same message records nothing more.
func TestMediaSavedInChunksAndReadBack(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	r := storage.MediaRequest{ID: "MEDIA_big_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	if err := st.RequestMedia(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := st.RequestMedia(ctx, r); err != nil { // WeChat's retry of the message
		t.Fatalf("second request of the same picture: %v", err)
	}
	open, err := st.OpenMediaRequests(ctx, mediaNow.Add(-storage.MediaLifetime))
	if err != nil || len(open) != 1 || open[0].ID != r.ID || !open[0].Expires.Equal(mediaNow.Add(storage.MediaLifetime)) {
		t.Fatalf("open requests = %+v, %v; want the one request, expiring in 3 days", open, err)
	}
	f, _, err := st.MediaState(ctx, r.ID, mediaNow)
	if err != nil || f.Status != storage.MediaPending {
		t.Fatalf("state before the download = %+v, %v; want pending", f, err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*storage.MediaChunkSize+1000)/16)
	if err := st.SaveMedia(ctx, r, "image/jpeg", data, mediaNow); err != nil {
		t.Fatal(err)
	}
	f, _, err = st.MediaState(ctx, r.ID, mediaNow.Add(10*24*time.Hour)) // long after WeChat forgot it
	if err != nil || f.Status != storage.MediaStored || f.Chunks != 3 || f.ContentType != "image/jpeg" {
		t.Fatalf("state after the download = %+v, %v; want stored in 3 chunks", f, err)
	}
	got, err := st.MediaData(ctx, f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d stored", len(got), err, len(data))
	}
	if open, err := st.OpenMediaRequests(ctx, mediaNow.Add(-storage.MediaLifetime)); err != nil || len(open) != 0 {
		t.Fatalf("open requests after the download = %+v, %v; want none", open, err)
	}
	if _, _, err := st.MediaState(ctx, "MEDIA_nobody_sent", mediaNow); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("state of a picture nobody sent: %v, want ErrNotFound", err)
	}
}

// A picture never downloaded shows as expired once its 3 days are over, and an expired one
// recorded by the worker stays so; neither has bytes.
func TestMediaExpired(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	r := storage.MediaRequest{ID: "MEDIA_late_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	if err := st.RequestMedia(ctx, r); err != nil {
		t.Fatal(err)
	}
	if f, _, err := st.MediaState(ctx, r.ID, mediaNow.Add(storage.MediaLifetime)); err != nil || f.Status != storage.MediaExpired {
		t.Fatalf("state after 3 days = %+v, %v; want expired", f, err)
	}
	if err := st.ExpireMedia(ctx, r, "test", mediaNow.Add(storage.MediaLifetime)); err != nil {
		t.Fatal(err)
	}
	f, _, err := st.MediaState(ctx, r.ID, mediaNow)
	if err != nil || f.Status != storage.MediaExpired {
		t.Fatalf("state = %+v, %v; want expired", f, err)
	}
	if _, err := st.MediaData(ctx, f); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bytes of an expired picture: %v, want ErrNotFound", err)
	}
}

// The requests survive a restart: the reopened store lists the open one, not the finished one.
func TestMediaRequestsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st := storagetest.OpenDir(t, dir)
	a := storage.MediaRequest{ID: "MEDIA_open_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	b := storage.MediaRequest{ID: "MEDIA_done_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	for _, r := range []storage.MediaRequest{a, b} {
		if err := st.RequestMedia(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SaveMedia(ctx, b, "image/png", []byte("png"), mediaNow); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	open, err := st.OpenMediaRequests(ctx, mediaNow.Add(-storage.MediaLifetime))
	if err != nil || len(open) != 1 || open[0].ID != a.ID {
		t.Fatalf("open requests after a restart = %+v, %v; want %s only", open, err, a.ID)
	}
	if got := open[0]; got.OpenID != a.OpenID || got.Type != "image" || !got.At.Equal(a.At) || !got.Expires.Equal(a.At.Add(storage.MediaLifetime)) {
		t.Fatalf("request read back after a restart = %+v, want %+v", got, a)
	}
}

// On the customers' path (the request) and in the worker's and console's reads, every command on
// either connection that filters does so by _id alone: nothing scans a collection.
func TestMediaReadsByIDOnly(t *testing.T) {
	var mu sync.Mutex
	var cmds []storage.Command
	observe := func(c storage.Command) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }
	st, err := storage.Open(context.Background(), storage.Options{DataDir: t.TempDir(), Database: "complaintbot_test",
		Logger: slog.New(slog.DiscardHandler), Observe: observe, ObserveScan: observe})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	ctx := context.Background()
	mu.Lock()
	cmds = nil
	mu.Unlock()
	r := storage.MediaRequest{ID: "MEDIA_obs_1", OpenID: "oCustomer0001", Type: "image", At: mediaNow}
	if err := st.RequestMedia(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenMediaRequests(ctx, mediaNow.Add(-storage.MediaLifetime)); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveMedia(ctx, r, "image/png", bytes.Repeat([]byte{1}, storage.MediaChunkSize+1), mediaNow); err != nil {
		t.Fatal(err)
	}
	f, _, err := st.MediaState(ctx, r.ID, mediaNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MediaData(ctx, f); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(cmds) == 0 {
		t.Fatal("no command observed")
	}
	for _, c := range cmds {
		if strings.HasPrefix(c.Collection, "media") && c.Name != "insert" && !c.ByID {
			t.Errorf("%s on %s does not filter by _id alone: %+v", c.Name, c.Collection, c)
		}
	}
}
