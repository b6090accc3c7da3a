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

// caseRowsFromSQLite reads every case's list row straight from the embedded server's SQLite
// file, read-only, letting SQLite pick the fields out of each document. Through the server the
// same read decodes every whole case document in Go: on a year of cases (100,000) that took more
// than a minute of one core, which the webhook's customers felt; this way it takes a few seconds.
// It depends on how FerretDB 1.24 lays documents out in SQLite (one JSON column, _ferretdb_sjson,
// dates as milliseconds since 1970), which TestCaseRowsFromSQLiteMatchTheServer holds.
func (s *Store) caseRowsFromSQLite(ctx context.Context) ([]CaseRow, error) {
	file, err := filepath.Abs(filepath.Join(s.opts.DataDir, "db", s.opts.Database+".sqlite"))
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var table string
	err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = 'cases'`).Scan(&table)
	if err == sql.ErrNoRows {
		return []CaseRow{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find the cases table: %w", err)
	}
	if strings.ContainsAny(table, `"'`) {
		return nil, fmt.Errorf("unexpected table name %q", table)
	}
	const j = `_ferretdb_sjson`
	rows, err := db.QueryContext(ctx, `SELECT `+j+`->>'$._id', `+j+`->>'$.kind', `+j+`->>'$.status', `+j+`->'$.category', `+
		j+`->'$.branch', `+j+`->'$.fields', `+j+`->>'$.received_at', `+j+`->>'$.reply_due', `+j+`->>'$.decision_due', `+
		j+`->>'$.work.assignee', `+j+`->'$.work.malicious' FROM "`+table+`"`)
	if err != nil {
		return nil, fmt.Errorf("read the cases table: %w", err)
	}
	defer rows.Close()
	out := []CaseRow{}
	for rows.Next() {
		var (
			r                           CaseRow
			kind, status, assignee      sql.NullString
			category, branch, fields    sql.NullString
			malicious                   sql.NullString
			received, replyDue, decided sql.NullInt64
		)
		if err := rows.Scan(&r.Number, &kind, &status, &category, &branch, &fields, &received, &replyDue, &decided, &assignee, &malicious); err != nil {
			return nil, fmt.Errorf("read the cases table: %w", err)
		}
		r.Kind, r.Status, r.Work.Assignee = complaintbot.Kind(kind.String), complaintbot.Status(status.String), assignee.String
		r.Received, r.ReplyDue, r.DecisionDue = sjsonTime(received), sjsonTime(replyDue), sjsonTime(decided)
		if category.Valid {
			r.Category = new(complaintbot.Category)
			if err := json.Unmarshal([]byte(category.String), r.Category); err != nil {
				return nil, fmt.Errorf("read case %s: category: %w", r.Number, err)
			}
		}
		if branch.Valid {
			if err := json.Unmarshal([]byte(branch.String), &r.Branch); err != nil {
				return nil, fmt.Errorf("read case %s: branch: %w", r.Number, err)
			}
		}
		if fields.Valid {
			if err := json.Unmarshal([]byte(fields.String), &r.Fields); err != nil {
				return nil, fmt.Errorf("read case %s: fields: %w", r.Number, err)
			}
		}
		if malicious.Valid {
			var f struct {
				Reason string `json:"reason"`
				By     string `json:"by"`
				At     int64  `json:"at"`
			}
			if err := json.Unmarshal([]byte(malicious.String), &f); err != nil {
				return nil, fmt.Errorf("read case %s: malicious flag: %w", r.Number, err)
			}
			r.Work.Malicious = &Flag{Reason: f.Reason, By: f.By, At: sjsonTime(sql.NullInt64{Int64: f.At, Valid: true})}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the cases table: %w", err)
	}
	return out, nil
}

// sjsonTime turns a date as FerretDB stores it in SQLite (milliseconds since 1970) into the time
// the driver would decode; no value is the zero time.
func sjsonTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}
