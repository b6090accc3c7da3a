package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Supervisor reports are kept pre-aggregated in small pieces that are read by _id, because the
// embedded server scans a whole collection for every other filter (see design §7):
//
//   - report_facts_YYYYMMDD: one compact "fact" per case received that day (Asia/Shanghai): the
//     report dimensions and measures of the case, replaced by _id (the case number) whenever the
//     case or its survey changes. A day holds a few hundred facts, so pipelines over it are cheap.
//   - report_dirty: markers {_id: "2026-11-27"} (and {_id: "2026-11"}) of the days and months whose
//     rollup must be recomputed; inserting a marker that exists fails with E11000 (already dirty).
//   - report_rollups: per-day ({_id: "2026-11-27"}) and per-month ({_id: "2026-11"}) rollups: the
//     counts and sums of the period's facts grouped by cell (branch, category, kind, agent),
//     computed from a day's facts by one-accumulator $group pipelines (the embedded server
//     computes only the first accumulator of a $group correctly), merged in Go; a month is the
//     sum of its days.

// FactCollection returns the name of the fact collection of the day "2026-11-27".
func FactCollection(day string) string { return "report_facts_" + strings.ReplaceAll(day, "-", "") }

// The reports' collections other than the days' facts exist from the start, so that the
// embedded server's _id index on them is usable (see IndexEmbedded).
func init() {
	addCollection("report_dirty")
	addCollection("report_rollups")
	addCollection("report_meta")
}

// factCollection returns the fact collection of day, ready for lookups and replaces by _id (see
// readyCollection): every write of the reports goes there, on the connection the webhook uses.
func (s *Store) factCollection(ctx context.Context, day string) (*mongo.Collection, error) {
	return s.readyCollection(ctx, FactCollection(day), nil)
}

// Deadline states of a fact.
const (
	DeadlineMet     = "met"     // met in time
	DeadlineMissed  = "missed"  // met late, or not met and past due
	DeadlinePending = "pending" // not met yet, not due yet
	// DeadlineWithdrawn: the customer withdrew the case before the deadline was met (撤回): it
	// counts as neither met nor missed.
	DeadlineWithdrawn = "withdrawn"
)

// ReportFact is one case as the reports see it: its dimensions and measures, fixed in Asia/Shanghai.
type ReportFact struct {
	Number       string `bson:"_id" json:"number"`
	Day          string `bson:"day" json:"day"`
	Week         string `bson:"week" json:"week"`
	Month        string `bson:"month" json:"month"`
	Kind         string `bson:"kind" json:"kind"`
	Status       string `bson:"status" json:"status"`
	Branch       string `bson:"branch" json:"branch"`
	BranchName   string `bson:"branch_name" json:"branch_name"`
	Category     string `bson:"category" json:"category"`
	CategoryName string `bson:"category_name" json:"category_name"`
	Channel      string `bson:"jr_channel" json:"jr_channel"`
	Business     string `bson:"jr_business" json:"jr_business"`
	Reason       string `bson:"jr_reason" json:"jr_reason"`
	// Coding is the case's own JR/T 0169 codes (Case.Coding; empty axes: not coded yet). Channel,
	// Business and Reason above are the same codes, flat for the rollups' groups (a fact stored
	// before coding existed holds its category's older codes there). A fact stored before coding existed
	// has none until reports' rebuild refreshes it (the regulator figures count it as 未编码).
	Coding taxonomy.Coding `bson:"coding,omitempty" json:"coding"`
	// ReceivedVia is the case's receiving channel (受理渠道, Case.Channel: complaintbot.ReceivedWeChat
	// …); "" in a fact stored before it was recorded (every such case came through the bot).
	ReceivedVia string `bson:"received_via,omitempty" json:"received_via,omitempty"`
	// Agent is the case's assignee ("" when none).
	Agent string `bson:"agent" json:"agent"`
	// Customer is a short hash of the customer's openid (repeat complainants), never the openid.
	Customer    string     `bson:"customer" json:"-"`
	Received    time.Time  `bson:"received_at" json:"received_at"`
	ReplyDue    time.Time  `bson:"reply_due" json:"reply_due"`
	DecisionDue time.Time  `bson:"decision_due" json:"decision_due"`
	RepliedAt   *time.Time `bson:"replied_at,omitempty" json:"replied_at,omitempty"`
	ResolvedAt  *time.Time `bson:"resolved_at,omitempty" json:"resolved_at,omitempty"`
	// ReplyState and DecisionState are DeadlineMet, DeadlineMissed or DeadlinePending as of AsOf.
	ReplyState    string `bson:"reply_state" json:"reply_state"`
	DecisionState string `bson:"decision_state" json:"decision_state"`
	// Overdue: the case is overdue at AsOf (complaintbot.IsOverdue).
	Overdue bool `bson:"overdue" json:"overdue"`
	// HasReply/ReplyMin: minutes from receipt to the first reply; HasResolve/ResolveMin: to resolution.
	HasReply   bool  `bson:"has_reply" json:"has_reply"`
	ReplyMin   int64 `bson:"reply_min" json:"reply_min"`
	HasResolve bool  `bson:"has_resolve" json:"has_resolve"`
	ResolveMin int64 `bson:"resolve_min" json:"resolve_min"`
	// Survey is the status of the case's latest survey ("" when none was asked).
	Survey   string `bson:"survey" json:"survey"`
	SurveyID string `bson:"survey_id" json:"survey_id,omitempty"`
	Rating   int    `bson:"rating" json:"rating"`
	Low      bool   `bson:"low" json:"low"`
	Comment  string `bson:"comment" json:"comment"`
	// FollowUp is the status of the low rating's follow-up call ("" when none).
	FollowUp string `bson:"follow_up" json:"follow_up"`
	// Register fields (客户投诉登记簿).
	Name        string    `bson:"name" json:"name"`
	Phone       string    `bson:"phone" json:"phone"`
	Description string    `bson:"description" json:"description"`
	Request     string    `bson:"request" json:"request"`
	Department  string    `bson:"department" json:"department"`
	Handling    string    `bson:"handling" json:"handling"`
	Reply       string    `bson:"reply" json:"reply"`
	Handler     string    `bson:"handler" json:"handler"`
	AsOf        time.Time `bson:"as_of" json:"as_of"`
	// New says that no fact of the case is stored yet (PutReportFacts then inserts it); not stored.
	New bool `bson:"-" json:"-"`
}

// ReportFactOf returns the stored fact of the case received on day, or ErrNotFound.
func (s *Store) ReportFactOf(ctx context.Context, day, number string) (*ReportFact, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var f ReportFact
	if err := s.ScanCollection(FactCollection(day)).FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&f); err != nil {
		return nil, fmt.Errorf("load report fact %s: %w", number, notFound(err))
	}
	return &f, nil
}

// PutReportFacts stores the facts (replacing those of the same cases) and marks their days and
// months dirty. Facts marked New (a case the reports have no fact of yet: most of them, for a
// busy day's new cases) are inserted, which costs the embedded server far less than a replace;
// one that turns out to exist is replaced after all.
func (s *Store) PutReportFacts(ctx context.Context, facts []ReportFact) error {
	byDay := map[string][]*ReportFact{}
	var order []string
	for i := range facts {
		f := &facts[i]
		if byDay[f.Day] == nil {
			order = append(order, f.Day)
		}
		byDay[f.Day] = append(byDay[f.Day], f)
	}
	for _, day := range order {
		c, err := s.factCollection(ctx, day)
		if err != nil {
			return err
		}
		var fresh []any
		var freshFacts []*ReportFact
		var models []mongo.WriteModel
		for _, f := range byDay[day] {
			if f.New {
				fresh, freshFacts = append(fresh, f), append(freshFacts, f)
				continue
			}
			models = append(models, replaceFact(f))
		}
		dup, err := insertManyDups(ctx, c, fresh)
		if err != nil {
			return fmt.Errorf("store %d new report facts of %s: %w", len(fresh), day, err)
		}
		for i, d := range dup {
			if d {
				models = append(models, replaceFact(freshFacts[i]))
			}
		}
		if len(models) > 0 {
			if err := bulkWrite(ctx, c, models); err != nil {
				return fmt.Errorf("store %d report facts of %s: %w", len(models), day, err)
			}
		}
		if err := s.MarkReportDirty(ctx, day); err != nil {
			return err
		}
	}
	return nil
}

func replaceFact(f *ReportFact) mongo.WriteModel {
	return mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: f.Number}}).SetReplacement(f).SetUpsert(true)
}

// InsertReportFacts inserts new facts of one day with InsertMany, without marking anything dirty
// (the benchmark's seeding and the nightly rebuild of an emptied day).
func (s *Store) InsertReportFacts(ctx context.Context, day string, facts []ReportFact) error {
	docs := make([]any, len(facts))
	for i := range facts {
		docs[i] = facts[i]
	}
	if len(docs) == 0 {
		return nil
	}
	c, err := s.factCollection(ctx, day)
	if err != nil {
		return err
	}
	if _, err := c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
		return fmt.Errorf("insert %d report facts of %s: %w", len(docs), day, err)
	}
	return nil
}

// DropReportFacts drops the facts of day (the nightly rebuild starts each day afresh).
func (s *Store) DropReportFacts(ctx context.Context, day string) error {
	if err := s.db.Collection(FactCollection(day)).Drop(ctx); err != nil {
		return fmt.Errorf("drop report facts of %s: %w", day, err)
	}
	readyCollections.Delete(indexedDay{s.db, FactCollection(day)})
	return nil
}

// EachReportFact calls fn with the facts of day that the filter selects.
func (s *Store) EachReportFact(ctx context.Context, day string, filter FactFilter, fn func(*ReportFact) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(FactCollection(day)).Find(ctx, filter.query())
	if err != nil {
		return fmt.Errorf("read report facts of %s: %w", day, err)
	}
	if err := eachDecoded(ctx, cur, fn); err != nil {
		return fmt.Errorf("read report facts of %s: %w", day, err)
	}
	return nil
}

// MarkReportDirty marks the day ("2026-11-27"), its ISO week ("2026-W48") and its month
// ("2026-11") dirty: their rollups are recomputed by the next RebuildDirty. Marking a marked day
// again changes nothing (E11000).
func (s *Store) MarkReportDirty(ctx context.Context, day string) error {
	ids := []string{day, day[:7]}
	if t, err := time.Parse("2006-01-02", day); err == nil {
		y, w := t.ISOWeek()
		ids = append(ids, fmt.Sprintf("%04d-W%02d", y, w))
	}
	for _, id := range ids {
		if _, err := s.db.Collection("report_dirty").InsertOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil && !IsDuplicate(err) {
			return fmt.Errorf("mark report %s dirty: %w", id, err)
		}
	}
	return nil
}

// DirtyReports returns the days, weeks and months marked dirty (a small collection).
func (s *Store) DirtyReports(ctx context.Context) (days, weeks, months []string, err error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("report_dirty").Find(ctx, bson.D{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list dirty reports: %w", err)
	}
	var rows []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, nil, nil, fmt.Errorf("list dirty reports: %w", err)
	}
	for _, r := range rows {
		switch {
		case len(r.ID) == 7:
			months = append(months, r.ID)
		case strings.Contains(r.ID, "W"):
			weeks = append(weeks, r.ID)
		default:
			days = append(days, r.ID)
		}
	}
	return days, weeks, months, nil
}

// ClearReportDirty removes the dirty marker of a day or month; call it before recomputing, so
// that a change made meanwhile marks it again.
func (s *Store) ClearReportDirty(ctx context.Context, id string) error {
	if _, err := s.db.Collection("report_dirty").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("clear dirty report %s: %w", id, err)
	}
	return nil
}
