package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Each customer's complaints, whatever channel they came through (issue #14, the repeat-complaint
// rule): a customer is known by their openid (WeChat) and by their phone number (an agent's
// registrations carry one; WeChat cases often too). For each key (CustomerKeys: a hash of the
// openid, a hash of the normalised phone) the collection customer_cases holds one small entry
// per complaint, with _id key#1, key#2, …: appending is an insert at the next free _id (a unique
// key: two writers of one entry get E11000 and the second takes the next), and reading is a few
// lookups by _id (the last entry is found by doubling and halving), so the customer's path never
// scans a collection nor updates one (design.md §7).
//
// The entries hold the keys' hashes, never a phone number or an openid.

func init() { addCollection("customer_cases") }

// CustomerCase is one complaint of a customer (an entry of customer_cases).
type CustomerCase struct {
	ID   string    `bson:"_id"` // key#n
	Case string    `bson:"case"`
	At   time.Time `bson:"at"` // when the case was received
}

// customerBackfillID is the _id of the mark of a finished BackfillCustomerCases.
const customerBackfillID = "backfill#v2"

// maxCustomerScan bounds the entries read back per key (RecentCustomerCases) and the probes of
// the search for a key's last entry.
const maxCustomerScan = 64

// CustomerKeys returns the keys of the customer's entries (customer_cases): one of the openid and
// one of the phone number, normalised (digits only, without a leading 86 on a mobile), for those
// given. The keys are hashes keyed with this database's own secret: they hold neither, and a
// phone number cannot be found from its key by trying every number.
func (s *Store) CustomerKeys(openID, phone string) []string {
	var keys []string
	if openID != "" {
		keys = append(keys, s.customerKey("O", openID))
	}
	if p := normalPhone(phone); p != "" {
		keys = append(keys, s.customerKey("P", p))
	}
	return keys
}

func (s *Store) customerKey(kind, v string) string {
	m := hmac.New(sha256.New, s.customerSecret)
	m.Write([]byte(kind + "/" + v))
	return kind + hex.EncodeToString(m.Sum(nil)[:16])
}

// customerSecretID is the _id (in MetaCollection) of the secret the customer keys are made with.
const customerSecretID = "customer-key-secret"

// loadCustomerSecret returns this database's secret for CustomerKeys, made at its first Open (32
// random bytes, written once: every instance on the database uses the first one written).
func (s *Store) loadCustomerSecret(ctx context.Context) ([]byte, error) {
	meta := s.db.Collection(MetaCollection)
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make the customer key secret: %w", err)
	}
	if _, err := meta.InsertOne(ctx, bson.D{{Key: "_id", Value: customerSecretID}, {Key: "key", Value: fresh}}); err != nil && !IsDuplicate(err) {
		return nil, fmt.Errorf("store the customer key secret: %w", err)
	}
	var d struct {
		Key []byte `bson:"key"`
	}
	if err := meta.FindOne(ctx, bson.D{{Key: "_id", Value: customerSecretID}}).Decode(&d); err != nil {
		return nil, fmt.Errorf("load the customer key secret: %w", notFound(err))
	}
	if len(d.Key) < 16 {
		return nil, fmt.Errorf("load the customer key secret: %d bytes stored", len(d.Key))
	}
	return d.Key, nil
}

// migrateCustomerKeys replaces the entries of an older version, keyed by plain hashes (a phone
// number could be found from its key by trying every number), with entries under CustomerKeys:
// the old entries and their backfill mark are deleted and the backfill runs again.
func migrateCustomerKeys(ctx context.Context, s *Store) error {
	c := s.db.Collection("customer_cases")
	legacy := bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^([op][0-9a-f]{32}#|backfill#v1$)"}}}}
	r, err := c.DeleteMany(ctx, legacy)
	if err != nil {
		return fmt.Errorf("delete the customers' entries under plain hashes: %w", err)
	}
	if r.DeletedCount > 0 {
		s.log.Info("deleted the customers' entries under plain hashes", "entries", r.DeletedCount)
	}
	return migrateCustomerCases(ctx, s)
}

// normalPhone is the digits of a phone number, "" when too few to be one: 13812345678 for
// "+86 138-1234-5678", 057188886666 for "0571-88886666".
func normalPhone(p string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, p)
	d = strings.TrimPrefix(d, "00")
	if len(d) == 13 && strings.HasPrefix(d, "861") {
		d = d[2:]
	}
	if len(d) < 7 {
		return ""
	}
	return d
}

func customerEntryID(key string, n int) string { return fmt.Sprintf("%s#%d", key, n) }

// customerLast finds the number of the key's last entry (0: none, probeLatest), reading the
// entries it probes into seen. The caller holds the key's lock (customerWriters): every search,
// append and erasure of a key in this process is one at a time, so on the embedded server —
// one process per data folder, the only writer — the number remembered for the key is exact
// and no lookup is needed (a customer's second complaint, or the append after the search of
// the first, costs none). Elsewhere another instance may have appended or erased meanwhile:
// the remembered number is where the search starts.
func (s *Store) customerLast(ctx context.Context, key string, seen map[int]CustomerCase) (int, error) {
	hint, known := s.customerHints.get(key)
	if known && s.Embedded() {
		return hint, nil
	}
	if n, ok := s.customerLastFromIndex(ctx, key); ok {
		s.customerHints.set(key, n)
		return n, nil
	}
	c := s.lookup("customer_cases")
	probes := 0
	has := func(n int) (bool, error) {
		if _, ok := seen[n]; ok {
			return true, nil
		}
		probes++
		if probes > maxCustomerScan {
			return false, fmt.Errorf("find the last complaint of a customer: more than %d lookups", maxCustomerScan)
		}
		var e CustomerCase
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: customerEntryID(key, n)}}).Decode(&e)
		if errors.Is(notFound(err), ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("load a complaint of a customer: %w", err)
		}
		seen[n] = e
		return true, nil
	}
	n, err := probeLatestFrom(int64(hint), func(n int64) (bool, error) { return has(int(n)) })
	if err == nil {
		s.customerHints.set(key, int(n))
	}
	return int(n), err
}

// customerLastFromIndex finds the number of the key's last entry on the embedded server with one
// read of the _id index (idsWithPrefix); ok is false when that cannot answer (the search by _id
// then does).
func (s *Store) customerLastFromIndex(ctx context.Context, key string) (int, bool) {
	ids, ok, err := s.idsWithPrefix(ctx, "customer_cases", key+"#", maxCustomerScan)
	if err != nil || !ok || len(ids) >= maxCustomerScan {
		return 0, false
	}
	last := 0
	for _, id := range ids {
		n, err := strconv.Atoi(strings.TrimPrefix(id, key+"#"))
		if err != nil || n <= 0 {
			return 0, false
		}
		last = max(last, n)
	}
	return last, true
}

// lastHints remembers, per key, the number of the key's last entry this process found, appended
// or left after an erasure (0), each under the key's lock. On the embedded server that is the
// number (customerLast); elsewhere it is where the next search starts (two lookups instead of
// 2·log2(n) for a phone number with many complaints), and may be stale (another instance
// appended, or erased): the search checks it and goes on upwards or starts over.
type lastHints struct {
	mu sync.Mutex
	m  map[string]int
}

// maxHints bounds the keys remembered (about 60 bytes each); past it they are forgotten at once.
const maxHints = 200_000

func (h *lastHints) get(key string) (n int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok = h.m[key]
	return n, ok
}

// drop forgets the key's number.
func (h *lastHints) drop(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.m, key)
}

// forgetAll forgets every key's number (entries were written past the keys' locks).
func (h *lastHints) forgetAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m = nil
}

func (h *lastHints) set(key string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil || len(h.m) >= maxHints {
		h.m = map[string]int{}
	}
	h.m[key] = n
}

// customerEntry returns the key's n-th entry, from seen or read by _id.
func (s *Store) customerEntry(ctx context.Context, key string, n int, seen map[int]CustomerCase) (CustomerCase, error) {
	if e, ok := seen[n]; ok {
		return e, nil
	}
	var e CustomerCase
	if err := s.lookup("customer_cases").FindOne(ctx, bson.D{{Key: "_id", Value: customerEntryID(key, n)}}).Decode(&e); err != nil {
		return e, fmt.Errorf("load a complaint of a customer: %w", notFound(err))
	}
	seen[n] = e
	return e, nil
}

// RecentCustomerCases returns the numbers of the complaints recorded for any of the keys
// (CustomerKeys) that were received at or after since, each once, newest entries first; it reads
// back at most limit entries per key (at most 64). Lookups by _id only.
func (s *Store) RecentCustomerCases(ctx context.Context, keys []string, since time.Time, limit int) ([]string, error) {
	limit = min(max(limit, 1), maxCustomerScan)
	var out []string
	for _, key := range keys {
		seen := map[int]CustomerCase{}
		unlock := s.customerWriters.Lock(key)
		last, err := s.customerLast(ctx, key, seen)
		unlock()
		if err != nil {
			return nil, err
		}
		for n := last; n >= 1 && n > last-limit; n-- {
			e, err := s.customerEntry(ctx, key, n, seen)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if e.At.Before(since) {
				break // entries are appended in the order cases are received
			}
			if !slices.Contains(out, e.Case) {
				out = append(out, e.Case)
			}
		}
	}
	return out, nil
}

// AddCustomerCase records the complaint number, received at at, for each of the keys
// (CustomerKeys). Recording it again (a turn applied twice) adds nothing when the number is among
// the key's last few entries.
func (s *Store) AddCustomerCase(ctx context.Context, keys []string, number string, at time.Time) error {
	// The keys side by side: their entries go to the database in one group.
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Go(func() { errs[i] = s.addCustomerEntry(ctx, key, number, at) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// addCustomerEntry appends the complaint number to the key's entries unless it is among the last
// few.
func (s *Store) addCustomerEntry(ctx context.Context, key, number string, at time.Time) error {
	// One writer of a key at a time in this process: concurrent complaints under one phone
	// number would otherwise race for each next entry (a lookup and a retry per collision).
	defer s.customerWriters.Lock(key)()
	c := s.db.Collection("customer_cases")
	seen := map[int]CustomerCase{}
	last, err := s.customerLast(ctx, key, seen)
	if err != nil {
		return err
	}
	for n := last; n >= 1 && n > last-4; n-- {
		e, err := s.customerEntry(ctx, key, n, seen)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if e.Case == number {
			return nil
		}
	}
	for n := last + 1; ; n++ {
		err := s.grouped.insert(ctx, c.Name(), CustomerCase{ID: customerEntryID(key, n), Case: number, At: at})[0]
		if err == nil {
			s.customerHints.set(key, n)
			return nil
		}
		if !IsDuplicate(err) || n > last+maxCustomerScan {
			return fmt.Errorf("record complaint %s of a customer: %w", number, err)
		}
		// Another instance took n: the next one, unless it recorded this number.
		var e CustomerCase
		if err := s.lookup(c.Name()).FindOne(ctx, bson.D{{Key: "_id", Value: customerEntryID(key, n)}}).Decode(&e); err == nil && e.Case == number {
			s.customerHints.set(key, n)
			return nil
		}
	}
}

// ForgetCustomerCases deletes the entries of the keys (CustomerKeys), for the erasure of one
// customer's personal data; it returns how many it deleted.
func (s *Store) ForgetCustomerCases(ctx context.Context, keys []string) (int, error) {
	c := s.db.Collection("customer_cases")
	deleted := 0
	for _, key := range keys {
		n, err := s.forgetCustomerKey(ctx, c, key)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// forgetCustomerKey deletes the key's entries, with the key's appends held off meanwhile.
func (s *Store) forgetCustomerKey(ctx context.Context, c *mongo.Collection, key string) (int, error) {
	defer s.customerWriters.Lock(key)()
	last, err := s.customerLast(ctx, key, map[int]CustomerCase{})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for n := last; n >= 1; n-- { // from the last: an interrupted erasure leaves a prefix to find
		r, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: customerEntryID(key, n)}})
		if err != nil {
			s.customerHints.drop(key) // the next search finds what is left
			return deleted, fmt.Errorf("erase the complaints of a customer: %w", err)
		}
		deleted += int(r.DeletedCount)
	}
	s.customerHints.set(key, 0)
	return deleted, nil
}

// migrateCustomerCases backfills the customers' complaints (BackfillCustomerCases) of the repeat
// window and a day before the newest complaint stored: the store has no clock at Open, and the
// newest complaint tells the time of the data.
func migrateCustomerCases(ctx context.Context, s *Store) error {
	newest, err := s.newestComplaint(ctx)
	if err != nil || newest.IsZero() {
		return err // no complaints: nothing to backfill
	}
	n, err := s.BackfillCustomerCases(ctx, newest.AddDate(0, 0, -customerBackfillDays))
	if n > 0 {
		s.log.Info("backfilled the customers' complaints for the repeat count", "cases", n)
	}
	return err
}

// newestComplaint returns when the newest complaint stored was received (zero: none). On the
// embedded server it reads the SQLite file (a sorted query there reads and sorts every case in
// Go: minutes on a year of cases, past the store's opening deadline).
func (s *Store) newestComplaint(ctx context.Context) (time.Time, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if s.Embedded() {
		db, table, err := s.readSQLite(ctx, "cases")
		if err != nil || table == "" {
			return time.Time{}, err
		}
		defer db.Close()
		var ms sql.NullInt64
		const j = sjsonColumn
		if err := db.QueryRowContext(ctx, `SELECT MAX(`+j+`->>'$.received_at') FROM "`+table+`" WHERE `+j+`->>'$.kind' = ?`,
			string(complaintbot.KindComplaint)).Scan(&ms); err != nil {
			return time.Time{}, fmt.Errorf("find the newest complaint: %w", err)
		}
		return sjsonTime(ms), nil
	}
	var newest complaintbot.Case
	err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "kind", Value: complaintbot.KindComplaint}},
		options.FindOne().SetSort(bson.D{{Key: "received_at", Value: -1}}).SetProjection(bson.D{{Key: "received_at", Value: 1}})).Decode(&newest)
	if errors.Is(notFound(err), ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("find the newest complaint: %w", err)
	}
	return newest.Received, nil
}

// complaintsSince returns the complaints received at or after since (number, openid, phone,
// received), oldest first: from the SQLite file on the embedded server, through the read-only
// connection otherwise.
func (s *Store) complaintsSince(ctx context.Context, since time.Time) ([]complaintbot.Case, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if !s.Embedded() {
		filter := bson.D{{Key: "kind", Value: complaintbot.KindComplaint}, {Key: "received_at", Value: bson.D{{Key: "$gte", Value: since}}}}
		cur, err := s.ScanCollection("cases").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "received_at", Value: 1}}).
			SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "openid", Value: 1}, {Key: "fields", Value: 1}, {Key: "received_at", Value: 1}}))
		if err != nil {
			return nil, err
		}
		var list []complaintbot.Case
		return list, cur.All(ctx, &list)
	}
	db, table, err := s.readSQLite(ctx, "cases")
	if err != nil || table == "" {
		return nil, err
	}
	defer db.Close()
	const j = sjsonColumn
	rows, err := db.QueryContext(ctx, `SELECT `+j+`->>'$._id', `+j+`->>'$.openid', `+j+`->>'$.fields.phone', `+j+`->>'$.received_at' FROM "`+
		table+`" WHERE `+j+`->>'$.kind' = ? AND `+j+`->>'$.received_at' >= ? ORDER BY 4`, string(complaintbot.KindComplaint), since.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []complaintbot.Case
	for rows.Next() {
		var openID, phone sql.NullString
		var at sql.NullInt64
		var c complaintbot.Case
		if err := rows.Scan(&c.Number, &openID, &phone, &at); err != nil {
			return nil, err
		}
		c.OpenID, c.Received = openID.String, sjsonTime(at)
		if phone.String != "" {
			c.Fields = map[string]string{complaintbot.FieldPhone: phone.String}
		}
		list = append(list, c)
	}
	return list, rows.Err()
}

// customerBackfillDays is how far before the newest case the backfill goes: the repeat window
// (cases.RepeatWindow, 30 days) and a day.
const customerBackfillDays = 31

// eraseCustomerCases deletes the complaint entries kept under the customers' openids, for
// EraseCustomers. (The entries under a phone's hash name only case numbers, anonymised by then.)
func (s *Store) eraseCustomerCases(ctx context.Context, openIDs []string) (Erasure, error) {
	var keys []string
	for _, id := range openIDs {
		keys = append(keys, s.CustomerKeys(id, "")...)
	}
	e := Erasure{}
	n, err := s.ForgetCustomerCases(ctx, keys)
	if n > 0 {
		e["customer_cases"] = n
	}
	return e, err
}

// BackfillCustomerCases records, once, the complaints received at or after since that were
// registered before the customer_cases records existed, oldest first; a finished backfill leaves
// a mark, and a second call does nothing. The cases are read from the SQLite file on the embedded
// server (complaintsSince), through the read-only connection otherwise; the entries are written
// in groups. It returns how many complaints it recorded. Call it at start, before customers' messages are taken, so the entries
// stay in the order the cases were received.
func (s *Store) BackfillCustomerCases(ctx context.Context, since time.Time) (int, error) {
	c := s.db.Collection("customer_cases")
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: customerBackfillID}}).Err()
	if err == nil {
		return 0, nil
	}
	if !errors.Is(notFound(err), ErrNotFound) {
		return 0, fmt.Errorf("backfill the customers' complaints: %w", err)
	}
	list, err := s.complaintsSince(ctx, since)
	if err != nil {
		return 0, fmt.Errorf("backfill the customers' complaints: %w", err)
	}
	// The collection is new: each key's entries are numbered from 1 in the order received and
	// written in groups. An entry someone wrote meanwhile (a duplicate _id) is appended one by one.
	next := map[string]int{}
	var docs []any
	n := 0
	for _, cs := range list {
		keys := s.CustomerKeys(cs.OpenID, cs.Fields[complaintbot.FieldPhone])
		if len(keys) == 0 {
			continue
		}
		for _, k := range keys {
			next[k]++
			docs = append(docs, CustomerCase{ID: customerEntryID(k, next[k]), Case: cs.Number, At: cs.Received})
		}
		n++
	}
	defer s.customerHints.forgetAll() // the groups are written past the keys' locks
	for len(docs) > 0 {
		batch := docs[:min(len(docs), 1000)]
		docs = docs[len(batch):]
		_, err := c.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false))
		for i, e := range eachError(err, len(batch), "insert") {
			if e == nil {
				continue
			}
			if !IsDuplicate(e) {
				return n, fmt.Errorf("backfill the customers' complaints: %w", e)
			}
			d := batch[i].(CustomerCase)
			key, _, _ := strings.Cut(d.ID, "#")
			if err := s.AddCustomerCase(ctx, []string{key}, d.Case, d.At); err != nil {
				return n, fmt.Errorf("backfill the customers' complaints: %w", err)
			}
		}
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: customerBackfillID}, {Key: "at", Value: since}, {Key: "cases", Value: n}}); err != nil && !IsDuplicate(err) {
		return n, fmt.Errorf("backfill the customers' complaints: %w", err)
	}
	return n, nil
}
