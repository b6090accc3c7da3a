package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Conversation search: the words customers and agents wrote (the customer's messages, agents'
// replies and notes, the service's notices) and the case numbers the bot registered, found by any
// part of them — a phone number's last digits, "保安", a case number.
//
// On the embedded server no query but one by _id is indexed, so a search over the turns would read
// every turn (a year holds millions) in Go. Instead the lines are copied into an SQLite full-text
// index of their own, SearchIndexFile under the data folder, beside (never inside) the server's
// database: IndexSearch reads the turns and transcript lines written since its last run straight
// from the server's SQLite file (read-only, by rowid, as sqlite_read.go reads the cases), never
// through the customers' connection, and the customer's write does not wait for it or depend on it.
// Each line is indexed as the overlapping pairs of its letters and digits (after folding: simplified
// characters, half-width, lower case; punctuation and spaces dropped), so a search for any two or
// more characters is a phrase query over pairs: an exact match of the folded text, Chinese words of
// two characters included (a trigram index would need three), "5678" found in "138-1234-5678".
// The index is a copy: deleting the file rebuilds it from the start at the next run.
//
// On MongoDB the search is a regular-expression query on the scan connection (the turns walked
// newest first through their index on "at"): it finds the text as written, not folded.
//
// Who may see a hit is not decided here: the console keeps only the hits of the sessions the
// user may see (handoffs.ViewFor).

// SearchIndexFile is the name of the embedded server's search index, in the data folder.
const SearchIndexFile = "search.sqlite"

// MinSearchRunes is the fewest letters or digits a search word must hold.
const MinSearchRunes = 2

// maxSearchWords bounds the words of one search, maxSearchRunes the letters or digits of a word.
const (
	maxSearchWords = 5
	maxSearchRunes = 40
)

// ErrSearchTooShort means the search holds no word, or a word of fewer than MinSearchRunes
// letters or digits.
var ErrSearchTooShort = errors.New("storage: search words need at least two letters or digits")

// ErrSearchTooLong means the search has more than five words, or a word of more than 40 letters
// or digits.
var ErrSearchTooLong = errors.New("storage: search has too many or too long words")

// SearchHit is one line of a conversation that matched a search.
type SearchHit struct {
	OpenID string
	// Line is the line's id as the transcript reads it (Line.ID): the turn's id for a customer's
	// message, the line's own key for the other lines.
	Line string
	// Session is the session of a customer's message (0 for the other lines, which follow the
	// session before them).
	Session int
	Dir     Direction
	// By is who wrote an outbound line or a note ("" for the customer's messages).
	By   string
	At   time.Time
	Text string
	// Cases are the numbers of the cases the customer's message registered.
	Cases []string
}

// SearchResult is what SearchLines found, newest first.
type SearchResult struct {
	Hits []SearchHit
	// Behind says that the index has not read everything written yet (the embedded server's
	// index after a start on a large database, until IndexSearch caught up): older lines may
	// be missing from the hits.
	Behind bool
}

// searchWords splits q into its words, each folded to the letters and digits search compares.
func searchWords(q string) ([][]rune, error) {
	var words [][]rune
	for _, w := range strings.Fields(textnorm.HalfWidth(q)) {
		rs := searchRunes(w)
		switch {
		case len(rs) < MinSearchRunes:
			return nil, ErrSearchTooShort
		case len(rs) > maxSearchRunes:
			return nil, ErrSearchTooLong
		}
		words = append(words, rs)
	}
	switch {
	case len(words) == 0:
		return nil, ErrSearchTooShort
	case len(words) > maxSearchWords:
		return nil, ErrSearchTooLong
	}
	return words, nil
}

// simplifiedRunes remembers each character's simplified form (textnorm.Simplified of the one
// character): the converter is slow (it dominated indexing), and a year's texts hold a few
// thousand distinct characters.
var simplifiedRunes sync.Map

// simplifiedRune returns r as a simplified character (r itself when it is one, or is no CJK).
func simplifiedRune(r rune) rune {
	if r < 0x2E80 {
		return r
	}
	if v, ok := simplifiedRunes.Load(r); ok {
		return v.(rune)
	}
	out := r
	if rs := []rune(textnorm.Simplified(string(r))); len(rs) == 1 {
		out = rs[0]
	}
	simplifiedRunes.Store(r, out)
	return out
}

// foldText returns s rune by rune as search reads it: rune i of the result is rune i of s folded
// (simplified character by character, half-width, lower case).
func foldText(s string) []rune {
	rs := []rune(s)
	for i, r := range rs {
		r = simplifiedRune(r)
		switch {
		case r >= '！' && r <= '～':
			r -= 0xFEE0
		case r == '\u3000':
			r = ' '
		}
		rs[i] = unicode.ToLower(r)
	}
	return rs
}

// searchable reports whether search compares r (letters and digits; the rest is dropped).
func searchable(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// searchRunes returns the letters and digits of s, folded.
func searchRunes(s string) []rune {
	rs := foldText(s)
	out := rs[:0]
	for _, r := range rs {
		if searchable(r) {
			out = append(out, r)
		}
	}
	return out
}

// pairTerm appends the index term of the pair a, b: their code points in hexadecimal, fixed
// width, so that the ASCII tokenizer keeps the pair as one term.
func pairTerm(b []byte, x, y rune) []byte {
	const hex = "0123456789abcdef"
	for _, r := range [2]rune{x, y} {
		for shift := 20; shift >= 0; shift -= 4 {
			b = append(b, hex[(r>>shift)&0xf])
		}
	}
	return b
}

// searchTerms returns the terms texts are indexed by: the overlapping pairs of their letters and
// digits, space-separated.
func searchTerms(texts ...string) string {
	var b []byte
	for _, t := range texts {
		rs := searchRunes(t)
		for i := 0; i+1 < len(rs); i++ {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = pairTerm(b, rs[i], rs[i+1])
		}
	}
	return string(b)
}

// matchExpr is the full-text query of words: each word a phrase of its pairs, all of them.
func matchExpr(words [][]rune) string {
	var parts []string
	for _, w := range words {
		var b []byte
		b = append(b, '"')
		for i := 0; i+1 < len(w); i++ {
			if i > 0 {
				b = append(b, ' ')
			}
			b = pairTerm(b, w[i], w[i+1])
		}
		b = append(b, '"')
		parts = append(parts, string(b))
	}
	return strings.Join(parts, " AND ")
}

// SearchMatch finds where the search q matches text: the text before the match, the match and the
// text after it, as written (the match spans the folded letters and digits of q's first word
// found; punctuation between them included). ok is false when q does not match text (a hit found
// by its case number only).
func SearchMatch(text, q string) (before, match, after string, ok bool) {
	words, err := searchWords(q)
	if err != nil {
		return "", "", "", false
	}
	rs := []rune(text)
	folded := foldText(text)
	var keep []rune // the letters and digits of text, folded
	var at []int    // their positions in rs
	for i, r := range folded {
		if searchable(r) {
			keep = append(keep, r)
			at = append(at, i)
		}
	}
	for _, w := range words {
		for i := 0; i+len(w) <= len(keep); i++ {
			if slices.Equal(keep[i:i+len(w)], w) {
				start, end := at[i], at[i+len(w)-1]+1
				return string(rs[:start]), string(rs[start:end]), string(rs[end:]), true
			}
		}
	}
	return "", "", "", false
}

// searchFetch is how many index rows one search reads at most.
const searchFetch = 2000

// SearchLines returns the newest lines (at most limit) whose text holds every word of q, or whose
// turn registered a case whose number holds them: ErrSearchTooShort or ErrSearchTooLong for a q
// it does not take. On the embedded server it first brings the index up to date for at most
// catchUp (the scheduler's job does the rest; see IndexSearch).
func (s *Store) SearchLines(ctx context.Context, q string, limit int, catchUp time.Duration) (SearchResult, error) {
	words, err := searchWords(q)
	if err != nil {
		return SearchResult{}, err
	}
	limit = min(max(limit, 1), searchFetch)
	if s.embedded == nil {
		return s.searchMongo(ctx, q, limit)
	}
	var res SearchResult
	if catchUp > 0 {
		_, done, err := s.indexSearch(ctx, catchUp)
		if err != nil {
			return res, fmt.Errorf("search conversations: %w", err)
		}
		res.Behind = !done
	}
	db, err := s.openSearchIndex(ctx)
	if err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT openid, line, session, at, dir, by, text, cases FROM hits WHERE hits MATCH ? ORDER BY rowid DESC LIMIT ?`,
		matchExpr(words), limit)
	if err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h SearchHit
		var at int64
		var cases string
		if err := rows.Scan(&h.OpenID, &h.Line, &h.Session, &at, &h.Dir, &h.By, &h.Text, &cases); err != nil {
			return res, fmt.Errorf("search conversations: %w", err)
		}
		h.At = time.UnixMilli(at).UTC()
		if cases != "" {
			h.Cases = strings.Split(cases, " ")
		}
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	slices.SortStableFunc(res.Hits, func(a, b SearchHit) int { return b.At.Compare(a.At) })
	return res, nil
}

// searchMongo answers a search on MongoDB: a regular expression per word over the customers'
// messages (newest first, through the index on "at") and the other lines, on the scan connection.
func (s *Store) searchMongo(ctx context.Context, q string, limit int) (SearchResult, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var res SearchResult
	var conds, lineConds bson.A
	for _, w := range strings.Fields(q) {
		re := bson.Regex{Pattern: regexp.QuoteMeta(w), Options: "i"}
		conds = append(conds, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "in.text", Value: re}},
			bson.D{{Key: "effects.list.case_number", Value: re}},
		}}})
		lineConds = append(lineConds, bson.D{{Key: "text", Value: re}})
	}
	cur, err := s.ScanCollection("turns").Find(ctx, bson.D{{Key: "$and", Value: conds}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(int64(limit)).
			SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "at", Value: 1}, {Key: "in", Value: 1}, {Key: "state.session", Value: 1}, {Key: "effects.list.case_number", Value: 1}}))
	if err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	var turns []struct {
		ID     string             `bson:"_id"`
		OpenID string             `bson:"openid"`
		At     time.Time          `bson:"at"`
		In     complaintbot.Input `bson:"in"`
		State  struct {
			Session int `bson:"session"`
		} `bson:"state"`
		Effects struct {
			List []struct {
				CaseNumber string `bson:"case_number"`
			} `bson:"list"`
		} `bson:"effects"`
	}
	if err := cur.All(ctx, &turns); err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	for _, t := range turns {
		h := SearchHit{OpenID: t.OpenID, Line: t.ID, Session: t.State.Session, Dir: Inbound, At: t.At, Text: t.In.Text}
		for _, e := range t.Effects.List {
			if e.CaseNumber != "" {
				h.Cases = append(h.Cases, e.CaseNumber)
			}
		}
		res.Hits = append(res.Hits, h)
	}
	cur, err = s.ScanCollection("messages").Find(ctx, bson.D{{Key: "$and", Value: lineConds}}, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	var lines []lineDoc
	if err := cur.All(ctx, &lines); err != nil {
		return res, fmt.Errorf("search conversations: %w", err)
	}
	for _, l := range lines {
		res.Hits = append(res.Hits, SearchHit{OpenID: l.OpenID, Line: l.Key, Dir: l.Dir, By: l.By, At: l.At, Text: l.Text})
	}
	slices.SortStableFunc(res.Hits, func(a, b SearchHit) int { return b.At.Compare(a.At) })
	if len(res.Hits) > limit {
		res.Hits = res.Hits[:limit]
	}
	return res, nil
}

// openSearchIndex opens the embedded server's search index, creating it when missing. The caller
// closes it.
func (s *Store) openSearchIndex(ctx context.Context) (*sql.DB, error) {
	file, err := filepath.Abs(filepath.Join(s.opts.DataDir, SearchIndexFile))
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS hits USING fts5(terms, text UNINDEXED, openid UNINDEXED, line UNINDEXED, session UNINDEXED,
			at UNINDEXED, dir UNINDEXED, by UNINDEXED, cases UNINDEXED, tokenize = 'ascii', columnsize = 0)`,
		`CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, row INTEGER NOT NULL, id TEXT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("open the search index: %w", err)
		}
	}
	return db, nil
}

// JobSearchIndex is the scheduler's job that runs IndexSearch, on SearchIndexSpec.
const (
	JobSearchIndex  = "search_index"
	SearchIndexSpec = "@every 1m"
)

// searchBatch is how many rows of a collection one step of IndexSearch copies, in one transaction.
const searchBatch = 2000

// IndexSearch copies into the embedded server's search index every turn and transcript line
// written since its last run, and returns how many it read. It reads the server's SQLite file
// directly (read-only), so the customers' connection never waits for it; two runs at once take
// turns (each step is one transaction of the index, which holds its own position). It does nothing
// on MongoDB. The scheduler runs it every minute.
func (s *Store) IndexSearch(ctx context.Context) (int, error) {
	n, _, err := s.indexSearch(ctx, 0)
	return n, err
}

// indexSearch is IndexSearch for at most budget (0: until done); done says it read everything.
func (s *Store) indexSearch(ctx context.Context, budget time.Duration) (n int, done bool, err error) {
	if s.embedded == nil {
		return 0, true, nil
	}
	start := time.Now()
	idx, err := s.openSearchIndex(ctx)
	if err != nil {
		return 0, false, err
	}
	defer idx.Close()
	for _, collection := range []string{"turns", "messages"} {
		src, table, err := s.readSQLite(ctx, collection)
		if err != nil {
			return n, false, fmt.Errorf("index conversations for search: %w", err)
		}
		for table != "" {
			k, err := s.indexSearchStep(ctx, idx, src, collection, table)
			n += k
			if err != nil {
				src.Close()
				return n, false, fmt.Errorf("index conversations for search: %w", err)
			}
			if k < searchBatch {
				break
			}
			if budget > 0 && time.Since(start) > budget {
				src.Close()
				return n, false, nil
			}
		}
		src.Close()
	}
	return n, true, nil
}

// indexSearchStep copies the next rows of the collection (held in table of src) into the index,
// in one transaction with the index's position, and returns how many rows it read.
func (s *Store) indexSearchStep(ctx context.Context, idx, src *sql.DB, collection, table string) (int, error) {
	tx, err := idx.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	var row int64
	var lastID string
	err = tx.QueryRowContext(ctx, `SELECT row, id FROM cursors WHERE source = ?`, collection).Scan(&row, &lastID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	const j = sjsonColumn
	if row > 0 {
		// Rowids are the server's own. The last row read may have been deleted since (a
		// customer's data erased): its rowid is then marked free ("" id), and SQLite gives it
		// to the next insert when it was the highest, which is then read as new. If the row
		// there is another document otherwise (the file was rebuilt or restored), the index no
		// longer matches the database and starts again.
		var id sql.NullString
		err := src.QueryRowContext(ctx, `SELECT `+j+`->>'$._id' FROM "`+table+`" WHERE rowid = ?`, row).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows) && lastID != "":
			if _, err := tx.ExecContext(ctx, `UPDATE cursors SET id = '' WHERE source = ?`, collection); err != nil {
				return 0, err
			}
			if err := tx.Commit(); err != nil {
				return 0, err
			}
			return s.indexSearchStep(ctx, idx, src, collection, table)
		case err == nil && lastID == "":
			row-- // the freed rowid went to a new document
		case errors.Is(err, sql.ErrNoRows):
		case err == nil && id.String != lastID:
			s.log.Warn("search index out of step with the database: indexing it again", "collection", collection)
			if _, err := tx.ExecContext(ctx, `DELETE FROM hits`); err != nil {
				return 0, err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM cursors`); err != nil {
				return 0, err
			}
			row = 0
		case err != nil:
			return 0, err
		}
	}
	var q string
	if collection == "turns" {
		q = `SELECT rowid, ` + j + `->>'$._id', ` + j + `->>'$._id', ` + j + `->>'$.openid', ` + j + `->>'$.at', ` + j + `->>'$.in.type', ` + j + `->>'$.in.text', ` +
			j + `->>'$.state.session', ` + j + `->'$.effects.list'`
	} else {
		q = `SELECT rowid, ` + j + `->>'$._id', ` + j + `->>'$.key', ` + j + `->>'$.openid', ` + j + `->>'$.at', ` + j + `->>'$.dir', ` + j + `->>'$.text', ` +
			j + `->>'$.by', NULL`
	}
	rows, err := src.QueryContext(ctx, q+` FROM "`+table+`" WHERE rowid > ? ORDER BY rowid LIMIT ?`, row, searchBatch)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", collection, err)
	}
	defer rows.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO hits (terms, text, openid, line, session, at, dir, by, cases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	n := 0
	for rows.Next() {
		var (
			docID, id, openID, kind, text, extra, effects sql.NullString
			at                                            sql.NullInt64
		)
		if err := rows.Scan(&row, &docID, &id, &openID, &at, &kind, &text, &extra, &effects); err != nil {
			return n, fmt.Errorf("read %s: %w", collection, err)
		}
		n++
		lastID = docID.String
		var session int64
		var dir Direction
		var by, cases string
		if collection == "turns" {
			if kind.String == string(complaintbot.InputControl) {
				continue
			}
			dir = Inbound
			session, _ = strconv.ParseInt(extra.String, 10, 64) // absent: session 0
			cases = turnCaseNumbers(effects.String)
		} else {
			dir, by = Direction(kind.String), extra.String
		}
		terms := searchTerms(text.String, cases)
		if terms == "" {
			continue
		}
		if _, err := ins.ExecContext(ctx, terms, text.String, openID.String, id.String, session, at.Int64, string(dir), by, cases); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read %s: %w", collection, err)
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cursors (source, row, id) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET row = excluded.row, id = excluded.id`, collection, row, lastID); err != nil {
		return n, err
	}
	return n, tx.Commit()
}

// turnCaseNumbers returns the numbers of the cases a turn's effects (as the server stores them,
// JSON) registered or concern, space-separated.
func turnCaseNumbers(effects string) string {
	if effects == "" {
		return ""
	}
	var list []struct {
		CaseNumber string `json:"case_number"`
		Case       *struct {
			Number string `json:"_id"`
		} `json:"case"`
	}
	if json.Unmarshal([]byte(effects), &list) != nil {
		return ""
	}
	var out []string
	for _, e := range list {
		n := e.CaseNumber
		if e.Case != nil && e.Case.Number != "" {
			n = e.Case.Number
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// ForgetSearch removes from the embedded server's search index the customers' lines written
// before before (the zero time: all of them), for the retention rules: what is erased or blanked in
// the database must not stay findable in the index (the console shows a hit only with the line's
// text as it is now, but the index file would still hold the old text). Each call reads the whole
// index (about a second a million lines); pass many customers at once. It does nothing on MongoDB.
func (s *Store) ForgetSearch(ctx context.Context, openIDs []string, before time.Time) (int, error) {
	if s.embedded == nil || len(openIDs) == 0 {
		return 0, nil
	}
	idx, err := s.openSearchIndex(ctx)
	if err != nil {
		return 0, fmt.Errorf("forget customers in the search index: %w", err)
	}
	defer idx.Close()
	cutoff := int64(math.MaxInt64)
	if !before.IsZero() {
		cutoff = before.UnixMilli()
	}
	n := 0
	for chunk := range slices.Chunk(openIDs, 500) {
		args := make([]any, 0, len(chunk)+1)
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, cutoff)
		r, err := idx.ExecContext(ctx, `DELETE FROM hits WHERE openid IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) AND at < ?`, args...)
		if err != nil {
			return n, fmt.Errorf("forget customers in the search index: %w", err)
		}
		k, _ := r.RowsAffected()
		n += int(k)
	}
	return n, nil
}
