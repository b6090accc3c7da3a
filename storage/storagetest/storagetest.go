// Package storagetest opens a real store for tests: the embedded MongoDB-compatible server in a
// temporary folder, or the MongoDB named by COMPLAINTBOT_TEST_MONGODB_URI (a fresh database each).
package storagetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
)

var seq atomic.Int64

// Open returns a store with empty collections; it is closed when the test ends.
func Open(t testing.TB) *storage.Store {
	t.Helper()
	if os.Getenv("COMPLAINTBOT_TEST_MONGODB_URI") != "" {
		return OpenDir(t, t.TempDir())
	}
	return OpenDir(t, FreshDir(t, testDatabase))
}

// testDatabase names the database of the stores Open and OpenDir open.
const testDatabase = "complaintbot_test"

// OpenDir opens the store whose embedded files live in dir (to reopen after a simulated restart);
// it is closed when the test ends unless closed before.
func OpenDir(t testing.TB, dir string) *storage.Store {
	t.Helper()
	opts := storage.Options{DataDir: dir, Database: testDatabase, Logger: slog.New(slog.DiscardHandler)}
	if uri := os.Getenv("COMPLAINTBOT_TEST_MONGODB_URI"); uri != "" {
		opts.URI = uri
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
		if len(name) > 40 {
			name = name[:40]
		}
		opts.Database = fmt.Sprintf("cbt_%d_%d_%s", os.Getpid(), seq.Add(1), name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := storage.Open(ctx, opts)
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(func() {
		if opts.URI != "" {
			_ = st.DropAll(context.Background())
		}
		_ = st.Close(context.Background())
	})
	return st
}
