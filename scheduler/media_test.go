package scheduler_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/wechatapi"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
)

// mediaRig is a store, the fake WeChat API and a fetcher downloading through the real client.
type mediaRig struct {
	st    *storage.Store
	fake  *fakewechat.Server
	clock *complaintbot.ManualClock
	f     *scheduler.MediaFetcher
	api   *wechatapi.Client
}

func newMediaRig(t *testing.T, st *storage.Store) *mediaRig {
	t.Helper()
	clock := complaintbot.NewManualClock(t0)
	fake := fakewechat.New("wxMedia", "secret")
	fake.SetClock(clock)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api, err := wechatapi.New(wechatapi.Config{AppID: "wxMedia", AppSecret: "secret", APIBase: srv.URL}, &wechatapi.MemoryTokenStore{}, clock)
	if err != nil {
		t.Fatal(err)
	}
	r := &mediaRig{st: st, fake: fake, clock: clock, api: api}
	r.f = r.fetcher()
	return r
}

func (r *mediaRig) fetcher() *scheduler.MediaFetcher {
	return &scheduler.MediaFetcher{Store: r.st, API: r.api, Clock: r.clock, Log: slog.New(slog.DiscardHandler), Timeout: 2 * time.Second}
}

func (r *mediaRig) request(t *testing.T, id string) {
	t.Helper()
	if err := r.st.RequestMedia(context.Background(), storage.MediaRequest{ID: id, OpenID: "oMediaCustomer01", Type: "image", At: r.clock.Now()}); err != nil {
		t.Fatal(err)
	}
}

func (r *mediaRig) run(t *testing.T) int {
	t.Helper()
	n, err := r.f.Run(context.Background())
	if err != nil {
		t.Fatalf("media run: %v", err)
	}
	return n
}

func (r *mediaRig) status(t *testing.T, id string) storage.MediaStatus {
	t.Helper()
	f, _, err := r.st.MediaState(context.Background(), id, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return f.Status
}

// The worker downloads a requested picture and keeps exactly the bytes WeChat served.
func TestMediaFetcherStoresPicture(t *testing.T) {
	r := newMediaRig(t, storagetest.Open(t))
	want := r.fake.AddImage("MEDIA_ok_1")
	r.request(t, "MEDIA_ok_1")
	if n := r.run(t); n != 1 {
		t.Fatalf("run finished %d, want 1", n)
	}
	f, _, err := r.st.MediaState(context.Background(), "MEDIA_ok_1", r.clock.Now())
	if err != nil || f.Status != storage.MediaStored || f.ContentType != "image/png" {
		t.Fatalf("state = %+v, %v; want a stored PNG", f, err)
	}
	got, err := r.st.MediaData(context.Background(), f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stored %d bytes (%v), want the %d served", len(got), err, len(want))
	}
	if n := r.run(t); n != 0 || r.fake.MediaGets() != 1 {
		t.Fatalf("a second run finished %d with %d downloads in all; want nothing more", n, r.fake.MediaGets())
	}
}

// A media API that fails twice is tried again after a growing delay (not before), and the
// picture is kept at the third try.
func TestMediaFetcherRetriesWithBackoff(t *testing.T) {
	r := newMediaRig(t, storagetest.Open(t))
	r.fake.AddImage("MEDIA_flaky_1")
	r.fake.FailNext(fakewechat.PathMediaGet, -1, 2)
	r.request(t, "MEDIA_flaky_1")
	r.run(t) // fails: next try in a minute
	r.run(t) // too early: no download
	if got := r.fake.MediaGets(); got != 1 {
		t.Fatalf("%d downloads before the retry delay ended, want 1", got)
	}
	r.clock.Advance(time.Minute)
	r.run(t) // fails again: next try in two minutes
	r.clock.Advance(time.Minute)
	r.run(t)
	if got, st := r.fake.MediaGets(), r.status(t, "MEDIA_flaky_1"); got != 2 || st != storage.MediaPending {
		t.Fatalf("after two failures and a minute: %d downloads, %s; want 2, pending", got, st)
	}
	r.clock.Advance(time.Minute)
	if n := r.run(t); n != 1 || r.status(t, "MEDIA_flaky_1") != storage.MediaStored {
		t.Fatalf("third try finished %d, status %s; want the picture stored", n, r.status(t, "MEDIA_flaky_1"))
	}
}

// A picture whose 3 days ended before it could be downloaded (the API was down) is recorded as
// expired, without asking WeChat; one WeChat does not know (40007) is recorded as expired at once.
func TestMediaFetcherGivesUpAfterThreeDays(t *testing.T) {
	r := newMediaRig(t, storagetest.Open(t))
	r.request(t, "MEDIA_unknown_1")
	r.run(t)
	if st := r.status(t, "MEDIA_unknown_1"); st != storage.MediaExpired {
		t.Fatalf("a media id WeChat does not know: %s, want expired", st)
	}
	r.fake.AddImage("MEDIA_old_1")
	r.fake.FailNext(fakewechat.PathMediaGet, -1, 1000)
	r.request(t, "MEDIA_old_1")
	r.run(t)
	if st := r.status(t, "MEDIA_old_1"); st != storage.MediaPending {
		t.Fatalf("failing download: %s, want pending", st)
	}
	r.clock.Advance(72 * time.Hour)
	gets := r.fake.MediaGets()
	if n := r.run(t); n != 1 || r.fake.MediaGets() != gets {
		t.Fatalf("run after 3 days finished %d with %d more downloads; want 1 expired, none downloaded", n, r.fake.MediaGets()-gets)
	}
	if st := r.status(t, "MEDIA_old_1"); st != storage.MediaExpired {
		t.Fatalf("after 3 days: %s, want expired", st)
	}
}

// A request made before a restart is downloaded by the worker of the next start.
func TestMediaFetcherAfterRestart(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	r := newMediaRig(t, st)
	r.fake.AddImage("MEDIA_restart_1")
	r.request(t, "MEDIA_restart_1")
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.st = storagetest.OpenDir(t, dir)
	r.f = r.fetcher()
	if n := r.run(t); n != 1 || r.status(t, "MEDIA_restart_1") != storage.MediaStored {
		t.Fatalf("after the restart: finished %d, status %s; want stored", n, r.status(t, "MEDIA_restart_1"))
	}
}

// A media API that hangs holds up only its own picture: the run gives up on it after the
// timeout, keeps the others, and tries the hung one again later.
func TestMediaFetcherHungAPI(t *testing.T) {
	r := newMediaRig(t, storagetest.Open(t))
	r.f.Concurrency = 1
	r.f.Timeout = 300 * time.Millisecond
	r.fake.AddImage("MEDIA_a_1")
	r.fake.AddImage("MEDIA_b_1")
	if _, _, err := r.api.GetMedia(context.Background(), "MEDIA_a_1"); err != nil { // token fetched now, not under the hang
		t.Fatal(err)
	}
	r.request(t, "MEDIA_a_1")
	r.clock.Advance(time.Second) // the older one is tried first
	r.request(t, "MEDIA_b_1")
	r.fake.HangNext(fakewechat.PathMediaGet, 1)
	defer r.fake.Release()
	if n := r.run(t); n != 1 {
		t.Fatalf("run with one hung download finished %d, want the other one", n)
	}
	if r.status(t, "MEDIA_a_1") != storage.MediaPending || r.status(t, "MEDIA_b_1") != storage.MediaStored {
		t.Fatalf("statuses %s, %s; want the first (hung) pending and the second stored", r.status(t, "MEDIA_a_1"), r.status(t, "MEDIA_b_1"))
	}
	r.clock.Advance(time.Minute)
	if n := r.run(t); n != 1 || r.status(t, "MEDIA_a_1") != storage.MediaStored {
		t.Fatalf("retry finished %d, status %s; want stored", n, r.status(t, "MEDIA_a_1"))
	}
}
