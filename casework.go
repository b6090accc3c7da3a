package complaintbot

import "time"

// CaseWork is what agents add to a case while working it. It is kept in the case document under
// "work" (so a case page is one _id lookup) and changed only by the case workflow's guarded
// updates, which check Rev. A case nobody has worked yet has no "work" in its document.
type CaseWork struct {
	// Rev counts the changes made by the case workflow; each change expects the previous value.
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
	// ExtensionRequest is an agent's extension awaiting a supervisor's or head office's approval
	// (cases.Extend, cases.ApproveExtension), nil when none.
	ExtensionRequest *ExtensionRequest `bson:"extension_request,omitempty" json:"extension_request,omitempty"`
	// Timeline lists what happened to the case, oldest first (messages are read from the
	// transcript and merged in by the console).
	Timeline []TimelineEntry `bson:"timeline,omitempty" json:"timeline,omitempty"`
}

// IsZero reports whether nobody has worked the case yet; the BSON encoder then leaves "work" out
// of the document (a newly registered case has none), as it always did.
func (w CaseWork) IsZero() bool {
	return w.Rev == 0 && w.Assignee == "" && w.AcceptedAt == nil && w.AcceptedBy == "" && w.Departments.IsZero() &&
		w.Malicious == nil && w.Resolution == nil && w.Extensions == 0 && w.ExtensionRequest == nil && len(w.Timeline) == 0
}

// Departments are the departments handling a case.
type Departments struct {
	Responsible string   `bson:"responsible,omitempty" json:"responsible,omitempty"`
	Host        string   `bson:"host,omitempty" json:"host,omitempty"`
	CoHandling  []string `bson:"co_handling,omitempty" json:"co_handling,omitempty"`
}

// IsZero reports whether no department is set.
func (d Departments) IsZero() bool {
	return d.Responsible == "" && d.Host == "" && len(d.CoHandling) == 0
}

// Flag marks a case as malicious (恶意投诉), with the reason; customers never see it.
type Flag struct {
	Reason string    `bson:"reason" json:"reason"`
	By     string    `bson:"by" json:"by"`
	At     time.Time `bson:"at" json:"at"`
}

// ExtensionRequest is an extension of the decision deadline that needs approval (beyond the
// complex-case limit, or a second extension): it changes nothing until a supervisor or head office
// approves it.
type ExtensionRequest struct {
	// Due is the decision deadline asked for (end of day, Asia/Shanghai).
	Due    time.Time `bson:"due" json:"due"`
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

// Addition is a further story a customer added to an open case.
type Addition struct {
	Turn string    `bson:"turn" json:"-"`
	Text string    `bson:"text" json:"text"`
	At   time.Time `bson:"at" json:"at"`
}

// Satisfaction is a survey answer as stored on the case.
type Satisfaction struct {
	Survey  string    `bson:"survey" json:"survey"`
	Rating  int       `bson:"rating" json:"rating"`
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}

// Escalation is why the scheduler escalated a case: Level "head_office", Reason "overdue_" and the
// deadline missed, By "system".
type Escalation struct {
	Level  string `bson:"level,omitempty" json:"level,omitempty"`
	Reason string `bson:"reason,omitempty" json:"reason,omitempty"`
	By     string `bson:"by,omitempty" json:"by,omitempty"`
}

// IsZero reports whether the case was never escalated by the scheduler (the BSON encoder then
// leaves "escalation" out).
func (e Escalation) IsZero() bool { return e == Escalation{} }

// Overdue reports whether the case is overdue (超期) at now: open, and past its promised reply
// date with no reply from a person yet, or past its decision deadline (see IsOverdue).
func (c *Case) Overdue(now time.Time) bool {
	return IsOverdue(c.Status.Open(), c.ReplyDue, c.RepliedAt != nil, c.DecisionDue, now)
}

// IsOverdue is the one meaning of overdue (超期), for a case and for what is stored of it: the case
// is open, and at now either its reply date (replyDue) has passed with no reply given, or its
// decision deadline (decisionDue) has passed. A zero date is no deadline.
func IsOverdue(open bool, replyDue time.Time, replied bool, decisionDue, now time.Time) bool {
	if !open {
		return false
	}
	return (!replyDue.IsZero() && !replied && now.After(replyDue)) || (!decisionDue.IsZero() && now.After(decisionDue))
}

// Assignee is the agent the case is assigned to, "" when none.
func (c *Case) Assignee() string { return c.Work.Assignee }

// LastNotice is when the latest notice an agent's action sent the customer was recorded (a
// "notice" entry on the case's timeline); zero when there is none.
func (c *Case) LastNotice() time.Time {
	var last time.Time
	for _, e := range c.Work.Timeline {
		if e.Kind == "notice" && e.At.After(last) {
			last = e.At
		}
	}
	return last
}
