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

// NoticeKind names a notice the scheduler sends about a case.
type NoticeKind string

// The notices of the notices section of the definition.
const (
	NoticeAccepted  NoticeKind = "accepted"   // the case is being investigated
	NoticeEscalated NoticeKind = "escalated"  // handed one level up
	NoticeExtended  NoticeKind = "extended"   // the decision deadline moved later
	NoticeResolved  NoticeKind = "resolved"   // handling finished
	NoticeReopened  NoticeKind = "reopened"   // handling started again
	NoticeProgress  NoticeKind = "progress"   // nothing new for a while: still working on it
	NoticeBeforeDue NoticeKind = "before_due" // shortly before the promised reply date
)

// noticesDef is the notices section of the definition file.
type noticesDef struct {
	Accepted     string `yaml:"accepted"`
	Escalated    string `yaml:"escalated"`
	Extended     string `yaml:"extended"`
	Resolved     string `yaml:"resolved"`
	Reopened     string `yaml:"reopened"`
	Progress     string `yaml:"progress"`
	BeforeDue    string `yaml:"before_due"`
	DraftExpired string `yaml:"draft_expired"`
	QueueExpired string `yaml:"queue_expired"`
}

func (n *noticesDef) empty() bool { return *n == noticesDef{} }

func (n *noticesDef) text(kind NoticeKind) string {
	switch kind {
	case NoticeAccepted:
		return n.Accepted
	case NoticeEscalated:
		return n.Escalated
	case NoticeExtended:
		return n.Extended
	case NoticeResolved:
		return n.Resolved
	case NoticeReopened:
		return n.Reopened
	case NoticeProgress:
		return n.Progress
	case NoticeBeforeDue:
		return n.BeforeDue
	}
	return ""
}

// Notice renders a notice about case c; expected is the date the customer can expect an answer
// by ({date}). It returns "" for an unknown kind.
func (e *Engine) Notice(kind NoticeKind, c complaintbot.CaseSummary, decisionDue, expected time.Time) string {
	tmpl := e.def.file.Notices.text(kind)
	if tmpl == "" {
		return ""
	}
	return fill(tmpl, "number", c.Number, "kind", c.Kind.Label(), "status", c.Status.Label(),
		"date", formatDate(expected), "decision", formatDate(decisionDue))
}

// ExpireDraft clears a draft left alone longer than Config.DraftKeep at now, as the next message
// would. It returns the new state and the message that tells the customer; ok is false (and st is
// returned unchanged) when there is nothing to expire, or while the customer waits for or talks to
// a person.
func (e *Engine) ExpireDraft(st State, now time.Time) (_ State, message string, ok bool) {
	if st.Draft == nil || st.Handoff != HandoffNone {
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
	s := st.clone()
	s.clear()
	return s, fill(e.def.file.Notices.DraftExpired, "kind", kind.Label()), true
}

// LeaveQueue takes a customer out of the queue for a person (nobody took the conversation). It
// returns the new state and the message that tells the customer; ok is false (and st is returned
// unchanged) when the customer is not waiting.
func (e *Engine) LeaveQueue(st State) (_ State, message string, ok bool) {
	if st.Handoff != HandoffWaiting {
		return st, "", false
	}
	s := st.clone()
	s.Handoff, s.HandoffID = HandoffNone, ""
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

// validateNotices checks that every notice text is set.
func validateNotices(n *noticesDef) error {
	rv := reflect.ValueOf(n).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		tag := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		if err := required("notices."+tag, rv.Field(i).String()); err != nil {
			return err
		}
	}
	return nil
}
