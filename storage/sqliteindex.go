package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // the embedded server's SQLite driver, registered as "sqlite"
)

// indexEmbeddedIDs makes every collection's _id index on the embedded server one that lookups by
// _id can use. FerretDB 1.24 builds that unique index on _ferretdb_sjson->"_id" but queries
// _ferretdb_sjson->'$._id', which SQLite does not match to it: a lookup by _id read the table up
// to the document (measured: the last of 20,000 turns took 40 ms, a missing id a full scan). The
// index is rebuilt, under the same name and still unique, on the expression the queries use; both
// expressions give the same value, so it enforces the same constraint, and FerretDB, which knows
// its indexes by name, sees no difference. (Versions before this one added a second index
// instead, which cost every insert; it is dropped.) Collections created later get it at the next
// call.
func indexEmbeddedIDs(ctx context.Context, dataDir, database string) error {
	dbFile, err := filepath.Abs(filepath.Join(dataDir, "db", database+".sqlite"))
	if err != nil {
		return fmt.Errorf("index the embedded database: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("index the embedded database: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT c.table_name, i.sql FROM _ferretdb_collections c
		JOIN sqlite_master i ON i.type = 'index' AND i.name = c.table_name || '__id_'`)
	if err != nil {
		return fmt.Errorf("index the embedded database: list collections: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t, def string
		if err := rows.Scan(&t, &def); err != nil {
			rows.Close()
			return fmt.Errorf("index the embedded database: %w", err)
		}
		if !strings.Contains(def, idExpr) {
			tables = append(tables, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index the embedded database: %w", err)
	}
	for _, t := range tables {
		if strings.ContainsAny(t, `"'`) {
			continue
		}
		if err := reindexID(ctx, db, t); err != nil {
			return fmt.Errorf("index the embedded database: table %s: %w", t, err)
		}
	}
	// The database exists now: from here on the data folder refuses to start without it.
	if err := registerDatabase(dataDir, database); err != nil {
		return fmt.Errorf("register the embedded database: %w", err)
	}
	return nil
}

// idExpr is the expression FerretDB's lookups by _id use.
const idExpr = `_ferretdb_sjson->'$._id'`

// reindexID replaces the table's _id index in one transaction: there is never a moment without
// the unique constraint. The transaction takes the write lock when it begins (_txlock=immediate), waiting out a
// writer within busy_timeout: one that began as a reader and wrote later would fail at once
// (SQLITE_BUSY) when the server wrote meanwhile.
func reindexID(ctx context.Context, db *sql.DB, table string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, q := range []string{
		fmt.Sprintf(`DROP INDEX IF EXISTS "%s_complaintbot_id"`, table),
		fmt.Sprintf(`DROP INDEX "%s__id_"`, table),
		fmt.Sprintf(`CREATE UNIQUE INDEX "%s__id_" ON "%s" (%s)`, table, table, idExpr),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// WALCheckpoint is what one CheckpointWAL did.
type WALCheckpoint struct {
	// Busy is true when readers of older snapshots (or a writer) kept the checkpoint from finishing
	// within its wait: the WAL was copied as far as they allowed and not reset; the next run tries
	// again.
	Busy bool
	// Frames is how many pages the WAL held and Copied how many of them are now in the database.
	Frames, Copied int
	// Before and After are the WAL's size in bytes before and after (0 once truncated).
	Before, After int64
}

// checkpointWait bounds how long CheckpointWAL waits for readers of older snapshots: long enough
// for the short reads of the customers' path, far shorter than a scan (which it does not wait
// out: it tries again at its next run). New writes wait while it does, so it stays well inside
// the webhook's budget.
const checkpointWait = 20 * time.Millisecond

// checkpointTries is how often one CheckpointWAL tries to reset the WAL, checkpointRetry apart.
const (
	checkpointTries = 5
	checkpointRetry = 250 * time.Millisecond
)

// CheckpointWAL copies the embedded database's write-ahead log into the database file and
// truncates it. SQLite does this by itself only while no reader holds an older snapshot, which long
// reads on the scan connection nearly always do under load: the WAL then grows without bound
// (measured: 1.36 GB beside a 356 MB database). It first copies what it can without waiting
// (PASSIVE), then waits at most checkpointWait for the readers to move on and resets the log
// (TRUNCATE), trying checkpointTries times about a second; while a long read holds an old snapshot
// it cannot reset the log and reports Busy, so call it often (the scheduler does every 10 s): one
// of the calls finds a moment between reads. It does nothing on MongoDB.
func (s *Store) CheckpointWAL(ctx context.Context) (WALCheckpoint, error) {
	var out WALCheckpoint
	if s.embedded == nil {
		return out, nil
	}
	dbFile, err := filepath.Abs(filepath.Join(s.opts.DataDir, "db", s.opts.Database+".sqlite"))
	if err != nil {
		return out, fmt.Errorf("checkpoint the embedded database: %w", err)
	}
	walSize := func() int64 {
		if fi, err := os.Stat(dbFile + "-wal"); err == nil {
			return fi.Size()
		}
		return 0
	}
	out.Before = walSize()
	// mode=rw: never create the file (the embedded server creates its databases itself).
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=rw&_pragma=busy_timeout(%d)", dbFile, checkpointWait.Milliseconds()))
	if err != nil {
		return out, fmt.Errorf("checkpoint the embedded database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	checkpoint := func(mode string) error {
		var busy int
		err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &out.Frames, &out.Copied)
		if isSQLiteBusy(err) {
			out.Busy = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("checkpoint the embedded database (%s): %w", mode, err)
		}
		out.Busy = busy != 0
		return nil
	}
	// Reads end all the time: a few tries a little apart find a moment between them far more often.
	// Each try first copies what it can without holding up writes (PASSIVE); only when that
	// copied the whole log does it reset it (TRUNCATE), which then has next to nothing left to
	// copy: a TRUNCATE that had to copy a large log itself would hold every write meanwhile
	// (seconds, after a long read ended with tens of MB behind it).
	for try := 0; try < checkpointTries; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(checkpointRetry):
			}
		}
		if err := checkpoint("PASSIVE"); err != nil {
			return out, err
		}
		if out.Copied < out.Frames {
			out.Busy = true // a reader holds an older snapshot: try again
			continue
		}
		if err := checkpoint("TRUNCATE"); err != nil {
			return out, err
		}
		if !out.Busy {
			break
		}
	}
	out.After = walSize()
	return out, nil
}

// isSQLiteBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isSQLiteBusy(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		c := e.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}
