package flows

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"gopkg.in/yaml.v3"
)

// NoticeKind names a notice to the customer about their case: the case workflow (package cases)
// sends those of a change to the case, the scheduler the progress and before-due notices.
type NoticeKind string

// The notices of the notices section of the definition.
const (
	NoticeAccepted          NoticeKind = "accepted"            // an agent accepted the case: it is being investigated
	NoticeEscalated         NoticeKind = "escalated"           // an agent handed the case to head office
	NoticeEscalatedOverdue  NoticeKind = "escalated_overdue"   // a missed deadline sent the case to head office
	NoticeExtended          NoticeKind = "extended"            // the decision deadline moved later ({reason})
	NoticeExtendedApproved  NoticeKind = "extended_approved"   // an approved extension beyond the first rung ({reason})
	NoticeResolved          NoticeKind = "resolved"            // handling finished ({reply}): the decision notice, with the remedies
	NoticeResolvedOther     NoticeKind = "resolved_other"      // a suggestion or praise handled ({reply}): thanks, no remedies
	NoticeReopened          NoticeKind = "reopened"            // an agent started the handling again
	NoticeReopenedLowRating NoticeKind = "reopened_low_rating" // a low rating started the handling again
	NoticeProgress          NoticeKind = "progress"            // nothing new for a while: still working on it
	NoticeBeforeDue         NoticeKind = "before_due"          // shortly before the promised reply date
	NoticeWithdrawn         NoticeKind = "withdrawn"           // an agent recorded the customer's withdrawal ({reason})
	NoticeReviewRequested   NoticeKind = "review_requested"    // a review (核查) was registered ({review}, {review_due})
	NoticeReviewDecided     NoticeKind = "review_decided"      // head office recorded the review's result ({review}, {result})
)

// noticesDef is the notices section of the definition file.
type noticesDef struct {
	Accepted          string `yaml:"accepted"`
	Escalated         string `yaml:"escalated"`
	EscalatedOverdue  string `yaml:"escalated_overdue"`
	Extended          string `yaml:"extended"`
	ExtendedApproved  string `yaml:"extended_approved"`
	Resolved          string `yaml:"resolved"`
	ResolvedOther     string `yaml:"resolved_other"`
	Reopened          string `yaml:"reopened"`
	ReopenedLowRating string `yaml:"reopened_low_rating"`
	Progress          string `yaml:"progress"`
	BeforeDue         string `yaml:"before_due"`
	Withdrawn         string `yaml:"withdrawn"`
	ReviewRequested   string `yaml:"review_requested"`
	ReviewDecided     string `yaml:"review_decided"`
	DraftExpired      string `yaml:"draft_expired"`
	QueueExpired      string `yaml:"queue_expired"`
}

func (n *noticesDef) empty() bool { return *n == noticesDef{} }

func (n *noticesDef) text(kind NoticeKind) string {
	switch kind {
	case NoticeAccepted:
		return n.Accepted
	case NoticeEscalated:
		return n.Escalated
	case NoticeEscalatedOverdue:
		return n.EscalatedOverdue
	case NoticeExtended:
		return n.Extended
	case NoticeExtendedApproved:
		return n.ExtendedApproved
	case NoticeResolved:
		return n.Resolved
	case NoticeResolvedOther:
		return n.ResolvedOther
	case NoticeReopened:
		return n.Reopened
	case NoticeReopenedLowRating:
		return n.ReopenedLowRating
	case NoticeProgress:
		return n.Progress
	case NoticeBeforeDue:
		return n.BeforeDue
	case NoticeWithdrawn:
		return n.Withdrawn
	case NoticeReviewRequested:
		return n.ReviewRequested
	case NoticeReviewDecided:
		return n.ReviewDecided
	}
	return ""
}

// NoticeData are the values of a notice's placeholders besides the case's own ({number}, {kind},
// {status}).
type NoticeData struct {
	// Expected is the date the customer can expect an answer by ({date}).
	Expected time.Time
	// Decision is the decision deadline ({decision}).
	Decision time.Time
	// Reason is the agent's reason for an extension ({reason}).
	Reason string
	// Reply is the agent's reply to the customer with the resolution ({reply}).
	Reply string
	// ReviewBy is the last day the customer may ask for a review of the decision ({review_by}).
	ReviewBy time.Time
	// Review is the review's number ({review}), ReviewDue its deadline ({review_due}) and Result
	// head office's finding ({result}).
	Review    string
	ReviewDue time.Time
	Result    string
}

// Notice renders a notice about case c. It returns "" for an unknown kind. The decision notice
// (NoticeResolved) of a suggestion or a praise is NoticeResolvedOther: the remedies of a
// complaint's decision (review, mediation, the regulator's hotline) are not theirs.
func (e *Engine) Notice(kind NoticeKind, c complaintbot.CaseSummary, d NoticeData) string {
	if kind == NoticeResolved && c.Kind != complaintbot.KindComplaint && c.Kind != "" {
		kind = NoticeResolvedOther
	}
	tmpl := e.def.file.Notices.text(kind)
	if tmpl == "" {
		return ""
	}
	return fill(tmpl, "number", c.Number, "kind", e.def.kindName(c.Kind), "status", e.def.statusName(c.Status),
		"date", formatDate(d.Expected), "decision", formatDate(d.Decision), "reason", d.Reason, "reply", d.Reply,
		"review_by", formatDate(d.ReviewBy), "review_due", formatDate(d.ReviewDue), "review", d.Review, "result", d.Result,
		"hotline", e.def.file.Hotline)
}

// ExpireDraft clears a draft left alone longer than Config.DraftKeep at now, as the next message
// would. It returns the new state and the message that tells the customer; ok is false (and st is
// returned unchanged) when there is nothing to expire, or while the customer waits for or talks to
// a person.
func (e *Engine) ExpireDraft(st complaintbot.ConversationState, now time.Time) (_ complaintbot.ConversationState, message string, ok bool) {
	if st.Draft == nil || st.Handoff != complaintbot.ConversationWithBot {
		return st, "", false
	}
	since := st.DraftAt
	if since.IsZero() {
		since = st.LastActive
	}
	if since.IsZero() || now.Sub(since) <= e.cfg.DraftKeep {
		return st, "", false
	}
	kind := st.Draft.Kind
	s := cloneState(st)
	clearDraft(&s)
	return s, fill(e.def.file.Notices.DraftExpired, "kind", e.def.kindName(kind)), true
}

// LeaveQueue takes a customer out of the queue for a person (nobody took the conversation). It
// returns the new state and the message that tells the customer; ok is false (and st is returned
// unchanged) when the customer is not waiting.
func (e *Engine) LeaveQueue(st complaintbot.ConversationState) (_ complaintbot.ConversationState, message string, ok bool) {
	if st.Handoff != complaintbot.ConversationWaiting {
		return st, "", false
	}
	s := cloneState(st)
	s.Handoff, s.HandoffID = complaintbot.ConversationWithBot, ""
	return s, fill(e.def.file.Notices.QueueExpired, "hotline", e.def.file.Hotline), true
}

// FormatDate renders a date as the customer reads it (2026年12月1日, Asia/Shanghai).
func FormatDate(t time.Time) string { return formatDate(t) }

var (
	defaultOnce sync.Once
	defaultFile fileDef
)

// fillSections takes the survey, notices, understanding, faq and urgent sections of an operator's
// file that lacks them from the embedded default, so files written before those sections existed
// keep loading.
func (f *fileDef) fillSections() error {
	f.Notices.fillSplit()
	if err := f.fillReviewTexts(); err != nil {
		return err
	}
	if err := f.fillNames(); err != nil {
		return err
	}
	if !f.Survey.empty() && !f.Notices.empty() && !f.Understanding.empty() && f.FAQ != nil && f.Urgent != nil {
		return nil
	}
	var err error
	defaultOnce.Do(func() { err = yaml.Unmarshal(defaultYAML, &defaultFile) })
	if err != nil {
		return fmt.Errorf("embedded default.yaml: %w", err)
	}
	if f.Survey.empty() {
		f.Survey = defaultFile.Survey
		f.Survey.Scale = append([]ratingDef(nil), defaultFile.Survey.Scale...)
	}
	if f.Notices.empty() {
		f.Notices = defaultFile.Notices
	}
	// Files written before these sections existed understand customers as the default does.
	if f.Understanding.empty() {
		f.Understanding = defaultFile.Understanding
	}
	if f.FAQ == nil {
		f.FAQ = defaultFile.FAQ
	}
	if f.Urgent == nil {
		f.Urgent = defaultFile.Urgent
	}
	return nil
}

// fillNames takes a case status's or a kind's name that an operator's file lacks (files written
// before statuses: and kinds' name: existed) from the embedded default, so that what a customer
// reads for {status} and {kind} always comes from a flow file.
func (f *fileDef) fillNames() error {
	missing := false
	for _, s := range complaintbot.Statuses {
		missing = missing || strings.TrimSpace(f.Statuses[s]) == ""
	}
	for _, k := range []*kindDef{f.Kinds.Complaint, f.Kinds.Suggestion, f.Kinds.Praise} {
		missing = missing || (k != nil && strings.TrimSpace(k.Name) == "")
	}
	if !missing {
		return nil
	}
	var err error
	defaultOnce.Do(func() { err = yaml.Unmarshal(defaultYAML, &defaultFile) })
	if err != nil {
		return fmt.Errorf("embedded default.yaml: %w", err)
	}
	if f.Statuses == nil {
		f.Statuses = map[complaintbot.Status]string{}
	}
	for _, s := range complaintbot.Statuses {
		if strings.TrimSpace(f.Statuses[s]) == "" {
			f.Statuses[s] = defaultFile.Statuses[s]
		}
	}
	for _, k := range []struct{ mine, def *kindDef }{{f.Kinds.Complaint, defaultFile.Kinds.Complaint},
		{f.Kinds.Suggestion, defaultFile.Kinds.Suggestion}, {f.Kinds.Praise, defaultFile.Kinds.Praise}} {
		if k.mine != nil && strings.TrimSpace(k.mine.Name) == "" {
			k.mine.Name = k.def.Name
		}
	}
	return nil
}

// fillSplit gives a notices section written before escalated_overdue and reopened_low_rating
// existed its own escalated and reopened texts for them: those keys were the scheduler's notices of
// its own escalations and reopenings then.
func (n *noticesDef) fillSplit() {
	if n.EscalatedOverdue == "" {
		n.EscalatedOverdue = n.Escalated
	}
	if n.ReopenedLowRating == "" {
		n.ReopenedLowRating = n.Reopened
	}
	if n.ExtendedApproved == "" { // written before the extension ladder: the extension's own text
		n.ExtendedApproved = n.Extended
	}
}

// noticeNeeds are the placeholders a notice must use: the customer is promised what they stand for
// (the console says so to the agent).
var noticeNeeds = map[string]string{"extended": "{reason}", "extended_approved": "{reason}", "resolved": "{reply}", "resolved_other": "{reply}", "review_requested": "{review}", "review_decided": "{result}"}

// validateNotices checks that every notice text is set, with the placeholders it must use.
func validateNotices(n *noticesDef) error {
	rv := reflect.ValueOf(n).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		tag := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		v := rv.Field(i).String()
		if err := required("notices."+tag, v); err != nil {
			return err
		}
		if need := noticeNeeds[tag]; need != "" && !strings.Contains(v, need) {
			return fmt.Errorf("notices.%s must contain %s", tag, need)
		}
	}
	return nil
}
