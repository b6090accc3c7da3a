package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func init() {
	// The deadlines job's sweep reads the cases changed since its last run.
	addIndex("cases", false, "updated_at", 1)
	// What the scheduler saw of each case exists from the start, so that its _id index is usable
	// on the embedded server (see IndexEmbedded): it is read for every case the notices job
	// looks at.
	addCollection("sched_cases")
}

// CaseState is a case as the scheduler reads it: the case and the fields the console and the
// scheduler add to it.
type CaseState struct {
	complaintbot.Case `bson:",inline"`
	// Work is what agents keep on the case (CaseWork); the scheduler reads the assignee and when
	// the case workflow last told the customer something.
	Work struct {
		Assignee string `bson:"assignee"`
		Timeline []struct {
			Kind string    `bson:"kind"`
			At   time.Time `bson:"at"`
		} `bson:"timeline"`
	} `bson:"work"`
	// RepliedAt is when the customer first got a reply about the case from a person (an agent's
	// message sent through the outbox); the reply deadline is met then.
	RepliedAt *time.Time `bson:"replied_at,omitempty"`
	// WaitingSince is set while the case waits on the customer (the deadline clock may pause).
	WaitingSince *time.Time `bson:"waiting_since,omitempty"`
	// Paused is how long the deadlines were pushed back for waits on the customer, in total.
	Paused time.Duration `bson:"paused_ns,omitempty"`
	// Overdue holds when each deadline ("reply", "decision") was found missed.
	Overdue map[string]time.Time `bson:"overdue,omitempty"`
	// Escalated is when the scheduler escalated the case because a deadline was missed.
	Escalated *time.Time `bson:"escalated_at,omitempty"`
	// Escalation says why: its Reason is "overdue_" and the deadline (see EscalateOverdue).
	Escalation struct {
		Reason string `bson:"reason,omitempty"`
	} `bson:"escalation"`
	// ReopenedFor is what reopened the case last on the service's own initiative (the survey
	// rated low; see ReopenCase).
	ReopenedFor string `bson:"reopened_for,omitempty"`
	// Satisfaction is the customer's latest survey answer about the case.
	Satisfaction *Satisfaction `bson:"satisfaction,omitempty"`
}

// Assignee is the agent the case is assigned to, "" when none.
func (c *CaseState) Assignee() string { return c.Work.Assignee }

// LastNotice is when the latest notice an agent's action sent the customer was recorded (a
// "notice" entry on the case's timeline); zero when there is none.
func (c *CaseState) LastNotice() time.Time {
	var last time.Time
	for _, e := range c.Work.Timeline {
		if e.Kind == "notice" && e.At.After(last) {
			last = e.At
		}
	}
	return last
}

// Satisfaction is a survey answer as stored on the case.
type Satisfaction struct {
	Survey  string    `bson:"survey" json:"survey"`
	Rating  int       `bson:"rating" json:"rating"`
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}

// Deadlines of a case.
const (
	DeadlineReply    = "reply"
	DeadlineDecision = "decision"
)

// CaseState returns the case with the given number and the scheduler's fields, or ErrNotFound.
// It reads through the read-only connection (see ScanCollection), as the scheduler's other reads
// do: a job looks at hundreds of cases after a busy hour, and must not take turns with the
// customers' writes for it. (Every change the scheduler makes is guarded by its own filter.)
func (s *Store) CaseState(ctx context.Context, number string) (*CaseState, error) {
	var c CaseState
	if err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&c); err != nil {
		return nil, fmt.Errorf("load case %s: %w", number, notFound(err))
	}
	return &c, nil
}

// CaseChanged tells the scheduler that the case changed at at (now): its status, its deadlines,
// its assignment. The scheduler's notices job then reschedules the case's reminders and, once it
// is resolved, its satisfaction survey (the customer's notice of the change is the case workflow's,
// package cases). Calling it for a change that needs nothing, or twice, is harmless. Code that
// changes a case's status or deadlines must call it (UpdateCase does; the conversations do for new
// cases). A change made without it is still found by the deadlines job's sweep of cases by
// updated_at, only later. The watchers of the store (see OnCaseChange) are told.
func (s *Store) CaseChanged(ctx context.Context, number string, at time.Time) error {
	err := s.InsertDue(ctx, []DueEntry{{ID: fmt.Sprintf("changed#%s#%d", number, at.UnixNano()), Kind: DueChanged, At: at, Case: number}})
	s.notifyCaseChange(number)
	return err
}

// OnCaseChange registers fn to be told, in this process, of every change to a case made through
// this store's functions that change cases (those that call CaseChanged, and the scheduler's
// marks: overdue, escalated, reopened, replied), so that an in-memory view of the cases (the
// console's case index) stays current without reading them all again. fn is called on the
// changing goroutine and must not block.
func (s *Store) OnCaseChange(fn func(number string)) {
	v, _ := caseWatchers.LoadOrStore(s, &watcherList{})
	w := v.(*watcherList)
	w.mu.Lock()
	w.fns = append(w.fns, fn)
	w.mu.Unlock()
}

// caseWatchers holds each store's OnCaseChange functions (*Store → *watcherList).
var caseWatchers sync.Map

type watcherList struct {
	mu  sync.Mutex
	fns []func(number string)
}

func (s *Store) notifyCaseChange(number string) {
	v, ok := caseWatchers.Load(s)
	if !ok {
		return
	}
	w := v.(*watcherList)
	w.mu.Lock()
	fns := w.fns
	w.mu.Unlock()
	for _, fn := range fns {
		fn(number)
	}
}

// ScanCasesUpdated calls fn with the cases whose updated_at lies in (after, upTo], batch at a time.
func (s *Store) ScanCasesUpdated(ctx context.Context, after, upTo time.Time, batch int, fn func([]CaseState) error) error {
	filter := bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	return scanBatches(ctx, s, s.ScanCollection("cases"), filter, bson.D{{Key: "updated_at", Value: 1}}, batch, fn)
}

// MarkOverdue records that the case missed its deadline ("reply" or "decision") at at; a deadline
// marked already keeps its first time.
func (s *Store) MarkOverdue(ctx context.Context, number, deadline string, at time.Time) error {
	field := "overdue." + deadline
	_, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: number}, {Key: field, Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: field, Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s overdue: %w", number, err)
	}
	s.notifyCaseChange(number)
	return nil
}

// EscalateOverdue moves an open case that is not escalated yet one level up (status escalated, to
// head office) because it missed the deadline, and reports whether it did. A case is escalated once
// per missed deadline: if someone moves it back down, it stays there.
func (s *Store) EscalateOverdue(ctx context.Context, number, deadline string, at time.Time) (bool, error) {
	filter := bson.D{{Key: "_id", Value: number}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{
		complaintbot.StatusReceived, complaintbot.StatusInvestigating, complaintbot.StatusReopened}}}},
		{Key: "escalation.reason", Value: bson.D{{Key: "$ne", Value: "overdue_" + deadline}}}}
	r, err := s.cases.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusEscalated},
		{Key: "escalated_at", Value: at}, {Key: "escalation", Value: bson.D{{Key: "level", Value: "head_office"}, {Key: "reason", Value: "overdue_" + deadline}, {Key: "by", Value: "system"}}},
		{Key: "updated_at", Value: at}}}})
	if err != nil {
		return false, fmt.Errorf("escalate case %s: %w", number, err)
	}
	if r.ModifiedCount > 0 {
		s.notifyCaseChange(number)
	}
	return r.ModifiedCount > 0, nil
}

// ReopenCase reopens a resolved or closed case for reason (e.g. "low_rating") and ref (what
// prompted it, e.g. the survey), and reports whether it did. A case is reopened once per ref.
func (s *Store) ReopenCase(ctx context.Context, number, reason, ref string, at time.Time) (bool, error) {
	filter := bson.D{{Key: "_id", Value: number}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.StatusResolved, complaintbot.StatusClosed}}}},
		{Key: "reopened_for", Value: bson.D{{Key: "$ne", Value: ref}}}}
	r, err := s.cases.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusReopened},
		{Key: "reopened_at", Value: at}, {Key: "reopen_reason", Value: reason}, {Key: "reopened_for", Value: ref}, {Key: "updated_at", Value: at}}}})
	if err != nil {
		return false, fmt.Errorf("reopen case %s: %w", number, err)
	}
	if r.ModifiedCount > 0 {
		s.notifyCaseChange(number)
	}
	return r.ModifiedCount > 0, nil
}

// MarkReplied records that a person replied to the customer about the case at at (the first
// reply counts): the reply deadline is met.
func (s *Store) MarkReplied(ctx context.Context, number string, at time.Time) error {
	_, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: number}, {Key: "replied_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "replied_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s replied: %w", number, err)
	}
	s.notifyCaseChange(number)
	return nil
}

// WaitOnCustomer marks the case as waiting on the customer from at (a case waiting already keeps
// its start) and tells the scheduler.
func (s *Store) WaitOnCustomer(ctx context.Context, number string, at time.Time) error {
	_, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: number}, {Key: "waiting_since", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "waiting_since", Value: at}, {Key: "updated_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark case %s waiting on the customer: %w", number, err)
	}
	return s.CaseChanged(ctx, number, at)
}

// StopWaiting ends the case's wait on the customer at at. With shift, the deadlines not met yet
// move later by the time waited (the clock paused). It returns how long the case waited (0 when
// it was not waiting) and tells the scheduler.
func (s *Store) StopWaiting(ctx context.Context, number string, at time.Time, shift bool) (time.Duration, error) {
	c, err := s.CaseState(ctx, number)
	if err != nil {
		return 0, err
	}
	if c.WaitingSince == nil {
		return 0, nil
	}
	waited := max(at.Sub(*c.WaitingSince), 0)
	set := bson.D{{Key: "updated_at", Value: at}}
	if shift {
		set = append(set, bson.E{Key: "paused_ns", Value: c.Paused + waited})
		if c.Status.Open() {
			set = append(set, bson.E{Key: "decision_due", Value: c.DecisionDue.Add(waited)})
			if c.RepliedAt == nil {
				set = append(set, bson.E{Key: "reply_due", Value: c.ReplyDue.Add(waited)})
			}
		}
	}
	// The filter on waiting_since makes a second call (or a concurrent one) change nothing.
	r, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: number}, {Key: "waiting_since", Value: *c.WaitingSince}},
		bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: bson.D{{Key: "waiting_since", Value: ""}}}})
	if err != nil {
		return 0, fmt.Errorf("end the wait of case %s: %w", number, err)
	}
	if r.ModifiedCount == 0 {
		return 0, nil
	}
	return waited, s.CaseChanged(ctx, number, at)
}

// CaseTrack is what the scheduler last saw of a case, to tell what changed.
type CaseTrack struct {
	Number      string              `bson:"_id"`
	Status      complaintbot.Status `bson:"status"`
	ReplyDue    time.Time           `bson:"reply_due"`
	DecisionDue time.Time           `bson:"decision_due"`
	Paused      time.Duration       `bson:"paused_ns"`
	// Seq counted the status notices the scheduler sent before the case workflow (package cases)
	// sent them; stored tracks keep it, nothing increments it now.
	Seq int `bson:"seq"`
	// Episode counts the times the case was resolved; a survey is sent for each.
	Episode int `bson:"episode"`
	// NoticeAt is when the scheduler last sent the customer a notice about the case (progress,
	// before the reply date); an agent's action's notices are on the case's timeline.
	NoticeAt time.Time `bson:"notice_at"`
	Updated  time.Time `bson:"updated_at"`
}

// SaveCaseTracks stores what the scheduler saw of several cases (isNew[i]: tracks[i] was not
// stored before), in one insert of the new ones and one bulk replace of the others (and of new
// ones another instance stored first).
func (s *Store) SaveCaseTracks(ctx context.Context, tracks []CaseTrack, isNew []bool) error {
	c := s.db.Collection("sched_cases")
	var fresh []any
	var freshIdx []int
	var models []mongo.WriteModel
	replace := func(t *CaseTrack) {
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: t.Number}}).SetReplacement(t))
	}
	for i := range tracks {
		if isNew[i] {
			fresh, freshIdx = append(fresh, &tracks[i]), append(freshIdx, i)
			continue
		}
		replace(&tracks[i])
	}
	dup, err := insertManyDups(ctx, c, fresh)
	if err != nil {
		return fmt.Errorf("save the schedules of %d cases: %w", len(fresh), err)
	}
	for j, d := range dup {
		if d {
			replace(&tracks[freshIdx[j]])
		}
	}
	if len(models) > 0 {
		if _, err := c.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
			return fmt.Errorf("save the schedules of %d cases: %w", len(models), err)
		}
	}
	return nil
}

// CaseTrack returns what the scheduler last saw of the case, or ErrNotFound.
func (s *Store) CaseTrack(ctx context.Context, number string) (*CaseTrack, error) {
	var t CaseTrack
	if err := s.ScanCollection("sched_cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&t); err != nil {
		return nil, fmt.Errorf("load schedule of case %s: %w", number, notFound(err))
	}
	return &t, nil
}

// SaveCaseTrack stores what the scheduler saw of the case (isNew: it was not stored before; a
// concurrent first save by another instance is then overwritten).
func (s *Store) SaveCaseTrack(ctx context.Context, t *CaseTrack, isNew bool) error {
	c := s.db.Collection("sched_cases")
	if isNew {
		_, err := c.InsertOne(ctx, t)
		if err == nil {
			return nil
		}
		if !IsDuplicate(err) {
			return fmt.Errorf("save schedule of case %s: %w", t.Number, err)
		}
	}
	if _, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: t.Number}}, t); err != nil {
		return fmt.Errorf("save schedule of case %s: %w", t.Number, err)
	}
	return nil
}
