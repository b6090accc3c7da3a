package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// logBuffer collects a logger's text output, safely for concurrent writers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines contain s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mountExt4 mounts a new ext4 file system of sizeMB on a temporary folder, as a disk is mounted
// in production (errors=remount-ro), and returns the folder and a function that makes the kernel
// turn it read-only the way it does after a disk error. It is unmounted when the test ends.
func mountExt4(t *testing.T, sizeMB int) (dir string, failDisk func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system for the data folder (CI runs as root)")
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	dir = t.TempDir()
	for _, c := range [][]string{
		{"truncate", "-s", fmt.Sprintf("%dM", sizeMB), img},
		{"mkfs.ext4", "-q", "-F", img},
		{"mount", "-o", "loop,errors=remount-ro", img, dir},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	t.Cleanup(func() { storagetest.Unmount(t, dir) })
	out, err := exec.Command("findmnt", "-n", "-o", "SOURCE", dir).Output()
	if err != nil {
		t.Fatalf("findmnt %s: %v", dir, err)
	}
	dev := filepath.Base(strings.TrimSpace(string(out)))
	return dir, func() {
		t.Helper()
		if err := os.WriteFile("/sys/fs/ext4/"+dev+"/trigger_fs_error", []byte("complaintbot test: disk error"), 0); err != nil {
			t.Fatalf("make %s fail: %v", dev, err)
		}
	}
}

// openLogged opens the embedded store in dir with its log in the returned buffer.
func openLogged(t *testing.T, dir string) (*storage.Store, *logBuffer, error) {
	t.Helper()
	logs := &logBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := storage.Open(ctx, storage.Options{DataDir: dir, Database: "complaintbot_test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		return nil, logs, err
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st, logs, nil
}

// A turn-sized document, like the webhook writes for each message.
func turnDoc(i int) bson.D {
	return bson.D{{Key: "_id", Value: fmt.Sprintf("oHealth#%d", i)}, {Key: "text", Value: strings.Repeat("我要投诉网点服务", 64)}}
}

// When the data folder's disk turns read-only (the kernel does so after a disk error), Ready
// fails naming the cause and the log says so once, however often Ready is polled. The file system
// stays read-only until it is repaired and mounted again, which needs a restart; a start on it is
// refused with a plain message.
func TestReadyFailsWhileDataFolderIsReadOnly(t *testing.T) {
	dir, failDisk := mountExt4(t, 64)
	st, logs, err := openLogged(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := complaintbot.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, complaintbot.Shanghai))
	st.SetHealthClock(clock)
	ctx := context.Background()
	turns := st.Collection("turns")
	if _, err := turns.InsertOne(ctx, turnDoc(1)); err != nil {
		t.Fatal(err)
	}
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready on a writable folder: %v", err)
	}

	failDisk()
	if _, err := turns.InsertOne(ctx, turnDoc(2)); err == nil {
		t.Fatal("a write to a read-only folder succeeded: the test does not test anything")
	}
	// The failed write itself tells readiness at once, before any probe.
	if err := st.Ready(ctx); !errors.Is(err, storage.ErrNotWritable) {
		t.Fatalf("ready right after a write failed: %v", err)
	}
	clock.Advance(2 * time.Second)
	for range 5 { // polled again and again: one log line
		err := st.Ready(ctx)
		if !errors.Is(err, storage.ErrNotWritable) || err.Error() != "database not writable: the data folder is read-only" {
			t.Fatalf("ready on a read-only folder: %v\n%s", err, logs)
		}
		clock.Advance(2 * time.Second)
	}
	if n := logs.count("database not writable"); n != 1 {
		t.Errorf("%d log lines say the database is not writable, want 1:\n%s", n, logs)
	}
	if err := st.Close(ctx); err != nil {
		t.Logf("close on a read-only disk: %v", err)
	}
	_, _, err = openLogged(t, dir)
	t.Logf("start on the read-only folder: %v", err)
	if err == nil || !strings.Contains(err.Error(), "read-only file system") {
		t.Fatalf("start on the read-only folder: %v, want a refusal saying the file system is read-only", err)
	}
}

// While the data folder's disk is full, Ready fails naming the cause; once space is freed it
// succeeds by itself and writes work.
func TestReadyFailsWhileDiskIsFull(t *testing.T) {
	dir := storagetest.MountTmpfs(t, "48m")
	st, logs, err := openLogged(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := complaintbot.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, complaintbot.Shanghai))
	st.SetHealthClock(clock)
	ctx := context.Background()
	turns := st.Collection("turns")
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}

	fill(t, filepath.Join(dir, "filler"))
	failed := false
	for i := range 200 { // the WAL may still have room for a few
		if _, err := turns.InsertOne(ctx, turnDoc(100+i)); err != nil {
			failed = true
			break
		}
	}
	if !failed {
		t.Fatal("writes to a full disk kept succeeding: the test does not test anything")
	}
	clock.Advance(2 * time.Second)
	if err := st.Ready(ctx); !errors.Is(err, storage.ErrNotWritable) || err.Error() != "database not writable: the disk is full" {
		t.Fatalf("ready on a full disk: %v", err)
	}
	clock.Advance(2 * time.Second)
	_ = st.Ready(ctx)
	if n := logs.count("database not writable"); n != 1 {
		t.Errorf("%d log lines say the database is not writable, want 1:\n%s", n, logs)
	}

	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	// Ready again once writes have worked for 10 s since the last failure (no flapping on a disk
	// that takes small writes but not large ones).
	clock.Advance(2 * time.Second)
	if err := st.Ready(ctx); err == nil {
		t.Fatal("ready 2 s after the last failure")
	}
	clock.Advance(10 * time.Second)
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready once space is free: %v", err)
	}
	if n := logs.count("database writable again"); n != 1 {
		t.Errorf("%d log lines say the database is writable again, want 1:\n%s", n, logs)
	}
	if _, err := turns.InsertOne(ctx, turnDoc(1000)); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
}

// fill writes a file until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	small := make([]byte, 4096)
	for {
		if _, err := f.Write(small); err != nil {
			break
		}
	}
}
