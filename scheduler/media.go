package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi"
)

// JobMedia downloads the customers' pictures from WeChat while their MediaIds are valid and keeps
// them in the database (see MediaFetcher); register it with Options.Jobs (MediaFetcher.Job).
const JobMedia = "media"

// mediaSpec is when JobMedia runs: often, so that a picture shows in the console soon after it
// arrives; a run with nothing to do reads the few open requests by _id.
const mediaSpec = "@every 15s"

// MediaGetter downloads a temporary media file; *wechatapi.Client is one.
type MediaGetter interface {
	GetMedia(ctx context.Context, mediaID string) (contentType string, data []byte, err error)
}

// MediaFetcher downloads the pictures the webhook asked for (storage.Store.RequestMedia) and
// stores them. It never runs on the customers' path: the webhook only inserts the request. Each
// download is bounded by Timeout, and up to Concurrency run at once, so a hung media API holds up
// neither other pictures for long nor any other work. A failed download is tried again with a
// growing delay (RetryBase, doubled up to RetryMax) until the MediaId's 3 days are over; then, or
// when WeChat says it no longer has the file, the picture is recorded as expired. Requests are
// stored, so a restart loses none; the delays are kept in memory only (after a restart every open
// request is tried at once).
type MediaFetcher struct {
	Store *storage.Store
	API   MediaGetter
	Clock complaintbot.Clock
	Log   *slog.Logger
	// Timeout bounds one download (0: wechatapi.MediaTimeout).
	Timeout time.Duration
	// Concurrency is how many downloads run at once (0: 4).
	Concurrency int
	// RetryBase and RetryMax pace the retries (0: one minute and one hour).
	RetryBase, RetryMax time.Duration

	run     sync.Mutex // one run at a time in this process
	mu      sync.Mutex
	retries map[string]retryState
}

type retryState struct {
	failures int
	next     time.Time
}

// Job is the fetcher as a scheduler job with a lease (JobMedia).
func (f *MediaFetcher) Job() Job {
	return Job{Name: JobMedia, Spec: mediaSpec, Run: f.Run}
}

// Run works once through the open requests: it records those past their 3 days as expired and
// downloads the others that are not waiting for a retry. It returns how many it finished (stored
// or expired).
func (f *MediaFetcher) Run(ctx context.Context) (int, error) {
	f.run.Lock()
	defer f.run.Unlock()
	now := f.Clock.Now()
	reqs, err := f.Store.OpenMediaRequests(ctx, now.Add(-storage.MediaLifetime))
	if err != nil {
		return 0, err
	}
	n := f.Concurrency
	if n <= 0 {
		n = 4
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int
		errs  []error
		slots = make(chan struct{}, n)
	)
	for _, r := range reqs {
		if !now.Before(r.Expires) {
			if err := f.Store.ExpireMedia(ctx, r, "the media id's 3 days ended before it was downloaded", now); err != nil {
				errs = append(errs, err)
				continue
			}
			f.forget(r.ID)
			f.Log.Warn("a customer's picture expired before it could be downloaded", "media", r.ID, "openid", complaintbot.MaskOpenID(r.OpenID))
			done++
			continue
		}
		if !f.due(r.ID, now) {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return done, ctx.Err()
		}
		wg.Add(1)
		go func(r storage.MediaRequest) {
			defer wg.Done()
			defer func() { <-slots }()
			ok, err := f.fetch(ctx, r, now)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				done++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}(r)
	}
	wg.Wait()
	return done, errors.Join(errs...)
}

// fetch downloads one picture and stores it; it reports whether the request is finished. A
// failed download is not an error of the run (it is retried later); a failed write is.
func (f *MediaFetcher) fetch(ctx context.Context, r storage.MediaRequest, now time.Time) (bool, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = wechatapi.MediaTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	ctype, data, err := f.API.GetMedia(dctx, r.ID)
	cancel()
	var apiErr *wechatapi.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == wechatapi.CodeInvalidMediaID:
		if err := f.Store.ExpireMedia(ctx, r, fmt.Sprintf("WeChat no longer has it (errcode %d)", apiErr.Code), now); err != nil {
			return false, err
		}
		f.forget(r.ID)
		f.Log.Warn("WeChat no longer has a customer's picture", "media", r.ID, "openid", complaintbot.MaskOpenID(r.OpenID))
		return true, nil
	case err != nil:
		next := f.failed(r.ID, now)
		f.Log.Warn("download a customer's picture; trying again later", "media", r.ID, "next", next, "err", err)
		return false, nil
	}
	if err := f.Store.SaveMedia(ctx, r, ctype, data, f.Clock.Now()); err != nil {
		f.failed(r.ID, now)
		return false, err
	}
	f.forget(r.ID)
	return true, nil
}

// due reports whether the request is not waiting for a retry at now.
func (f *MediaFetcher) due(id string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.retries[id]
	return !ok || !now.Before(st.next)
}

// failed notes a failed attempt and returns when the next one is due.
func (f *MediaFetcher) failed(id string, now time.Time) time.Time {
	base, ceiling := f.RetryBase, f.RetryMax
	if base <= 0 {
		base = time.Minute
	}
	if ceiling <= 0 {
		ceiling = time.Hour
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.retries == nil {
		f.retries = map[string]retryState{}
	}
	st := f.retries[id]
	st.failures++
	wait := base
	for i := 1; i < st.failures && wait < ceiling; i++ {
		wait *= 2
	}
	st.next = now.Add(min(wait, ceiling))
	f.retries[id] = st
	return st.next
}

func (f *MediaFetcher) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.retries, id)
}
