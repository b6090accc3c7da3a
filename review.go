package complaintbot

import "time"

// Review is a customer's request for a review (核查) of a decided case: within the review window
// after the decision the customer may ask head office to look at the decision again. It is a task
// for head office with its own deadline, kept on the case (Case.Review) as a marker: the case
// keeps its status and its decision, so the figures of the first handling stay as they were.
type Review struct {
	// ID is the review's number as the customer reads it: the case number and "-HC" with the
	// review's sequence number (TS20261201-0001-HC1).
	ID string `bson:"id" json:"id"`
	// Seq numbers the case's reviews from 1.
	Seq int `bson:"seq" json:"seq"`
	// Requested is when the review was asked for; Due the deadline for its result.
	Requested time.Time `bson:"requested_at" json:"requested_at"`
	Due       time.Time `bson:"due" json:"due"`
	// By is who asked: CustomerUser for the customer in the chat, or the agent who recorded it.
	By string `bson:"by" json:"by"`
	// Text is what the customer said when asking (cut to a few hundred characters).
	Text string `bson:"text,omitempty" json:"text,omitempty"`
	// Result is head office's finding, Decided when it was recorded and DecidedBy who recorded it;
	// Result is "" while the review is open.
	Result    string     `bson:"result,omitempty" json:"result,omitempty"`
	Decided   *time.Time `bson:"decided_at,omitempty" json:"decided_at,omitempty"`
	DecidedBy string     `bson:"decided_by,omitempty" json:"decided_by,omitempty"`
}

// Open reports whether the review awaits head office's result.
func (r *Review) Open() bool { return r != nil && r.Decided == nil }

// Overdue reports whether the review is open past its deadline at now.
func (r *Review) Overdue(now time.Time) bool { return r.Open() && !r.Due.IsZero() && now.After(r.Due) }

// ReviewBy is the last moment a review of a case decided at decided may be asked for, with a
// review window of window: the end of that day in Asia/Shanghai.
func ReviewBy(decided time.Time, window time.Duration) time.Time {
	return EndOfDay(decided.Add(window))
}

// EndOfDay is the last second of t's day in Asia/Shanghai.
func EndOfDay(t time.Time) time.Time {
	l := t.In(Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day(), 23, 59, 59, 0, Shanghai)
}
