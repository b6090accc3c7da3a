package storagetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
)

// Creating the embedded database's collections and indexes is most of what starting a test's
// service costs (a second under the race detector). FreshDir copies a folder made once per test
// process instead: the same files a first start leaves, byte for byte.

var (
	templatesMu sync.Mutex
	templates   = map[string]string{} // database name -> folder
)

// FreshDir returns a new temporary data folder holding an empty embedded database named database,
// as a first start of the store leaves it (collections, indexes, migrations recorded, a clean stop
// recorded). It is removed when the test ends.
func FreshDir(t testing.TB, database string) string {
	t.Helper()
	dir := t.TempDir()
	CopyEmpty(t, dir, database)
	return dir
}

// CopyEmpty puts into the empty folder dir the files of an empty embedded database named
// database, as FreshDir does.
func CopyEmpty(t testing.TB, dir, database string) {
	t.Helper()
	tpl, err := template(database)
	if err != nil {
		t.Fatalf("empty data folder: %v", err)
	}
	if err := storage.CopyDataFolder(tpl, dir); err != nil {
		t.Fatalf("empty data folder: %v", err)
	}
}

// template returns the folder of the process's empty database named database, making it first.
func template(database string) (string, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if dir, ok := templates[database]; ok {
		return dir, nil
	}
	removeOrphans()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-%s-", templatePrefix, os.Getpid(), database))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := storage.Open(ctx, storage.Options{DataDir: dir, Database: database, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", fmt.Errorf("create the empty database: %w", err)
	}
	if err := st.Close(ctx); err != nil {
		return "", fmt.Errorf("close the empty database: %w", err)
	}
	templates[database] = dir
	return dir, nil
}

// templatePrefix starts the names of the template folders, followed by the process id.
const templatePrefix = "complaintbot-empty-"

// removeOrphans removes the template folders of test processes that have ended (no test process
// outlives its folders' use, but none can remove them as it ends).
func removeOrphans() {
	entries, _ := os.ReadDir(os.TempDir())
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), templatePrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
			continue // still running
		}
		_ = os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
	}
}
