package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The writes of a client carrying the health monitor tell Ready at once: a write that fails on a
// full disk makes it fail without waiting for a probe, a duplicate key does not, and it is ready
// again once a write succeeds 10 s after the last failure.
func TestWritesSeenByTheMonitorDecideReadiness(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs for the data folder (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	ctx := context.Background()
	st, err := Open(ctx, Options{DataDir: dir, Database: "complaintbot_test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	clock := complaintbot.NewManualClock(time.Date(2026, 12, 1, 10, 0, 0, 0, complaintbot.Shanghai))
	st.SetHealthClock(clock)
	// A client like the store's main one, with the monitor.
	client, err := mongo.Connect(options.Client().ApplyURI(st.embedded.uri).SetMaxPoolSize(1).SetMonitor(st.healthMonitor(nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	c := client.Database("complaintbot_test").Collection("turns")
	doc := func(id string) bson.D {
		return bson.D{{Key: "_id", Value: id}, {Key: "text", Value: string(make([]byte, 64<<10))}}
	}
	if err := st.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, doc("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, doc("a")); !IsDuplicate(err) {
		t.Fatalf("second insert: %v, want a duplicate", err)
	}
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready after a duplicate key: %v", err)
	}

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for chunk := make([]byte, 1<<20); ; {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	var failed error
	for i := range 100 {
		if _, err := c.InsertOne(ctx, doc(fmt.Sprintf("b%d", i))); err != nil {
			failed = err
			break
		}
	}
	if failed == nil {
		t.Fatal("writes kept succeeding on a full disk")
	}
	// The clock has not moved: no probe ran since the last one, the failed write alone decides.
	if err := st.Ready(ctx); !errors.Is(err, ErrNotWritable) || err.Error() != "database not writable: the disk is full" {
		t.Fatalf("ready after a write failed on a full disk (%v): %v", failed, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	if _, err := c.InsertOne(ctx, doc("c")); err != nil {
		t.Fatal(err)
	}
	if err := st.Ready(ctx); err == nil {
		t.Fatal("ready 5 s after the last failed write")
	}
	clock.Advance(6 * time.Second)
	if _, err := c.InsertOne(ctx, doc("d")); err != nil {
		t.Fatal(err)
	}
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready after a write succeeded 11 s after the last failure: %v", err)
	}
}
