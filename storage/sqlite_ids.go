package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"sync"
)

// idReader answers, on the embedded server, "the last _id that starts with this prefix" with one
// range read of the collection's _id index in the SQLite file (see indexEmbeddedIDs), where the
// server can only be asked for one _id at a time: a returning customer's newest turn took a dozen
// lookups (doubling up, then halving), each a round trip the customer waited for. It reads the
// file read-only, on connections of its own, and sees what the server has committed; it depends
// on FerretDB 1.24's layout as sqlite_read.go does, held by the tests beside them.
type idReader struct {
	mu     sync.Mutex
	db     *sql.DB
	tables map[string]string // collection -> table
}

// plainIDPrefix is a prefix whose JSON text is itself in quotes: no character needs escaping.
var plainIDPrefix = regexp.MustCompile(`^[A-Za-z0-9_\-#:.@]+$`)

// lastIDWithPrefix returns the greatest _id of the collection that starts with prefix ("" when
// none) in the byte order of the ids; ok is false when it cannot be read so (not the embedded
// server, a prefix that would need escaping, a collection not created yet), and the caller asks
// the server instead.
func (s *Store) lastIDWithPrefix(ctx context.Context, collection, prefix string) (id string, ok bool, err error) {
	if s.embedded == nil || !plainIDPrefix.MatchString(prefix) {
		return "", false, nil
	}
	db, table, err := s.ids.open(ctx, s, collection)
	if err != nil || table == "" {
		return "", false, err
	}
	// The index is on the id's JSON text: "prefix… with its quotes; '~' sorts after every
	// character an id may go on with.
	q := `SELECT ` + sjsonColumn + `->>'$._id' FROM "` + table + `" WHERE ` + idExpr + ` > ? AND ` + idExpr + ` < ? ORDER BY ` + idExpr + ` DESC LIMIT 1`
	err = db.QueryRowContext(ctx, q, `"`+prefix, `"`+prefix+`~`).Scan(&id)
	if err == sql.ErrNoRows {
		return "", true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the last id of %s: %w", collection, err)
	}
	return id, true, nil
}

// idsWithPrefix returns the _ids of the collection that start with prefix, at most limit of them
// in the byte order of the ids, read as lastIDWithPrefix reads; ok false as there.
func (s *Store) idsWithPrefix(ctx context.Context, collection, prefix string, limit int) (ids []string, ok bool, err error) {
	if s.embedded == nil || !plainIDPrefix.MatchString(prefix) {
		return nil, false, nil
	}
	db, table, err := s.ids.open(ctx, s, collection)
	if err != nil || table == "" {
		return nil, false, err
	}
	q := `SELECT ` + sjsonColumn + `->>'$._id' FROM "` + table + `" WHERE ` + idExpr + ` > ? AND ` + idExpr + ` < ? ORDER BY ` + idExpr + ` LIMIT ?`
	rows, err := db.QueryContext(ctx, q, `"`+prefix, `"`+prefix+`~`, limit)
	if err != nil {
		return nil, false, fmt.Errorf("read the ids of %s: %w", collection, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, false, fmt.Errorf("read the ids of %s: %w", collection, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read the ids of %s: %w", collection, err)
	}
	return ids, true, nil
}

// open returns the read-only database and the collection's table ("" when it does not exist yet).
func (r *idReader) open(ctx context.Context, s *Store, collection string) (*sql.DB, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db == nil {
		file, err := filepath.Abs(filepath.Join(s.opts.DataDir, "db", s.opts.Database+".sqlite"))
		if err != nil {
			return nil, "", err
		}
		db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
		if err != nil {
			return nil, "", fmt.Errorf("open the embedded database to read ids: %w", err)
		}
		db.SetMaxOpenConns(lookupConnections)
		db.SetMaxIdleConns(lookupConnections)
		r.db, r.tables = db, map[string]string{}
	}
	if t, ok := r.tables[collection]; ok {
		return r.db, t, nil
	}
	var table string
	err := r.db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table)
	if err == sql.ErrNoRows {
		return r.db, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("find the table of %s: %w", collection, err)
	}
	if !plainIDPrefix.MatchString(table) {
		return nil, "", fmt.Errorf("find the table of %s: unexpected table name %q", collection, table)
	}
	r.tables[collection] = table
	return r.db, table, nil
}

// close closes the read-only database.
func (r *idReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.db != nil {
		_ = r.db.Close()
		r.db = nil
	}
}
