package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CaseWork is what agents add to a case while working it. It is kept in the case document under
// "work" (so a case page is one _id lookup) and changed only by UpdateCase, which checks Rev.
type CaseWork struct {
	// Rev counts the changes made through UpdateCase; each change expects the previous value.
	Rev        int64      `bson:"rev" json:"rev"`
	Assignee   string     `bson:"assignee,omitempty" json:"assignee,omitempty"`
	AcceptedAt *time.Time `bson:"accepted_at,omitempty" json:"accepted_at,omitempty"`
	AcceptedBy string     `bson:"accepted_by,omitempty" json:"accepted_by,omitempty"`
	// Departments are the responsible (责任), host (主办) and co-handling (协办) departments.
	Departments Departments `bson:"departments" json:"departments"`
	Malicious   *Flag       `bson:"malicious,omitempty" json:"malicious,omitempty"`
	Resolution  *Resolution `bson:"resolution,omitempty" json:"resolution,omitempty"`
	// Extensions counts the extensions of the decision deadline.
	Extensions int `bson:"extensions,omitempty" json:"extensions,omitempty"`
	// Timeline lists what happened to the case, oldest first (messages are read from the
	// transcript and merged in by the console).
	Timeline []TimelineEntry `bson:"timeline,omitempty" json:"timeline,omitempty"`
}

// Departments are the departments handling a case.
type Departments struct {
	Responsible string   `bson:"responsible,omitempty" json:"responsible,omitempty"`
	Host        string   `bson:"host,omitempty" json:"host,omitempty"`
	CoHandling  []string `bson:"co_handling,omitempty" json:"co_handling,omitempty"`
}

// Flag marks a case as malicious (恶意投诉), with the reason; customers never see it.
type Flag struct {
	Reason string    `bson:"reason" json:"reason"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
}

// Resolution is how a case was resolved and the reply given to the customer.
type Resolution struct {
	Text  string    `bson:"text" json:"text"`
	Reply string    `bson:"reply" json:"reply"`
	By    string    `bson:"by" json:"by"`
	At    time.Time `bson:"at" json:"at"`
}

// TimelineEntry is one thing that happened to a case.
type TimelineEntry struct {
	// ID is unique within the case (the change's revision, or a client-chosen id for notes).
	ID   string    `bson:"id" json:"id"`
	At   time.Time `bson:"at" json:"at"`
	By   string    `bson:"by" json:"by"`
	Kind string    `bson:"kind" json:"kind"`
	Text string    `bson:"text,omitempty" json:"text,omitempty"`
	From string    `bson:"from,omitempty" json:"from,omitempty"`
	To   string    `bson:"to,omitempty" json:"to,omitempty"`
	// Outbox is the id of the notice sent to the customer, for Kind "notice".
	Outbox string `bson:"outbox,omitempty" json:"outbox,omitempty"`
}

// CaseRecord is a case with its work.
type CaseRecord struct {
	complaintbot.Case `bson:",inline"`
	Additions         []Addition `bson:"additions,omitempty" json:"additions,omitempty"`
	Work              CaseWork   `bson:"work" json:"work"`
}

// Addition is a further story a customer added to an open case.
type Addition struct {
	Turn string    `bson:"turn" json:"-"`
	Text string    `bson:"text" json:"text"`
	At   time.Time `bson:"at" json:"at"`
}

// Overdue reports whether the case is open past its decision deadline at now.
func (c *CaseRecord) Overdue(now time.Time) bool {
	return c.Status.Open() && !c.DecisionDue.IsZero() && now.After(c.DecisionDue)
}

// CaseRecordByNumber returns the case with its work, or ErrNotFound.
func (s *Store) CaseRecordByNumber(ctx context.Context, number string) (*CaseRecord, error) {
	var c CaseRecord
	if err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&c); err != nil {
		return nil, fmt.Errorf("load case %s: %w", number, notFound(err))
	}
	return &c, nil
}

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
	Departments *Departments
	// Malicious sets the flag; ClearMalicious removes it.
	Malicious      *Flag
	ClearMalicious bool
	Resolution     *Resolution
	DecisionDue    *time.Time
	Extensions     *int
	// Entries are appended to the timeline.
	Entries []TimelineEntry
	At      time.Time
}

// UpdateCase applies the change: one update of the case document guarded by its revision (and
// status), atomic on MongoDB and on the embedded server (which runs on one connection).
func (s *Store) UpdateCase(ctx context.Context, number string, ch CaseChange) error {
	filter := bson.D{{Key: "_id", Value: number}}
	if ch.Rev == 0 {
		filter = append(filter, bson.E{Key: "work.rev", Value: bson.D{{Key: "$exists", Value: false}}})
	} else {
		filter = append(filter, bson.E{Key: "work.rev", Value: ch.Rev})
	}
	if ch.FromStatus != "" {
		filter = append(filter, bson.E{Key: "status", Value: ch.FromStatus})
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
	if ch.Resolution != nil {
		add("work.resolution", *ch.Resolution)
	}
	if ch.DecisionDue != nil {
		add("decision_due", *ch.DecisionDue)
	}
	if ch.Extensions != nil {
		add("work.extensions", *ch.Extensions)
	}
	update := bson.D{{Key: "$set", Value: set}}
	if len(ch.Entries) > 0 {
		update = append(update, bson.E{Key: "$push", Value: bson.D{{Key: "work.timeline", Value: bson.D{{Key: "$each", Value: ch.Entries}}}}})
	}
	res, err := s.cases.UpdateOne(ctx, filter, update)
	if err != nil {
		return fmt.Errorf("update case %s: %w", number, err)
	}
	if res.MatchedCount == 0 {
		return ErrCaseChanged
	}
	// The scheduler re-reads the case's deadlines and status (notices, reminders, surveys).
	return s.CaseChanged(ctx, number, ch.At)
}

// CaseRow is what a case list shows of a case.
type CaseRow struct {
	Number      string                 `bson:"_id" json:"number"`
	Kind        complaintbot.Kind      `bson:"kind" json:"kind"`
	Status      complaintbot.Status    `bson:"status" json:"status"`
	Category    *complaintbot.Category `bson:"category,omitempty" json:"category,omitempty"`
	Branch      complaintbot.Branch    `bson:"branch" json:"branch"`
	Fields      map[string]string      `bson:"fields,omitempty" json:"-"`
	Received    time.Time              `bson:"received_at" json:"received_at"`
	ReplyDue    time.Time              `bson:"reply_due" json:"reply_due"`
	DecisionDue time.Time              `bson:"decision_due" json:"decision_due"`
	Work        struct {
		Assignee  string `bson:"assignee,omitempty" json:"assignee,omitempty"`
		Malicious *Flag  `bson:"malicious,omitempty" json:"malicious,omitempty"`
	} `bson:"work" json:"work"`
}

// Overdue reports whether the case is open past its decision deadline at now.
func (c *CaseRow) Overdue(now time.Time) bool {
	return c.Status.Open() && !c.DecisionDue.IsZero() && now.After(c.DecisionDue)
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
	// Overdue selects open cases past their decision deadline at Now.
	Overdue bool
	Now     time.Time
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
		add("status", bson.D{{Key: "$nin", Value: bson.A{complaintbot.StatusResolved, complaintbot.StatusClosed}}})
		add("decision_due", bson.D{{Key: "$lt", Value: f.Now}})
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

var caseRowProjection = bson.D{{Key: "_id", Value: 1}, {Key: "kind", Value: 1}, {Key: "status", Value: 1}, {Key: "category", Value: 1},
	{Key: "branch", Value: 1}, {Key: "fields", Value: 1}, {Key: "received_at", Value: 1}, {Key: "reply_due", Value: 1},
	{Key: "decision_due", Value: 1}, {Key: "work.assignee", Value: 1}, {Key: "work.malicious", Value: 1}}

// ListCases returns up to limit cases matching f, newest first, after skipping skip of them.
func (s *Store) ListCases(ctx context.Context, f CaseFilter, skip, limit int) ([]CaseRow, error) {
	opts := options.Find().SetSort(bson.D{{Key: "received_at", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64(skip)).SetLimit(int64(limit)).SetProjection(caseRowProjection)
	cur, err := s.ScanCollection("cases").Find(ctx, f.bson(), opts)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	out := []CaseRow{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// EachCase calls fn for every case matching f, newest first, at most limit (for exports).
func (s *Store) EachCase(ctx context.Context, f CaseFilter, limit int, fn func(*CaseRecord) error) error {
	opts := options.Find().SetSort(bson.D{{Key: "received_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "work.timeline", Value: 0}, {Key: "additions", Value: 0}})
	cur, err := s.ScanCollection("cases").Find(ctx, f.bson(), opts)
	if err != nil {
		return fmt.Errorf("export cases: %w", err)
	}
	defer cur.Close(context.WithoutCancel(ctx)) // also when the request is gone: an open cursor holds a read snapshot
	for cur.Next(ctx) {
		var c CaseRecord
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
// with one $group and one accumulator (all the embedded server computes correctly).
func (s *Store) CountCasesBy(ctx context.Context, f CaseFilter, field string) (map[string]int, error) {
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

// AllCaseRows reads every case as a list row, in no particular order (the console's in-memory
// index on the embedded server, which cannot sort without reading every document anyway).
func (s *Store) AllCaseRows(ctx context.Context) ([]CaseRow, error) {
	if s.embedded != nil {
		rows, err := s.caseRowsFromSQLite(ctx)
		if err != nil {
			return nil, fmt.Errorf("read case rows: %w", err)
		}
		return rows, nil
	}
	return s.caseRowsFromServer(ctx)
}

// caseRowsFromServer is AllCaseRows through the database server.
func (s *Store) caseRowsFromServer(ctx context.Context) ([]CaseRow, error) {
	cur, err := s.ScanCollection("cases").Find(ctx, bson.D{}, options.Find().SetProjection(caseRowProjection))
	if err != nil {
		return nil, fmt.Errorf("read case rows: %w", err)
	}
	out := []CaseRow{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read case rows: %w", err)
	}
	return out, nil
}

// CaseRowByNumber reads one case as a list row, or ErrNotFound.
func (s *Store) CaseRowByNumber(ctx context.Context, number string) (*CaseRow, error) {
	var r CaseRow
	if err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}, options.FindOne().SetProjection(caseRowProjection)).Decode(&r); err != nil {
		return nil, fmt.Errorf("load case row %s: %w", number, notFound(err))
	}
	return &r, nil
}

// TurnCaseNumbers returns the case numbers a turn's effects created or added to.
func (s *Store) TurnCaseNumbers(ctx context.Context, turnID string) ([]string, error) {
	var t struct {
		Effects struct {
			List []struct {
				CaseNumber string `bson:"case_number"`
				Case       *struct {
					Number string `bson:"_id"`
				} `bson:"case"`
			} `bson:"list"`
		} `bson:"effects"`
	}
	err := s.ScanCollection("turns").FindOne(ctx, bson.D{{Key: "_id", Value: turnID}}, options.FindOne().SetProjection(bson.D{{Key: "effects", Value: 1}})).Decode(&t)
	if err != nil {
		return nil, fmt.Errorf("load turn effects: %w", notFound(err))
	}
	var out []string
	for _, e := range t.Effects.List {
		if e.Case != nil && e.Case.Number != "" {
			out = append(out, e.Case.Number)
		} else if e.CaseNumber != "" {
			out = append(out, e.CaseNumber)
		}
	}
	return out, nil
}

// Matches reports whether the row passes the filter, exactly as the filter's query would; the
// console's in-memory index uses it.
func (f CaseFilter) Matches(r *CaseRow) bool {
	if f.Branches != nil && !slices.Contains(f.Branches, r.Branch.Code) {
		return false
	}
	if f.Branch != "" && r.Branch.Code != f.Branch {
		return false
	}
	if len(f.Status) > 0 && !slices.Contains(f.Status, r.Status) {
		return false
	}
	if f.Kind != "" && r.Kind != f.Kind {
		return false
	}
	if f.Category != "" && (r.Category == nil || r.Category.Code != f.Category) {
		return false
	}
	switch f.Assignee {
	case "":
	case "-":
		if r.Work.Assignee != "" {
			return false
		}
	default:
		if r.Work.Assignee != f.Assignee {
			return false
		}
	}
	if f.Overdue && !(r.Status.Open() && r.DecisionDue.Before(f.Now)) {
		return false
	}
	if !f.From.IsZero() && r.Received.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !r.Received.Before(f.To) {
		return false
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		upper := strings.ToUpper(q)
		if complaintbot.IsCaseNumber(upper) {
			return r.Number == upper
		}
		if strings.HasPrefix(r.Number, upper) || strings.Contains(r.Fields["description"], q) || strings.Contains(r.Fields["request"], q) ||
			strings.Contains(r.Fields["name"], q) {
			return true
		}
		digits := onlyDigits(q)
		return len(digits) >= 4 && len(digits) == len(strings.ReplaceAll(q, " ", "")) && strings.Contains(r.Fields["phone"], digits)
	}
	return true
}
