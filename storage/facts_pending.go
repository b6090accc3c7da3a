package storage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// report_pending holds the durable "this case's report figures are stale" marks: one insert per
// change that moves a figure (a survey sent, answered, expired or undeliverable, a deadline
// passing, an escalation, any change the case workflow makes), written by whoever made the change
// right after making it, and drained by the reports' leased drain job (reports.JobDrain). A mark
// is an insert with a unique _id of its own (the case number, the time and a random token), never
// an update: two writers never touch one document, a mark written while a drain is reading the
// case is a different document and is drained by the next run, and a mark written just before a
// shutdown or a crash is still there after the restart.

func init() { addCollection("report_pending") }

// PendingReport is one mark: the case whose figures are to be refreshed, the survey of the case
// that changed (if that is what changed), and when it was marked.
type PendingReport struct {
	ID     string    `bson:"_id"`
	Case   string    `bson:"case"`
	Survey string    `bson:"survey,omitempty"`
	At     time.Time `bson:"at"`
}

// MarkCaseReport records that the report figures of the case number are stale (at: now); survey
// names the case's survey when that is what changed (asked, answered, expired, undeliverable),
// "" otherwise. It is one insert on the main connection, in one command with other callers' marks
// (about half a millisecond on the embedded server, whatever the collection's size), and reads
// nothing.
func (s *Store) MarkCaseReport(ctx context.Context, number, survey string, at time.Time) error {
	if number == "" {
		return nil
	}
	id := number + "#" + strconv.FormatInt(at.UnixNano(), 36) + "#" + complaintbot.RandomToken(6)
	if err := s.grouped.insert(ctx, "report_pending", PendingReport{ID: id, Case: number, Survey: survey, At: at})[0]; err != nil && !IsDuplicate(err) {
		return fmt.Errorf("mark report of case %s stale: %w", number, err)
	}
	return nil
}

// PendingReports returns up to limit marks (0: all), oldest first. It reads through the read-only
// connection (the collection is small: the marks of the last few seconds).
func (s *Store) PendingReports(ctx context.Context, limit int) ([]PendingReport, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("report_pending").Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list stale reports: %w", err)
	}
	var out []PendingReport
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list stale reports: %w", err)
	}
	sortPending(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortPending(l []PendingReport) {
	slices.SortFunc(l, func(a, b PendingReport) int { return a.At.Compare(b.At) })
}

// ClearPendingReports deletes the given marks, one delete by _id each (the only filter the
// embedded server answers from its index); call it once the cases' facts are written.
func (s *Store) ClearPendingReports(ctx context.Context, ids []string) error {
	c := s.db.Collection("report_pending")
	for _, id := range ids {
		if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fmt.Errorf("clear stale report mark: %w", err)
		}
	}
	return nil
}
