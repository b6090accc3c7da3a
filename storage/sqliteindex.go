package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the embedded server's SQLite driver, registered as "sqlite"
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
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
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
	return nil
}

// idExpr is the expression FerretDB's lookups by _id use.
const idExpr = `_ferretdb_sjson->'$._id'`

// reindexID replaces the table's _id index in one transaction: there is never a moment without
// the unique constraint.
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
