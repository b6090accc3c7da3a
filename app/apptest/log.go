package apptest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// failureLog keeps the service's warnings and errors of one test, to be shown only when the test
// fails: the cause of a failed request (a 500, a response cut short) is in the log, not in what
// the client saw.
type failureLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// logger returns a logger writing WARN and above into the recorder, and has the test print them
// if it fails.
func (f *failureLog) logger(t testing.TB) *slog.Logger {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.buf.Len() > 0 {
			t.Logf("the service's warnings and errors:\n%s", f.buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Write records one log line; it is safe for concurrent use and never fails.
func (f *failureLog) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buf.Len() < 1<<20 { // a runaway log does not fill the test's memory
		f.buf.Write(p)
	}
	return len(p), nil
}
