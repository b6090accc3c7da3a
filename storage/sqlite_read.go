package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// The embedded server's SQLite file is read directly, read-only, for the few whole-collection
// reads the service cannot avoid (at start, or rarely): SQLite picks the fields out of each
// document, where the server would decode every whole document in Go first. It depends on how
// FerretDB 1.24 lays documents out in SQLite (one table per collection, listed in
// _ferretdb_collections; one JSON column, _ferretdb_sjson; dates as milliseconds since 1970),
// which the tests in sqlite_read_internal_test.go hold against the server's own answers.

// sjsonColumn is the column that holds each document.
const sjsonColumn = `_ferretdb_sjson`

// readSQLite opens the embedded database file read-only and finds the table of collection;
// table is "" when the collection does not exist yet. The caller closes db.
func (s *Store) readSQLite(ctx context.Context, collection string) (db *sql.DB, table string, err error) {
	file, err := filepath.Abs(filepath.Join(s.opts.DataDir, "db", s.opts.Database+".sqlite"))
	if err != nil {
		return nil, "", err
	}
	db, err = sql.Open("sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, "", err
	}
	err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table)
	if err == sql.ErrNoRows {
		return db, "", nil
	}
	if err == nil && strings.ContainsAny(table, `"'`) {
		err = fmt.Errorf("unexpected table name %q", table)
	}
	if err != nil {
		db.Close()
		return nil, "", fmt.Errorf("find the table of %s: %w", collection, err)
	}
	return db, table, nil
}

// caseRowsFromSQLite calls fn with every case's list fields (see ListCases), in no particular
// order, on the embedded server: the case index's full read. On a year of cases (100,000) the
// server took more than a minute of one core, which the webhook's customers felt; this way it
// takes a few seconds. fn must not keep c, which is reused (it may keep what c points to).
func (s *Store) caseRowsFromSQLite(ctx context.Context, fn func(c *complaintbot.Case)) error {
	db, table, err := s.readSQLite(ctx, "cases")
	if err != nil {
		return err
	}
	defer db.Close()
	if table == "" {
		return nil
	}
	return scanCaseRows(ctx, db, table, "", nil, fn)
}

// scanCaseRows calls fn with the list fields of the cases of table that where selects ("": all;
// else a WHERE clause with its args), as caseRowsFromSQLite does.
func scanCaseRows(ctx context.Context, db *sql.DB, table, where string, args []any, fn func(c *complaintbot.Case)) error {
	const j = sjsonColumn
	// One json_extract of every field, which parses each document once (a field each took two
	// and a half times as long on a year of cases): a JSON array, in this order.
	rows, err := db.QueryContext(ctx, `SELECT json_extract(`+j+`, '$._id', '$.kind', '$.status', '$.category', '$.branch', '$.fields', `+
		`'$.received_at', '$.reply_due', '$.decision_due', '$.work.assignee', '$.work.malicious', '$.level', '$.risk', `+
		`'$.work.extension_request', '$.replied_at', '$.coding') FROM "`+table+`"`+where, args...)
	if err != nil {
		return fmt.Errorf("read the cases table: %w", err)
	}
	defer rows.Close()
	var r complaintbot.Case
	for rows.Next() {
		var (
			kind, status, assignee      sql.NullString
			category, branch, fields    sql.NullString
			malicious                   sql.NullString
			level, risk, extension      sql.NullString
			received, replyDue, decided sql.NullInt64
			replied                     sql.NullInt64
		)
		r = complaintbot.Case{}
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return fmt.Errorf("read the cases table: %w", err)
		}
		var v [16]json.RawMessage
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return fmt.Errorf("read the cases table: %w", err)
		}
		var number sql.NullString
		for i, dst := range []*sql.NullString{&number, &kind, &status} {
			if err := jsonText(v[i], dst); err != nil {
				return fmt.Errorf("read the cases table: %w", err)
			}
		}
		r.Number = number.String
		category, branch, fields = jsonRaw(v[3]), jsonRaw(v[4]), jsonRaw(v[5])
		for i, dst := range []*sql.NullInt64{&received, &replyDue, &decided} {
			if err := jsonInt(v[6+i], dst); err != nil {
				return fmt.Errorf("read case %s: %w", r.Number, err)
			}
		}
		if err := jsonText(v[9], &assignee); err != nil {
			return fmt.Errorf("read case %s: %w", r.Number, err)
		}
		malicious = jsonRaw(v[10])
		if err := jsonText(v[11], &level); err != nil {
			return fmt.Errorf("read case %s: %w", r.Number, err)
		}
		risk, extension = jsonRaw(v[12]), jsonRaw(v[13])
		if err := jsonInt(v[14], &replied); err != nil {
			return fmt.Errorf("read case %s: %w", r.Number, err)
		}
		if c := jsonRaw(v[15]); c.Valid {
			if err := json.Unmarshal([]byte(c.String), &r.Coding); err != nil {
				return fmt.Errorf("read case %s: coding: %w", r.Number, err)
			}
		}
		r.Kind, r.Status, r.Work.Assignee = complaintbot.Kind(kind.String), complaintbot.Status(status.String), assignee.String
		r.Received, r.ReplyDue, r.DecisionDue = sjsonTime(received), sjsonTime(replyDue), sjsonTime(decided)
		if category.Valid {
			r.Category = new(complaintbot.Category)
			if err := json.Unmarshal([]byte(category.String), r.Category); err != nil {
				return fmt.Errorf("read case %s: category: %w", r.Number, err)
			}
		}
		if branch.Valid {
			if err := json.Unmarshal([]byte(branch.String), &r.Branch); err != nil {
				return fmt.Errorf("read case %s: branch: %w", r.Number, err)
			}
		}
		if fields.Valid {
			if err := json.Unmarshal([]byte(fields.String), &r.Fields); err != nil {
				return fmt.Errorf("read case %s: fields: %w", r.Number, err)
			}
		}
		if malicious.Valid && malicious.String != "null" { // a cleared flag is stored as null
			var f struct {
				Reason string `json:"reason"`
				By     string `json:"by"`
				At     int64  `json:"at"`
			}
			if err := json.Unmarshal([]byte(malicious.String), &f); err != nil {
				return fmt.Errorf("read case %s: malicious flag: %w", r.Number, err)
			}
			r.Work.Malicious = &complaintbot.Flag{Reason: f.Reason, By: f.By, At: sjsonTime(sql.NullInt64{Int64: f.At, Valid: true})}
		}
		r.Level = level.String
		if replied.Valid {
			t := sjsonTime(replied)
			r.RepliedAt = &t
		}
		if risk.Valid && risk.String != "null" {
			var f struct {
				Reason string   `json:"reason"`
				Words  []string `json:"words"`
				Note   string   `json:"note"`
				By     string   `json:"by"`
				At     int64    `json:"at"`
			}
			if err := json.Unmarshal([]byte(risk.String), &f); err != nil {
				return fmt.Errorf("read case %s: risk flag: %w", r.Number, err)
			}
			r.Risk = &complaintbot.Risk{Reason: f.Reason, Words: f.Words, Note: f.Note, By: f.By, At: sjsonTime(sql.NullInt64{Int64: f.At, Valid: true})}
		}
		if extension.Valid && extension.String != "null" {
			var f struct {
				Due    int64  `json:"due"`
				Reason string `json:"reason"`
				By     string `json:"by"`
				At     int64  `json:"at"`
			}
			if err := json.Unmarshal([]byte(extension.String), &f); err != nil {
				return fmt.Errorf("read case %s: extension request: %w", r.Number, err)
			}
			r.Work.ExtensionRequest = &complaintbot.ExtensionRequest{Due: sjsonTime(sql.NullInt64{Int64: f.Due, Valid: true}), Reason: f.Reason, By: f.By,
				At: sjsonTime(sql.NullInt64{Int64: f.At, Valid: true})}
		}
		fn(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the cases table: %w", err)
	}
	return nil
}

// jsonText reads a JSON string (or null: not valid) of a json_extract array.
func jsonText(raw json.RawMessage, dst *sql.NullString) error {
	*dst = sql.NullString{}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dst.Valid = true
	return json.Unmarshal(raw, &dst.String)
}

// jsonInt reads a JSON number (or null: not valid) of a json_extract array.
func jsonInt(raw json.RawMessage, dst *sql.NullInt64) error {
	*dst = sql.NullInt64{}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dst.Valid = true
	return json.Unmarshal(raw, &dst.Int64)
}

// jsonRaw is a JSON value of a json_extract array: its text, not valid when the field is missing
// or null.
func jsonRaw(raw json.RawMessage) sql.NullString {
	if len(raw) == 0 || string(raw) == "null" {
		return sql.NullString{}
	}
	return sql.NullString{String: string(raw), Valid: true}
}

// sjsonTime turns a date as FerretDB stores it in SQLite (milliseconds since 1970) into the time
// the driver would decode; no value is the zero time.
func sjsonTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// openOutboxFromSQLite lists the outbox messages still open (pending, or of unknown outcome) on
// the embedded server: the first look of openOutbox.
func (s *Store) openOutboxFromSQLite(ctx context.Context) ([]complaintbot.OutboxMessage, error) {
	db, table, err := s.readSQLite(ctx, "outbox")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if table == "" {
		return nil, nil
	}
	const j = sjsonColumn
	rows, err := db.QueryContext(ctx, `SELECT `+j+`->>'$._id', `+j+`->>'$.openid', `+j+`->>'$.status', `+j+`->>'$.next_at' FROM "`+table+
		`" WHERE `+j+`->>'$.status' IN (?, ?)`, string(complaintbot.OutboxPending), string(complaintbot.OutboxUnknown))
	if err != nil {
		return nil, fmt.Errorf("read the outbox table: %w", err)
	}
	defer rows.Close()
	var out []complaintbot.OutboxMessage
	for rows.Next() {
		var m complaintbot.OutboxMessage
		var openID, status sql.NullString
		var next sql.NullInt64
		if err := rows.Scan(&m.ID, &openID, &status, &next); err != nil {
			return nil, fmt.Errorf("read the outbox table: %w", err)
		}
		m.OpenID, m.Status, m.NextAt = openID.String, complaintbot.OutboxStatus(status.String), sjsonTime(next)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the outbox table: %w", err)
	}
	return out, nil
}
