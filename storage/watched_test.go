package storage_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
)

// scanWatch keeps the commands of a store that read more than by _id (storage.Command.ByID).
type scanWatch struct {
	mu    sync.Mutex
	scans []storage.Command
}

func (w *scanWatch) see(c storage.Command) {
	if c.ByID {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scans = append(w.scans, c)
}

// reset forgets the commands seen so far.
func (w *scanWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scans = nil
}

// seen returns the commands seen since the last reset on the collections named (all when none).
func (w *scanWatch) seen(collections ...string) []storage.Command {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []storage.Command
	for _, c := range w.scans {
		if len(collections) == 0 || slices.Contains(collections, c.Collection) {
			out = append(out, c)
		}
	}
	return out
}

// openWatched opens a store on a new folder whose main connection's scans the watch keeps (and
// the scan connection's too, with scanConn); it is closed when the test ends.
func openWatched(t *testing.T, database string, scanConn bool) (*storage.Store, *scanWatch) {
	t.Helper()
	w := &scanWatch{}
	opts := storage.Options{DataDir: t.TempDir(), Database: database, Logger: slog.New(slog.DiscardHandler), Observe: w.see}
	if scanConn {
		opts.ObserveScan = w.see
	}
	st, err := storage.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st, w
}
