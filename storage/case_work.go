package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrCaseChanged means the case changed since it was read: reload it and decide again.
var ErrCaseChanged = errors.New("the case changed meanwhile")

// CaseChange is one change to a case by the console, applied by UpdateCase in one update. Nil
// fields stay as they are.
type CaseChange struct {
	// Rev is the revision the change was decided on; the change fails with ErrCaseChanged if the
	// case has another by now.
	Rev int64
	// FromStatus, when set, must still be the case's status.
	FromStatus  complaintbot.Status
	Status      *complaintbot.Status
	Assignee    *string
	AcceptedAt  *time.Time
	AcceptedBy  *string
	Departments *complaintbot.Departments
	// Malicious sets the flag; ClearMalicious removes it.
	Malicious      *complaintbot.Flag
	ClearMalicious bool
	Resolution     *complaintbot.Resolution
	// Replied records the case's first reply (Case.RepliedAt): the change fails with
	// ErrCaseChanged if the case has one by now.
	Replied *time.Time
	// Review sets the case's review (核查) request or its result.
	Review      *complaintbot.Review
	DecisionDue *time.Time
	Extensions  *int
	// Coding replaces the case's JR/T 0169 codes.
	Coding *taxonomy.Coding
	// Level sets the case's level (complaintbot.LevelNormal, ...).
	Level *string
	// Risk raises the risk flag; ClearRisk removes it.
	Risk      *complaintbot.Risk
	ClearRisk bool
	// ExtensionRequest files an extension awaiting approval; ClearExtensionRequest removes it
	// (approved or refused).
	ExtensionRequest      *complaintbot.ExtensionRequest
	ClearExtensionRequest bool
	// Entries are appended to the timeline.
	Entries []complaintbot.TimelineEntry
	At      time.Time
}

// UpdateCase applies the change: one update of the case document guarded by its revision (and
// status), atomic on MongoDB and on the embedded server (which runs on one connection).
func (s *Store) UpdateCase(ctx context.Context, number string, ch CaseChange) error {
	var conds bson.D
	if ch.Rev == 0 {
		conds = append(conds, bson.E{Key: "work.rev", Value: bson.D{{Key: "$exists", Value: false}}})
	} else {
		conds = append(conds, bson.E{Key: "work.rev", Value: ch.Rev})
	}
	if ch.FromStatus != "" {
		conds = append(conds, bson.E{Key: "status", Value: ch.FromStatus})
	}
	set := bson.D{{Key: "work.rev", Value: ch.Rev + 1}, {Key: "updated_at", Value: ch.At}}
	add := func(k string, v any) { set = append(set, bson.E{Key: k, Value: v}) }
	if ch.Status != nil {
		add("status", *ch.Status)
	}
	if ch.Assignee != nil {
		add("work.assignee", *ch.Assignee)
	}
	if ch.AcceptedAt != nil {
		add("work.accepted_at", *ch.AcceptedAt)
	}
	if ch.AcceptedBy != nil {
		add("work.accepted_by", *ch.AcceptedBy)
	}
	if ch.Departments != nil {
		add("work.departments", *ch.Departments)
	}
	if ch.Malicious != nil {
		add("work.malicious", *ch.Malicious)
	}
	if ch.ClearMalicious {
		add("work.malicious", nil)
	}
	if ch.Replied != nil {
		conds = append(conds, bson.E{Key: "replied_at", Value: bson.D{{Key: "$exists", Value: false}}})
		add("replied_at", *ch.Replied)
	}
	if ch.Resolution != nil {
		add("work.resolution", *ch.Resolution)
		add("decided_at", ch.Resolution.At) // the review window runs from it (Case.Decided)
	}
	if ch.Review != nil {
		add("review", *ch.Review)
	}
	if ch.DecisionDue != nil {
		add("decision_due", *ch.DecisionDue)
	}
	if ch.Extensions != nil {
		add("work.extensions", *ch.Extensions)
	}
	if ch.Coding != nil {
		add("coding", *ch.Coding)
	}
	if ch.Level != nil {
		add("level", *ch.Level)
	}
	if ch.Risk != nil {
		add("risk", *ch.Risk)
	}
	if ch.ClearRisk {
		add("risk", nil)
	}
	if ch.ExtensionRequest != nil {
		add("work.extension_request", *ch.ExtensionRequest)
	}
	if ch.ClearExtensionRequest {
		add("work.extension_request", nil)
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(ch.Entries) > 0 {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "work.timeline", Value: bson.D{{Key: "$each", Value: ch.Entries}}}}})
	}
	did, err := s.updateIf(ctx, s.cases, number, conds, update)
	if err != nil {
		return fmt.Errorf("update case %s: %w", number, err)
	}
	if !did {
		return ErrCaseChanged
	}
	// The scheduler re-reads the case's deadlines and status (notices, reminders, surveys).
	return s.CaseChanged(ctx, number, ch.At)
}

// CaseFilter selects cases for a list, a search or an export. Zero fields select everything.
type CaseFilter struct {
	// Branches limits the cases to these branch codes; nil means every branch (head office).
	Branches []string
	Status   []complaintbot.Status
	Kind     complaintbot.Kind
	Category string // category code
	Branch   string // one branch code
	// Assignee is a user name, or "-" for unassigned cases.
	Assignee string
	// Overdue selects the cases overdue at Now (complaintbot.IsOverdue).
	Overdue bool
	Now     time.Time
	// Risk selects the cases with the risk flag raised.
	Risk bool
	// From and To bound the time of receipt (To exclusive).
	From, To time.Time
	// Query searches case numbers, phone numbers and the customer's text.
	Query string
}

func (f CaseFilter) bson() bson.D {
	// Every condition is its own clause of an $and, so that two conditions on one field (a
	// branch filter within the user's branches, a status filter with "overdue") never become
	// duplicate keys of one document.
	var and bson.A
	add := func(k string, v any) { and = append(and, bson.D{{Key: k, Value: v}}) }
	if f.Branches != nil {
		add("branch.code", bson.D{{Key: "$in", Value: f.Branches}})
	}
	if f.Branch != "" {
		add("branch.code", f.Branch)
	}
	if len(f.Status) > 0 {
		add("status", bson.D{{Key: "$in", Value: f.Status}})
	}
	if f.Kind != "" {
		add("kind", f.Kind)
	}
	if f.Category != "" {
		add("category.code", f.Category)
	}
	switch f.Assignee {
	case "":
	case "-":
		add("work.assignee", bson.D{{Key: "$in", Value: bson.A{nil, ""}}})
	default:
		add("work.assignee", f.Assignee)
	}
	if f.Overdue {
		// complaintbot.IsOverdue: open, and past the reply date unreplied or past the decision deadline.
		add("status", bson.D{{Key: "$nin", Value: bson.A{complaintbot.StatusResolved, complaintbot.StatusClosed, complaintbot.StatusWithdrawn}}})
		passed := bson.D{{Key: "$gt", Value: time.Time{}}, {Key: "$lt", Value: f.Now}}
		add("$or", bson.A{
			bson.D{{Key: "decision_due", Value: passed}},
			bson.D{{Key: "reply_due", Value: passed}, {Key: "replied_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		})
	}
	if f.Risk {
		add("risk", bson.D{{Key: "$ne", Value: nil}})
	}
	if !f.From.IsZero() {
		add("received_at", bson.D{{Key: "$gte", Value: f.From}})
	}
	if !f.To.IsZero() {
		add("received_at", bson.D{{Key: "$lt", Value: f.To}})
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		upper := strings.ToUpper(q)
		if complaintbot.IsCaseNumber(upper) {
			add("_id", upper)
		} else {
			quoted := regexp.QuoteMeta(q)
			or := bson.A{
				bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^" + regexp.QuoteMeta(upper)}}}},
				bson.D{{Key: "fields.description", Value: bson.D{{Key: "$regex", Value: quoted}}}},
				bson.D{{Key: "fields.request", Value: bson.D{{Key: "$regex", Value: quoted}}}},
				bson.D{{Key: "fields.name", Value: bson.D{{Key: "$regex", Value: quoted}}}},
			}
			if digits := onlyDigits(q); len(digits) >= 4 && len(digits) == len(strings.ReplaceAll(q, " ", "")) {
				or = append(or, bson.D{{Key: "fields.phone", Value: bson.D{{Key: "$regex", Value: digits}}}})
			}
			add("$or", or)
		}
	}
	switch len(and) {
	case 0:
		return bson.D{}
	case 1:
		return and[0].(bson.D)
	}
	return bson.D{{Key: "$and", Value: and}}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// caseListProjection is what a case list reads of a case (see ListCases).
var caseListProjection = bson.D{{Key: "_id", Value: 1}, {Key: "kind", Value: 1}, {Key: "status", Value: 1}, {Key: "category", Value: 1},
	{Key: "branch", Value: 1}, {Key: "fields", Value: 1}, {Key: "received_at", Value: 1}, {Key: "reply_due", Value: 1},
	{Key: "decision_due", Value: 1}, {Key: "work.assignee", Value: 1}, {Key: "work.malicious", Value: 1},
	{Key: "level", Value: 1}, {Key: "risk", Value: 1}, {Key: "work.extension_request", Value: 1},
	{Key: "coding", Value: 1}, {Key: "replied_at", Value: 1}}

// newestFirst is the order of every case list: newest receipt first, then by number.
var newestFirst = bson.D{{Key: "received_at", Value: -1}, {Key: "_id", Value: -1}}

// ListCases returns up to limit cases matching f, newest first, after skipping skip of them. Only
// the list's fields are read: number, kind, status, category, branch, fields, received_at,
// reply_due, decision_due, replied_at, level, risk, and the work's assignee, malicious flag and pending
// extension request. On the embedded server the
// list is answered from the store's case index (see caseIndex).
func (s *Store) ListCases(ctx context.Context, f CaseFilter, skip, limit int) ([]complaintbot.Case, error) {
	if out, ok := s.caseIndex.list(ctx, f, skip, limit); ok {
		return out, nil
	}
	return s.listCasesFromServer(ctx, f, skip, limit)
}

// listCasesFromServer is ListCases through the database's query.
func (s *Store) listCasesFromServer(ctx context.Context, f CaseFilter, skip, limit int) ([]complaintbot.Case, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	opts := options.Find().SetSort(newestFirst).SetSkip(int64(skip)).SetLimit(int64(limit)).SetProjection(caseListProjection)
	cur, err := s.ScanCollection("cases").Find(ctx, f.bson(), opts)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	out := []complaintbot.Case{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// EachCase calls fn for every case matching f, newest first, at most limit (for exports), without
// its timeline and additions. It reads the whole documents through the database's query, on the
// embedded server too: an export needs what the case index does not hold (departments,
// resolution), and one read of the collection costs the server less than thousands of reads by
// _id.
func (s *Store) EachCase(ctx context.Context, f CaseFilter, limit int, fn func(*complaintbot.Case) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	opts := options.Find().SetSort(newestFirst).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "work.timeline", Value: 0}, {Key: "additions", Value: 0}})
	cur, err := s.ScanCollection("cases").Find(ctx, f.bson(), opts)
	if err != nil {
		return fmt.Errorf("export cases: %w", err)
	}
	defer cur.Close(context.WithoutCancel(ctx)) // also when the request is gone: an open cursor holds a read snapshot
	for cur.Next(ctx) {
		var c complaintbot.Case
		if err := cur.Decode(&c); err != nil {
			return fmt.Errorf("export cases: %w", err)
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("export cases: %w", err)
	}
	return nil
}

// CountCasesBy counts the cases matching f by the value of field (e.g. "status", "branch.code"),
// with one $group and one accumulator (all the embedded server computes correctly). On the
// embedded server the counts by status, kind and branch.code come from the case index.
func (s *Store) CountCasesBy(ctx context.Context, f CaseFilter, field string) (map[string]int, error) {
	if out, ok := s.caseIndex.countBy(ctx, f, field); ok {
		return out, nil
	}
	return s.countCasesFromServer(ctx, f, field)
}

// countCasesFromServer is CountCasesBy through the database's aggregation.
func (s *Store) countCasesFromServer(ctx context.Context, f CaseFilter, field string) (map[string]int, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	pipe := mongo.Pipeline{
		{{Key: "$match", Value: f.bson()}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$" + field}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}
	cur, err := s.ScanCollection("cases").Aggregate(ctx, pipe)
	if err != nil {
		return nil, fmt.Errorf("count cases by %s: %w", field, err)
	}
	var rows []struct {
		ID any `bson:"_id"`
		N  int `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count cases by %s: %w", field, err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[fmt.Sprint(r.ID)] += r.N
	}
	return out, nil
}

// caseListRow reads one case's list fields (see ListCases), or ErrNotFound: on the embedded
// server from its file by the _id index, as the case index's full read does (the server decoded
// the whole case in Go for each change of a case), else from the server.
func (s *Store) caseListRow(ctx context.Context, number string) (*complaintbot.Case, error) {
	if s.embedded != nil && plainIDPrefix.MatchString(number) {
		if db, table, err := s.ids.open(ctx, s, "cases"); err == nil && table != "" {
			var found *complaintbot.Case
			err := scanCaseRows(ctx, db, table, ` WHERE `+idExpr+` = ?`, []any{`"` + number + `"`}, func(c *complaintbot.Case) {
				cp := *c
				found = &cp
			})
			switch {
			case err == nil && found == nil:
				return nil, fmt.Errorf("load case row %s: %w", number, ErrNotFound)
			case err == nil:
				return found, nil
			}
		}
	}
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var c complaintbot.Case
	if err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}, options.FindOne().SetProjection(caseListProjection)).Decode(&c); err != nil {
		return nil, fmt.Errorf("load case row %s: %w", number, notFound(err))
	}
	return &c, nil
}

// matches reports whether the case passes the filter through the embedded server's case index's
// matcher; the tests hold it against the filter's query, so the index answers as the database.
func (f CaseFilter) matches(c *complaintbot.Case) bool {
	m := f.matcher()
	r := newIndexRow(c, nil)
	return m.match(&r)
}
