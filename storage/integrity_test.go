package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// dbFile is the embedded database file of the test stores in dir.
func dbFile(dir string) string { return filepath.Join(dir, "db", "complaintbot_test.sqlite") }

// seedFolder opens a store in a new data folder, stores n cases of about 1 KB each, and stops
// it cleanly; it returns the folder.
func seedFolder(t *testing.T, n int) string {
	t.Helper()
	if os.Getenv("COMPLAINTBOT_TEST_MONGODB_URI") != "" {
		t.Skip("the data folder checks are the embedded server's")
	}
	dir := t.TempDir()
	st, _, err := openLogged(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("TS20261201-%05d", i)},
			{Key: "description", Value: fmt.Sprintf("case-marker-%05d %s", i, strings.Repeat("网点排队两个小时无人处理", 30))}}
	}
	if _, err := st.Collection("cases").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A new, empty data folder starts and gets its database; the folder then knows it has one, and
// a restart after a clean stop skips the full check of the unchanged file.
func TestStartCreatesTheDatabaseInANewFolder(t *testing.T) {
	dir := seedFolder(t, 10)
	if _, err := os.Stat(dbFile(dir)); err != nil {
		t.Fatalf("no database file after the first start: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "databases.json"))
	if err != nil || !strings.Contains(string(data), "complaintbot_test.sqlite") {
		t.Fatalf("databases.json does not name the database: %s %v", data, err)
	}
	st, logs, err := openLogged(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.Collection("cases").CountDocuments(context.Background(), bson.D{}); err != nil || n != 10 {
		t.Fatalf("after restart: %d cases (%v), want 10", n, err)
	}
	if !strings.Contains(logs.String(), "full=false") {
		t.Fatalf("the restart after a clean stop checked the unchanged file in full:\n%s", logs)
	}
}

// A log beside the file that changed after the clean stop (written to, or put there) is an outside
// change like any other: the start checks the whole file.
func TestStartChecksInFullWhenTheLogChangedAfterTheStop(t *testing.T) {
	dir := seedFolder(t, 10)
	f, err := os.OpenFile(dbFile(dir)+"-wal", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st, logs, err := openLogged(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.Collection("cases").CountDocuments(context.Background(), bson.D{}); err != nil || n != 10 {
		t.Fatalf("after restart: %d cases (%v), want 10", n, err)
	}
	if !strings.Contains(logs.String(), "full=true") {
		t.Fatalf("a log changed after the clean stop did not lead to the full check:\n%s", logs)
	}
}

// A data folder whose database file was deleted refuses to start, naming the file, and does not
// create an empty one; so does a folder whose whole db folder is gone.
func TestStartRefusesAFolderWhoseDatabaseIsMissing(t *testing.T) {
	for _, c := range []struct {
		name   string
		remove func(dir string) error
	}{
		{"file deleted", func(dir string) error { return os.Remove(dbFile(dir)) }},
		{"db folder deleted", func(dir string) error { return os.RemoveAll(filepath.Join(dir, "db")) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := seedFolder(t, 10)
			if err := c.remove(dir); err != nil {
				t.Fatal(err)
			}
			_, _, err := openLogged(t, dir)
			if !errors.Is(err, storage.ErrDatabaseMissing) || !strings.Contains(err.Error(), dbFile(dir)) {
				t.Fatalf("start: %v, want ErrDatabaseMissing naming %s", err, dbFile(dir))
			}
			t.Logf("refused: %v", err)
			if _, err := os.Stat(dbFile(dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused start created a database file (%v)", err)
			}
		})
	}
}

// A damaged database file refuses the start with a message naming the file: 64 KB of garbage at
// the start or in the middle, a file cut short, an emptied file.
func TestStartRefusesADamagedDatabase(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(t *testing.T, file string, size int64)
	}{
		{"64 KB of garbage at the start", func(t *testing.T, file string, size int64) { garbage(t, file, 0, 64<<10) }},
		{"64 KB of garbage in the middle", func(t *testing.T, file string, size int64) { garbage(t, file, size/2, 64<<10) }},
		{"64 KB of garbage near the end", func(t *testing.T, file string, size int64) { garbage(t, file, size-80<<10, 64<<10) }},
		{"cut to half", func(t *testing.T, file string, size int64) { truncate(t, file, size/2/4096*4096) }},
		{"cut mid-page", func(t *testing.T, file string, size int64) { truncate(t, file, size-1000) }},
		{"emptied", func(t *testing.T, file string, size int64) { truncate(t, file, 0) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := seedFolder(t, 2000)
			fi, err := os.Stat(dbFile(dir))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() < 1<<20 {
				t.Fatalf("the seeded database is only %d bytes", fi.Size())
			}
			c.damage(t, dbFile(dir), fi.Size())
			_, _, err = openLogged(t, dir)
			if !errors.Is(err, storage.ErrDatabaseDamaged) || !strings.Contains(err.Error(), dbFile(dir)) {
				t.Fatalf("start: %v, want ErrDatabaseDamaged naming %s", err, dbFile(dir))
			}
			t.Logf("refused: %v", err)
		})
	}
}

// After a crash (no clean stop recorded) the file is checked in full even when its size and time
// look untouched: a damaged page in the middle refuses the start.
func TestStartAfterACrashChecksTheWholeFile(t *testing.T) {
	dir := seedFolder(t, 2000)
	file := dbFile(dir)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	garbage(t, file, fi.Size()/2, 64<<10)
	if err := os.Chtimes(file, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: the register without the clean stop.
	reg := filepath.Join(dir, "databases.json")
	data, err := os.ReadFile(reg)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	for _, db := range r["databases"].(map[string]any) {
		delete(db.(map[string]any), "clean_stop")
	}
	data, _ = json.Marshal(r)
	if err := os.WriteFile(reg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openLogged(t, dir); !errors.Is(err, storage.ErrDatabaseDamaged) {
		t.Fatalf("start after a crash on a damaged file: %v, want ErrDatabaseDamaged", err)
	}
}

// A page damaged while the file looked untouched (a disk fault: same size and time as the clean
// stop left it) passes the quick start checks; reading it gives an error the caller sees, never
// fewer documents.
func TestDamagedPageFoundWhileRunningIsAnError(t *testing.T) {
	dir := seedFolder(t, 2000)
	file := dbFile(dir)
	storagetest.DamagePages(t, file, "case-marker-01000")
	st, _, err := openLogged(t, dir)
	if err != nil {
		t.Fatalf("start: %v (the damaged page is in the middle of the table: the quick checks do not read it)", err)
	}
	ctx := context.Background()
	cur, err := st.ScanCollection("cases").Find(ctx, bson.D{{Key: "description", Value: bson.D{{Key: "$ne", Value: ""}}}})
	if err == nil {
		n := 0
		for cur.Next(ctx) {
			n++
		}
		err = cur.Err()
		_ = cur.Close(ctx)
		if err == nil {
			t.Fatalf("read %d of 2000 cases without an error", n)
		}
	}
	if !storage.IsDamaged(err) {
		t.Fatalf("read error %v: IsDamaged is false", err)
	}
}

func garbage(t *testing.T, file string, at int64, n int) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, file string, size int64) {
	t.Helper()
	if err := os.Truncate(file, size); err != nil {
		t.Fatal(err)
	}
}
