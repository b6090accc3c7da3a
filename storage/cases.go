package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// NextCaseNumber reserves the next readable case number of the day, e.g. TS20261128-0007 (and on
// past 9999: TS20261128-10124), for the turn that registers the case. Numbers are unique across
// instances (each is an insert on a unique _id), and a turn has at most one: asking again for the
// same turn (a retry that raced the first try) returns the number reserved the first time, so
// retries leave no gaps. Every read is a lookup by _id: the day's last number is found by probing
// numbers, so a restart costs about 2·log2(numbers of the day) lookups, on a year of cases too.
func (s *Store) NextCaseNumber(ctx context.Context, prefix, day, turnID string) (string, error) {
	// A turn's second try (rare: the first was cut off before its turn was stored) finds its
	// number when its claim below fails; the first try, nearly every time, pays no lookup. The
	// number is handed out in memory and reserved in the database after: concurrent registrations
	// do not wait for each other's round trips.
	base := prefix + day + "-"
	// Tries of one turn in this process take turns, and a later one is given the number of the
	// first: a number is not handed out and given back, which would leave a gap.
	defer s.numberTurns.Lock(turnID)()
	if number, ok := s.turnNumbers.get(turnID); ok {
		return number, nil
	}
	number, err := s.reserveCaseNumber(ctx, base, turnID)
	if err == nil {
		s.turnNumbers.put(turnID, number)
	}
	return number, err
}

// turnNumbers remembers the case numbers recently reserved for turns (NextCaseNumber), bounded.
type turnNumbers struct {
	mu sync.Mutex
	m  map[string]string
}

// maxTurnNumbers bounds turnNumbers: past it, it starts over (a try after that finds its number
// in the database, by its claim).
const maxTurnNumbers = 10_000

func (t *turnNumbers) get(turnID string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.m[turnID]
	return n, ok
}

func (t *turnNumbers) put(turnID, number string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxTurnNumbers {
		t.m = map[string]string{}
	}
	t.m[turnID] = number
}

// reserveCaseNumber reserves the day's next number for the turn, or returns the one the turn
// reserved before (its claim).
func (s *Store) reserveCaseNumber(ctx context.Context, base, turnID string) (string, error) {
	taken := 0 // a number found reserved by another instance
	for range 1000 {
		n, err := s.takeCaseNumber(ctx, base, taken)
		if err != nil {
			return "", err
		}
		number := caseNumber(base, n)
		err = s.grouped.insert(ctx, s.caseNumbers.Name(), bson.D{{Key: "_id", Value: number}, {Key: "turn", Value: turnID}})[0]
		if IsDuplicate(err) {
			taken = n // another instance took it
			continue
		}
		if err != nil {
			s.giveBackCaseNumber(base, n)
			return "", fmt.Errorf("reserve case number %s: %w", number, err)
		}
		// The turn's claim on its number: a second try of the same turn that got here first
		// holds one already, and this one is given back.
		err = s.grouped.insert(ctx, s.caseNumberTurns.Name(), bson.D{{Key: "_id", Value: turnID}, {Key: "number", Value: number}})[0]
		if err == nil {
			return number, nil
		}
		if !IsDuplicate(err) {
			return "", fmt.Errorf("reserve case number %s for its turn: %w", number, err)
		}
		mine, ferr := s.caseNumberOfTurn(ctx, turnID)
		if ferr != nil || mine == "" {
			return "", fmt.Errorf("reserve case number %s: the turn's claim: %w", number, errors.Join(ferr, ErrNotFound))
		}
		if _, err := s.caseNumbers.DeleteOne(ctx, bson.D{{Key: "_id", Value: number}}); err == nil {
			s.giveBackCaseNumber(base, n)
		}
		return mine, nil
	}
	return "", fmt.Errorf("reserve case number %s: no free number after 1000 tries", base)
}

// takeCaseNumber hands out the day's next case number: after the last one handed out, found by
// probing at the day's first (or after taken, a number another instance reserved: the probe goes
// on upwards from it).
func (s *Store) takeCaseNumber(ctx context.Context, base string, taken int) (int, error) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if s.seq == nil {
		s.seq = map[string]int{}
	}
	n, ok := s.seq[base]
	if !ok || taken >= n {
		last, err := s.lastCaseNumberFrom(ctx, base, taken)
		if err != nil {
			return 0, err
		}
		n = max(n, last)
	}
	n++
	s.seq[base] = n
	return n, nil
}

// giveBackCaseNumber takes back the number n that was handed out and not kept, when no later one
// was handed out since (one handed out since leaves a gap: a number is never given twice).
func (s *Store) giveBackCaseNumber(base string, n int) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if s.seq[base] == n {
		s.seq[base] = n - 1
	}
}

// CaseNumberTurnsCollection holds each registering turn's claim on its case number, by turn id.
const CaseNumberTurnsCollection = "case_number_turns"

func init() {
	addCollection("case_numbers")
	addCollection(CaseNumberTurnsCollection)
	// The deadlines job's sweep reads the cases changed since its last run (ScanCasesUpdated).
	addIndex("cases", false, "updated_at", 1)
}

// caseNumber formats the n-th number of the day: four digits at least.
func caseNumber(base string, n int) string { return fmt.Sprintf("%s%04d", base, n) }

// caseNumberOfTurn returns the number the turn reserved, or "" if it has none.
func (s *Store) caseNumberOfTurn(ctx context.Context, turnID string) (string, error) {
	var doc struct {
		Number string `bson:"number"`
	}
	err := s.lookup(s.caseNumberTurns.Name()).FindOne(ctx, bson.D{{Key: "_id", Value: turnID}}).Decode(&doc)
	if notFound(err) == ErrNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the case number of turn %s: %w", turnID, err)
	}
	return doc.Number, nil
}

// lastCaseNumberFrom finds the day's last reserved number by probing numbers by _id, from hint
// (0: none), a number known reserved (numbers are reserved in order, so the reserved ones form a
// run from 1, but for the rare one given back).
func (s *Store) lastCaseNumberFrom(ctx context.Context, base string, hint int) (int, error) {
	n, err := probeLatestFrom(int64(hint), func(n int64) (bool, error) {
		err := s.caseNumbers.FindOne(ctx, bson.D{{Key: "_id", Value: caseNumber(base, int(n))}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if err == nil {
			return true, nil
		}
		if notFound(err) == ErrNotFound {
			return false, nil
		}
		return false, fmt.Errorf("find last case number %s: %w", base, err)
	})
	return int(n), err
}

// InsertCase registers the case. A case whose number or source turn is registered already is not
// written again, so re-applying a turn's effects is harmless.
func (s *Store) InsertCase(ctx context.Context, c *complaintbot.Case) error {
	if err := s.caseWriter.write(ctx, c); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("insert case %s: %w", c.Number, err)
	}
	s.notifyCaseChange(c.Number)
	return nil
}

// Case returns the case with the given number, or ErrNotFound.
func (s *Store) Case(ctx context.Context, number string) (*complaintbot.Case, error) {
	var c complaintbot.Case
	if err := s.lookup(s.cases.Name()).FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&c); err != nil {
		return nil, fmt.Errorf("load case %s: %w", number, notFound(err))
	}
	return &c, nil
}

// CasesOf returns the customer's cases, newest first, at most limit of them. On MongoDB it queries
// by openid (an index). On the embedded server, where that query read every case (a minute on a
// year of cases, for one conversation page), the numbers come from the customer's newest turn,
// which carries all of them (complaintbot.Turn.Cases), and each case is read by _id.
func (s *Store) CasesOf(ctx context.Context, openID string, limit int) ([]complaintbot.CaseSummary, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if s.embedded != nil {
		t, err := s.LatestTurn(ctx, openID)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list cases of customer: %w", err)
		}
		return s.CaseSummaries(ctx, t.Cases, limit)
	}
	opts := options.Find().SetSort(bson.D{{Key: "received_at", Value: -1}}).SetLimit(int64(limit)).SetProjection(summaryProjection)
	cur, err := s.ScanCollection("cases").Find(ctx, bson.D{{Key: "openid", Value: openID}}, opts)
	if err != nil {
		return nil, fmt.Errorf("list cases of customer: %w", err)
	}
	var docs []summaryDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list cases of customer: %w", err)
	}
	out := make([]complaintbot.CaseSummary, len(docs))
	for i := range docs {
		out[i] = docs[i].summary()
	}
	return out, nil
}

// summaryDoc is a case document as summaryProjection reads it.
type summaryDoc struct {
	complaintbot.CaseSummary `bson:",inline"`
	Work                     struct {
		Resolution *struct {
			At time.Time `bson:"at"`
		} `bson:"resolution"`
	} `bson:"work"`
}

// summary is the customer's summary; a case decided before decided_at was recorded is decided
// when its resolution was recorded.
func (d *summaryDoc) summary() complaintbot.CaseSummary {
	c := d.CaseSummary
	if c.Decided == nil && d.Work.Resolution != nil && !d.Work.Resolution.At.IsZero() &&
		(c.Status == complaintbot.StatusResolved || c.Status == complaintbot.StatusClosed) {
		at := d.Work.Resolution.At
		c.Decided = &at
	}
	return c
}

// CaseSummaries returns the summaries of the cases with the given numbers, newest (last) first,
// at most limit of them; numbers with no case are skipped. Each is a lookup by _id.
func (s *Store) CaseSummaries(ctx context.Context, numbers []string, limit int) ([]complaintbot.CaseSummary, error) {
	var out []complaintbot.CaseSummary
	for i := len(numbers) - 1; i >= 0 && len(out) < limit; i-- {
		var c summaryDoc
		err := s.lookup(s.cases.Name()).FindOne(ctx, bson.D{{Key: "_id", Value: numbers[i]}}, options.FindOne().SetProjection(summaryProjection)).Decode(&c)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load case %s: %w", numbers[i], err)
		}
		out = append(out, c.summary())
	}
	return out, nil
}

var summaryProjection = bson.D{{Key: "_id", Value: 1}, {Key: "kind", Value: 1}, {Key: "status", Value: 1}, {Key: "category", Value: 1},
	{Key: "branch", Value: 1}, {Key: "received_at", Value: 1}, {Key: "reply_due", Value: 1}, {Key: "decided_at", Value: 1}, {Key: "review", Value: 1},
	{Key: "work.resolution.at", Value: 1}}

// AddToCase appends a customer's further story and evidence, recorded by the turn turnID, to an
// open case of theirs. Applying the same turn twice adds it once. The case is read and written by
// _id alone (on the embedded server any other filter reads every case): whether it is the
// customer's and already has the turn's addition is checked on the document read.
func (s *Store) AddToCase(ctx context.Context, number, openID, turnID, note string, evidence []complaintbot.Evidence, at time.Time) error {
	var c struct {
		OpenID    string `bson:"openid"`
		Additions []struct {
			Turn string `bson:"turn"`
		} `bson:"additions"`
	}
	err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: number}},
		options.FindOne().SetProjection(bson.D{{Key: "openid", Value: 1}, {Key: "additions.turn", Value: 1}})).Decode(&c)
	if notFound(err) == ErrNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add to case %s: %w", number, err)
	}
	if c.OpenID != openID || slices.ContainsFunc(c.Additions, func(a struct {
		Turn string `bson:"turn"`
	}) bool {
		return a.Turn == turnID
	}) {
		return nil
	}
	addition := bson.D{{Key: "turn", Value: turnID}, {Key: "text", Value: note}, {Key: "at", Value: at}}
	push := bson.D{{Key: "additions", Value: addition}}
	if len(evidence) > 0 {
		push = append(push, bson.E{Key: "evidence", Value: bson.D{{Key: "$each", Value: evidence}}})
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "updated_at", Value: at}}}, {Key: "$push", Value: push}}
	filter := bson.D{{Key: "_id", Value: number}}
	if s.embedded == nil { // MongoDB: the same conditions in the update itself, atomic
		filter = append(filter, bson.E{Key: "openid", Value: openID}, bson.E{Key: "additions.turn", Value: bson.D{{Key: "$ne", Value: turnID}}})
	}
	if _, err := s.cases.UpdateOne(ctx, filter, update); err != nil {
		return fmt.Errorf("add to case %s: %w", number, err)
	}
	return nil
}

// ScanCase returns the case with the given number, or ErrNotFound, like Case but through the
// read-only connection (see ScanCollection), as the scheduler's and the reports' other reads do: a
// job looks at hundreds of cases after a busy hour, and must not take turns with the customers'
// writes for it. (Every change the scheduler makes is guarded by its own filter.)
func (s *Store) ScanCase(ctx context.Context, number string) (*complaintbot.Case, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var c complaintbot.Case
	if err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&c); err != nil {
		return nil, fmt.Errorf("load case %s: %w", number, notFound(err))
	}
	return &c, nil
}

// ScanCasesUpdated calls fn with the cases whose updated_at lies in (after, upTo], batch at a time.
func (s *Store) ScanCasesUpdated(ctx context.Context, after, upTo time.Time, batch int, fn func([]complaintbot.Case) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	return scanBatches(ctx, s, s.ScanCollection("cases"), filter, bson.D{{Key: "updated_at", Value: 1}}, batch, fn)
}

// EachReportCase calls fn with every case (received_at in [from, to) when from is set), batch at
// a time; the nightly rebuild uses it. Like every read of the reports (ScanCase for one case,
// ScanCasesUpdated for the cases changed) it goes through the read-only connection (see
// ScanCollection): the reports' refreshes follow the cases registered, and must not take turns
// with the customers' writes.
func (s *Store) EachReportCase(ctx context.Context, from, to time.Time, batch int, fn func([]complaintbot.Case) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{}
	if !from.IsZero() {
		filter = bson.D{{Key: "received_at", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: to}}}}
	}
	return scanBatches(ctx, s, s.ScanCollection("cases"), filter, nil, batch, fn)
}
