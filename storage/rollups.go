package storage

import (
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CellKey is the combination of dimensions a rollup cell counts (the dashboard's filters and
// breakdowns; the names and JR/T 0169 codes follow from the codes).
type CellKey struct {
	Branch       string `bson:"b" json:"branch"`
	BranchName   string `bson:"bn" json:"branch_name"`
	Category     string `bson:"c" json:"category"`
	CategoryName string `bson:"cn" json:"category_name"`
	Channel      string `bson:"ch" json:"jr_channel"`
	Business     string `bson:"bu" json:"jr_business"`
	Reason       string `bson:"re" json:"jr_reason"`
	Kind         string `bson:"k" json:"kind"`
	Agent        string `bson:"a" json:"agent"`
	// ReceivedVia is the receiving channel (受理渠道, ReportFact.ReceivedVia): "" in a fact stored
	// before it was recorded, or in a rollup of RollupLayout 1.
	ReceivedVia string `bson:"rv" json:"received_via"`
}

// CustomerCount is how many cases one customer registered; Key is the customer's one-way key
// (ReportFact.Customer, 16 hex digits) as a number, 0 when unknown.
type CustomerCount struct {
	Key uint64 `bson:"k" json:"key"`
	N   int64  `bson:"n" json:"n"`
}

// CustomerKeyNumber turns a fact's customer key into CustomerCount.Key.
func CustomerKeyNumber(key string) uint64 {
	v, err := strconv.ParseUint(key, 16, 64)
	if err != nil {
		return 0
	}
	return v
}

// ReportCell holds the counts and sums of the facts of one CellKey in a period.
type ReportCell struct {
	CellKey        `bson:"key"`
	Cases          int64 `bson:"cases"`
	ReplyMet       int64 `bson:"reply_met"`
	ReplyMissed    int64 `bson:"reply_missed"`
	DecisionMet    int64 `bson:"decision_met"`
	DecisionMissed int64 `bson:"decision_missed"`
	Overdue        int64 `bson:"overdue"`
	// Withdrawn counts the cases the customer withdrew (撤回) before a decision.
	Withdrawn  int64 `bson:"withdrawn"`
	ReplyN     int64 `bson:"reply_n"`
	ReplySum   int64 `bson:"reply_sum"`
	ResolveN   int64 `bson:"resolve_n"`
	ResolveSum int64 `bson:"resolve_sum"`
	// ReplyMins and ResolveMins are the durations in minutes, sorted (exact percentiles).
	ReplyMins   []int64 `bson:"reply_mins"`
	ResolveMins []int64 `bson:"resolve_mins"`
	// Surveys counts the surveys asked (sent, answered or expired); Ratings[r] the ratings r (1–5).
	Surveys  int64 `bson:"surveys"`
	Answered int64 `bson:"answered"`
	Expired  int64 `bson:"expired"`
	// Undeliverable counts the surveys that never reached the customer (the question was marked
	// undeliverable and no reminder got through): counted apart, not among Surveys.
	Undeliverable int64           `bson:"undeliverable"`
	Ratings       []int64         `bson:"ratings"`
	Customers     []CustomerCount `bson:"customers"`
}

// ReportLow is a low rating, listed with its comment and follow-up status.
type ReportLow struct {
	CellKey  `bson:"key"`
	Number   string `bson:"number" json:"number"`
	Day      string `bson:"day" json:"day"`
	Rating   int    `bson:"rating" json:"rating"`
	Comment  string `bson:"comment" json:"comment"`
	FollowUp string `bson:"follow_up" json:"follow_up"`
}

// ReportRollup is the rollup of a day ("2026-11-27") or a month ("2026-11").
//
// In the database its cells and low ratings are one binary field (gob, deflated): the embedded server
// decodes large nested documents very slowly (a day of ~470 cells as sub-documents took 270 ms to
// read, a month 2.5 s), while a binary field of the same content is read in a few milliseconds.
type ReportRollup struct {
	ID    string       `bson:"_id"`
	Cells []ReportCell `bson:"-"`
	Low   []ReportLow  `bson:"-"`
	Built time.Time    `bson:"built_at"`
}

// rollupDoc is a ReportRollup as stored.
type rollupDoc struct {
	ID    string    `bson:"_id"`
	Built time.Time `bson:"built_at"`
	Cells int       `bson:"cells"`
	Blob  []byte    `bson:"blob"`
}

type rollupBody struct {
	Cells []ReportCell
	Low   []ReportLow
}

func (r *ReportRollup) doc() (*rollupDoc, error) {
	var buf bytes.Buffer
	z, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("encode report rollup %s: %w", r.ID, err)
	}
	if err := gob.NewEncoder(z).Encode(rollupBody{Cells: r.Cells, Low: r.Low}); err != nil {
		return nil, fmt.Errorf("encode report rollup %s: %w", r.ID, err)
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("encode report rollup %s: %w", r.ID, err)
	}
	return &rollupDoc{ID: r.ID, Built: r.Built, Cells: len(r.Cells), Blob: buf.Bytes()}, nil
}

func (d *rollupDoc) rollup() (*ReportRollup, error) {
	var b rollupBody
	if err := gob.NewDecoder(flate.NewReader(bytes.NewReader(d.Blob))).Decode(&b); err != nil {
		return nil, fmt.Errorf("decode report rollup %s: %w", d.ID, err)
	}
	if b.Low == nil {
		b.Low = []ReportLow{}
	}
	return &ReportRollup{ID: d.ID, Built: d.Built, Cells: b.Cells, Low: b.Low}, nil
}

var cellKeyExpr = bson.D{{Key: "b", Value: "$branch"}, {Key: "bn", Value: "$branch_name"}, {Key: "c", Value: "$category"},
	{Key: "cn", Value: "$category_name"}, {Key: "ch", Value: "$jr_channel"}, {Key: "bu", Value: "$jr_business"},
	{Key: "re", Value: "$jr_reason"}, {Key: "k", Value: "$kind"}, {Key: "a", Value: "$agent"}, {Key: "rv", Value: "$received_via"}}

func keyWith(extra ...bson.E) bson.D { return append(slices.Clone(cellKeyExpr), extra...) }

// group runs {$group: {_id: id, v: {$sum: sum}}} over the collection: one accumulator, the only
// kind the embedded server computes correctly.
func group[K any](ctx context.Context, c *mongo.Collection, id bson.D, sum any, fn func(K, int64)) error {
	pipe := mongo.Pipeline{{{Key: "$group", Value: bson.D{{Key: "_id", Value: id}, {Key: "v", Value: bson.D{{Key: "$sum", Value: sum}}}}}}}
	cur, err := c.Aggregate(ctx, pipe)
	if err != nil {
		return fmt.Errorf("aggregate %s: %w", c.Name(), err)
	}
	var rows []struct {
		ID K     `bson:"_id"`
		V  int64 `bson:"v"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return fmt.Errorf("aggregate %s: %w", c.Name(), err)
	}
	for _, r := range rows {
		fn(r.ID, r.V)
	}
	return nil
}

// ComputeDayRollup computes the rollup of a day from its facts, in the database: two
// one-accumulator $group pipelines (counts by cell, outcome and duration; cases by cell and
// customer) and a query for the low ratings, merged by cell in Go.
//
// The pipelines read every fact of the day (the embedded server filters and groups in Go), so
// they run on the read-only connection: rolling up a busy day took that long on the connection
// the webhook waits on.
func (s *Store) ComputeDayRollup(ctx context.Context, day string, now time.Time) (*ReportRollup, error) {
	if s.embedded != nil {
		// The day's facts read once and folded in Go: the server would read them all for each
		// pipeline, and a busy day's thousands of facts three times every minute.
		var facts []ReportFact
		if err := s.EachReportFact(ctx, day, FactFilter{}, func(f *ReportFact) error {
			facts = append(facts, *f)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("roll up %s: %w", day, err)
		}
		return FoldFacts(day, now, facts), nil
	}
	return s.ComputeDayRollupByPipelines(ctx, day, now)
}

// ComputeDayRollupByPipelines is ComputeDayRollup by the database's pipelines, on either server:
// what MongoDB runs, and what FoldFacts is checked against on the embedded server.
func (s *Store) ComputeDayRollupByPipelines(ctx context.Context, day string, now time.Time) (*ReportRollup, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	c := s.ScanCollection(FactCollection(day))
	cells := map[CellKey]*ReportCell{}
	cell := func(k CellKey) *ReportCell {
		if x := cells[k]; x != nil {
			return x
		}
		x := &ReportCell{CellKey: k, Ratings: make([]int64, 6)}
		cells[k] = x
		return x
	}
	// One pass counts the facts by cell and outcome, durations included: the counts give the
	// deadline and survey figures, and the (duration, count) pairs the sums and the exact sorted
	// lists for the percentiles. (The embedded server reads every document of the collection for
	// every pipeline, so fewer pipelines is what makes a rollup cheap.)
	type outcome struct {
		CellKey `bson:",inline"`
		RS      string `bson:"rs"`
		DS      string `bson:"ds"`
		OV      bool   `bson:"ov"`
		SV      string `bson:"sv"`
		R       int    `bson:"r"`
		HR      bool   `bson:"hr"`
		RM      int64  `bson:"rm"`
		HZ      bool   `bson:"hz"`
		ZM      int64  `bson:"zm"`
	}
	err := group(ctx, c, keyWith(bson.E{Key: "rs", Value: "$reply_state"}, bson.E{Key: "ds", Value: "$decision_state"},
		bson.E{Key: "ov", Value: "$overdue"}, bson.E{Key: "sv", Value: "$survey"}, bson.E{Key: "r", Value: "$rating"},
		bson.E{Key: "hr", Value: "$has_reply"}, bson.E{Key: "rm", Value: "$reply_min"},
		bson.E{Key: "hz", Value: "$has_resolve"}, bson.E{Key: "zm", Value: "$resolve_min"}), 1,
		func(o outcome, n int64) {
			x := cell(o.CellKey)
			x.Cases += n
			switch o.RS {
			case DeadlineMet:
				x.ReplyMet += n
			case DeadlineMissed:
				x.ReplyMissed += n
			}
			switch o.DS {
			case DeadlineMet:
				x.DecisionMet += n
			case DeadlineMissed:
				x.DecisionMissed += n
			case DeadlineWithdrawn:
				x.Withdrawn += n
			}
			if o.OV {
				x.Overdue += n
			}
			switch complaintbot.SurveyStatus(o.SV) {
			case complaintbot.SurveyUndeliverable:
				x.Undeliverable += n
			case complaintbot.SurveySent:
				x.Surveys += n
			case complaintbot.SurveyExpired:
				x.Surveys += n
				x.Expired += n
			case complaintbot.SurveyAnswered:
				x.Surveys += n
				x.Answered += n
				if o.R >= 1 && o.R <= 5 {
					x.Ratings[o.R] += n
				}
			}
			for range n {
				if o.HR {
					x.ReplyN++
					x.ReplySum += o.RM
					x.ReplyMins = append(x.ReplyMins, o.RM)
				}
				if o.HZ {
					x.ResolveN++
					x.ResolveSum += o.ZM
					x.ResolveMins = append(x.ResolveMins, o.ZM)
				}
			}
		})
	if err != nil {
		return nil, fmt.Errorf("roll up %s: %w", day, err)
	}
	type cust struct {
		CellKey `bson:",inline"`
		CU      string `bson:"cu"`
	}
	if err := group(ctx, c, keyWith(bson.E{Key: "cu", Value: "$customer"}), 1, func(k cust, n int64) {
		x := cell(k.CellKey)
		x.Customers = append(x.Customers, CustomerCount{Key: CustomerKeyNumber(k.CU), N: n})
	}); err != nil {
		return nil, fmt.Errorf("roll up %s: %w", day, err)
	}
	r := &ReportRollup{ID: day, Built: now, Low: []ReportLow{}}
	cur, err := c.Find(ctx, bson.D{{Key: "low", Value: true}, {Key: "survey", Value: complaintbot.SurveyAnswered}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("roll up %s: low ratings: %w", day, err)
	}
	var lows []ReportFact
	if err := cur.All(ctx, &lows); err != nil {
		return nil, fmt.Errorf("roll up %s: low ratings: %w", day, err)
	}
	for i := range lows {
		f := &lows[i]
		r.Low = append(r.Low, ReportLow{CellKey: factKey(f), Number: f.Number, Day: f.Day, Rating: f.Rating, Comment: f.Comment, FollowUp: f.FollowUp})
	}
	for _, x := range cells {
		slices.Sort(x.ReplyMins)
		slices.Sort(x.ResolveMins)
		slices.SortFunc(x.Customers, func(a, b CustomerCount) int { return cmp.Compare(a.Key, b.Key) })
		r.Cells = append(r.Cells, *x)
	}
	sortCells(r.Cells)
	return r, nil
}

func factKey(f *ReportFact) CellKey {
	return CellKey{Branch: f.Branch, BranchName: f.BranchName, Category: f.Category, CategoryName: f.CategoryName, Channel: f.Channel,
		Business: f.Business, Reason: f.Reason, Kind: f.Kind, Agent: f.Agent, ReceivedVia: f.ReceivedVia}
}

func sortCells(cells []ReportCell) {
	slices.SortFunc(cells, func(a, b ReportCell) int {
		return cmp.Or(cmp.Compare(a.Branch, b.Branch), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Agent, b.Agent),
			cmp.Compare(a.BranchName, b.BranchName), cmp.Compare(a.CategoryName, b.CategoryName), cmp.Compare(a.ReceivedVia, b.ReceivedVia))
	})
}

// MergeRollups sums rollups into one with the given id (a month is the sum of its days).
func MergeRollups(id string, now time.Time, parts []*ReportRollup) *ReportRollup {
	cells := map[CellKey]*ReportCell{}
	out := &ReportRollup{ID: id, Built: now, Low: []ReportLow{}}
	for _, p := range parts {
		for i := range p.Cells {
			src := &p.Cells[i]
			x := cells[src.CellKey]
			if x == nil {
				x = &ReportCell{CellKey: src.CellKey, Ratings: make([]int64, 6)}
				cells[src.CellKey] = x
			}
			AddCell(x, src)
		}
		out.Low = append(out.Low, p.Low...)
	}
	for _, x := range cells {
		slices.Sort(x.ReplyMins)
		slices.Sort(x.ResolveMins)
		x.Customers = mergeCustomers(x.Customers)
		out.Cells = append(out.Cells, *x)
	}
	sortCells(out.Cells)
	return out
}

// AddCell adds src's counts, sums and lists to x (lists are appended, not re-sorted).
func AddCell(x, src *ReportCell) {
	AddCounts(x, src)
	x.ReplyMins = append(x.ReplyMins, src.ReplyMins...)
	x.ResolveMins = append(x.ResolveMins, src.ResolveMins...)
	x.Customers = append(x.Customers, src.Customers...)
}

// AddCounts adds src's counts and sums to x, not its lists.
func AddCounts(x, src *ReportCell) {
	x.Cases += src.Cases
	x.ReplyMet += src.ReplyMet
	x.ReplyMissed += src.ReplyMissed
	x.DecisionMet += src.DecisionMet
	x.DecisionMissed += src.DecisionMissed
	x.Overdue += src.Overdue
	x.Withdrawn += src.Withdrawn
	x.ReplyN += src.ReplyN
	x.ReplySum += src.ReplySum
	x.ResolveN += src.ResolveN
	x.ResolveSum += src.ResolveSum
	x.Surveys += src.Surveys
	x.Answered += src.Answered
	x.Expired += src.Expired
	x.Undeliverable += src.Undeliverable
	if len(x.Ratings) < 6 {
		x.Ratings = append(x.Ratings, make([]int64, 6-len(x.Ratings))...)
	}
	for i, n := range src.Ratings {
		if i < 6 {
			x.Ratings[i] += n
		}
	}
}

func mergeCustomers(l []CustomerCount) []CustomerCount {
	slices.SortFunc(l, func(a, b CustomerCount) int { return cmp.Compare(a.Key, b.Key) })
	out := l[:0]
	for _, c := range l {
		if n := len(out); n > 0 && out[n-1].Key == c.Key {
			out[n-1].N += c.N
			continue
		}
		out = append(out, c)
	}
	return out
}

// PutReportRollup stores the rollup (replacing the previous one of its period).
func (s *Store) PutReportRollup(ctx context.Context, r *ReportRollup) error {
	d, err := r.doc()
	if err != nil {
		return err
	}
	_, err = s.db.Collection("report_rollups").ReplaceOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store report rollup %s: %w", r.ID, err)
	}
	return nil
}

// InsertReportRollups inserts new rollups with InsertMany (the benchmark's seeding).
func (s *Store) InsertReportRollups(ctx context.Context, rs []*ReportRollup) error {
	docs := make([]any, len(rs))
	for i := range rs {
		d, err := rs[i].doc()
		if err != nil {
			return err
		}
		docs[i] = d
	}
	if _, err := s.db.Collection("report_rollups").InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("insert %d report rollups: %w", len(docs), err)
	}
	return nil
}

// ReportRollups reads the rollups of the given periods by _id, one lookup each (the only lookup
// the embedded server answers from an index). Periods without a rollup are returned as nil; a
// lookup of a missing _id scans on the embedded server, so callers ask only for the periods
// ReportPeriods lists.
func (s *Store) ReportRollups(ctx context.Context, ids []string) ([]*ReportRollup, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	out := make([]*ReportRollup, len(ids))
	c := s.ScanCollection("report_rollups")
	for i, id := range ids {
		var d rollupDoc
		err := c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read report rollup %s: %w", id, err)
		}
		if out[i], err = d.rollup(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReportPeriods returns the ids of every stored rollup (days and months), read from one small
// index document kept up to date by MarkReportPeriod.
func (s *Store) ReportPeriods(ctx context.Context) (map[string]bool, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var doc struct {
		IDs []string `bson:"ids"`
	}
	err := s.ScanCollection("report_meta").FindOne(ctx, bson.D{{Key: "_id", Value: "periods"}}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("read report periods: %w", err)
	}
	out := make(map[string]bool, len(doc.IDs))
	for _, id := range doc.IDs {
		out[id] = true
	}
	return out, nil
}

// SetReportPeriods stores the list of periods that have a rollup.
func (s *Store) SetReportPeriods(ctx context.Context, ids []string) error {
	slices.Sort(ids)
	_, err := s.db.Collection("report_meta").ReplaceOne(ctx, bson.D{{Key: "_id", Value: "periods"}},
		bson.D{{Key: "_id", Value: "periods"}, {Key: "ids", Value: ids}}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store report periods: %w", err)
	}
	return nil
}

// RollupLayout is the shape of the rollups this version stores: 2 since their cells count the
// receiving channel (CellKey.ReceivedVia), 3 since a case past its reply date unreplied counts as
// overdue (complaintbot.IsOverdue). Rollups stored under an older layout must be recomputed from
// their facts, which hold every dimension (reports.Service.UpgradeRollups).
const RollupLayout = 3

// ReportLayout returns the layout the stored rollups were computed under (RollupLayout): 1 when
// none was recorded (rollups stored before layouts were).
func (s *Store) ReportLayout(ctx context.Context) (int, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var doc struct {
		V int `bson:"v"`
	}
	err := s.ScanCollection("report_meta").FindOne(ctx, bson.D{{Key: "_id", Value: "layout"}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read report layout: %w", err)
	}
	return doc.V, nil
}

// SetReportLayout records the layout the stored rollups are (or, once the days marked dirty are
// recomputed, will be) computed under.
func (s *Store) SetReportLayout(ctx context.Context, v int) error {
	_, err := s.db.Collection("report_meta").ReplaceOne(ctx, bson.D{{Key: "_id", Value: "layout"}},
		bson.D{{Key: "_id", Value: "layout"}, {Key: "v", Value: v}}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("store report layout: %w", err)
	}
	return nil
}
