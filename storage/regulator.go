package storage

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The regulator figures keep, per day, the compact facts of the day's complaints in one document
// of report_regulator ({_id: "2026-11-27", facts: [...]}), read by _id: a month is then 30
// lookups instead of 30 scans of whole fact collections. A day's document is written afresh
// (deleted, then inserted) whenever the day's rollup is recomputed (reports.Service.rebuildDirty),
// which every change to the day's facts leads to, and the first time the figures need a day that
// has none.
func init() { addCollection(RegulatorCollection) }

// RegulatorCollection holds the days' regulator summaries.
const RegulatorCollection = "report_regulator"

// RegulatorDay is the summary of a day for the regulator figures.
type RegulatorDay struct {
	Day   string
	Built time.Time
	Facts []RegulatorFact
}

// regulatorDoc is a RegulatorDay as stored: its facts are one binary field (gob, deflated), which
// the embedded server reads in milliseconds where the same facts as sub-documents take it a
// tenth of a second and more (see ReportRollup).
type regulatorDoc struct {
	Day   string    `bson:"_id"`
	Built time.Time `bson:"built_at"`
	N     int       `bson:"n"`
	Blob  []byte    `bson:"blob"`
}

// RegulatorDayOf returns the stored summary of day, or nil when there is none.
func (s *Store) RegulatorDayOf(ctx context.Context, day string) (*RegulatorDay, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var d regulatorDoc
	err := s.ScanCollection(RegulatorCollection).FindOne(ctx, bson.D{{Key: "_id", Value: day}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read regulator summary of %s: %w", day, err)
	}
	out := &RegulatorDay{Day: d.Day, Built: d.Built, Facts: []RegulatorFact{}}
	if err := gob.NewDecoder(flate.NewReader(bytes.NewReader(d.Blob))).Decode(&out.Facts); err != nil {
		return nil, fmt.Errorf("decode regulator summary of %s: %w", day, err)
	}
	return out, nil
}

// PutRegulatorDay stores the summary of a day (an insert: one already stored is kept).
func (s *Store) PutRegulatorDay(ctx context.Context, d *RegulatorDay) error {
	var buf bytes.Buffer
	z, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return fmt.Errorf("encode regulator summary of %s: %w", d.Day, err)
	}
	facts := d.Facts
	if facts == nil {
		facts = []RegulatorFact{}
	}
	if err := gob.NewEncoder(z).Encode(facts); err != nil {
		return fmt.Errorf("encode regulator summary of %s: %w", d.Day, err)
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("encode regulator summary of %s: %w", d.Day, err)
	}
	doc := regulatorDoc{Day: d.Day, Built: d.Built, N: len(facts), Blob: buf.Bytes()}
	if _, err := s.db.Collection(RegulatorCollection).InsertOne(ctx, doc); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("store regulator summary of %s: %w", d.Day, err)
	}
	return nil
}

// DropRegulatorDay deletes the summary of day (its facts changed).
func (s *Store) DropRegulatorDay(ctx context.Context, day string) error {
	if _, err := s.db.Collection(RegulatorCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: day}}); err != nil {
		return fmt.Errorf("drop regulator summary of %s: %w", day, err)
	}
	return nil
}

// RegulatorFact is what the regulator figures read of a report fact: the complaint's branch,
// status, coding, receiving channel and dates, without the register's texts.
type RegulatorFact struct {
	Number      string          `bson:"_id"`
	Status      string          `bson:"status"`
	Branch      string          `bson:"branch"`
	BranchName  string          `bson:"branch_name"`
	Coding      taxonomy.Coding `bson:"coding"`
	ReceivedVia string          `bson:"received_via"`
	Received    time.Time       `bson:"received_at"`
	DecisionDue time.Time       `bson:"decision_due"`
	// ResolvedAt is when the case was decided (its resolution, once it is no longer open).
	ResolvedAt *time.Time `bson:"resolved_at,omitempty"`
}

// regulatorProjection keeps only the fields of RegulatorFact: a fact also holds up to a few
// kilobytes of register text that the figures do not need.
var regulatorProjection = bson.D{
	{Key: "status", Value: 1}, {Key: "branch", Value: 1}, {Key: "branch_name", Value: 1}, {Key: "coding", Value: 1},
	{Key: "received_via", Value: 1}, {Key: "received_at", Value: 1}, {Key: "decision_due", Value: 1}, {Key: "resolved_at", Value: 1},
}

// EachRegulatorFact calls fn with the complaints (kind complaint) among the facts of day, limited
// to the branch codes in branches when branches is not nil. It reads on the read-only connection
// (ScanCollection): a day's fact collection is small, but a quarter is ninety of them.
func (s *Store) EachRegulatorFact(ctx context.Context, day string, branches []string, fn func(*RegulatorFact) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	q := FactFilter{Branches: branches, Kind: string(complaintbot.KindComplaint)}
	cur, err := s.ScanCollection(FactCollection(day)).Find(ctx, q.query(), options.Find().SetProjection(regulatorProjection).SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("read regulator facts of %s: %w", day, err)
	}
	if err := eachDecoded(ctx, cur, fn); err != nil {
		return fmt.Errorf("read regulator facts of %s: %w", day, err)
	}
	return nil
}
