package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// Levels and risk (issue #14): each case has a level (普通 / 复杂 / 重大, Case.Level) that an agent
// sets, and a risk flag (Case.Risk) raised by the customer's words that signal escalation (the
// media, a lawsuit, the regulator: the flow file's risk words), by a repeat complaint (several
// complaints by one customer within 30 days), both found by the conversation service, or by an
// agent. A raised flag alerts the branch supervisor at once: a reminder of kind ReminderRisk for
// the case's branch, an events.Risk on the bus (the console's live pages) and the RiskAlerts (the
// scheduler's WeCom robot).

// The audit trail's codes of the level and the risk flag.
const (
	AuditLevel = "case.level"
	AuditRisk  = "case.risk"
)

// ReminderRisk is the kind of the reminder (storage.Reminder) that tells the branch supervisor
// of a raised risk flag.
const ReminderRisk = "risk"

// MaxRiskNote is the longest reason kept with a risk flag raised by hand (longer ones are cut).
const MaxRiskNote = 200

func init() {
	Audit.Actions[AuditLevel] = "设置案件等级"
	Audit.Actions[AuditRisk] = "风险提示标记"
}

// RiskAlerts is told of every risk flag raised, once per flag (the scheduler posts it to the WeCom
// group robot).
type RiskAlerts interface {
	RiskRaised(ctx context.Context, c *complaintbot.Case) error
}

// SetAlerts connects the workflow to the risk alerts' sender. Call it before the service is used.
func (s *Service) SetAlerts(a RiskAlerts) { s.alerts = a }

// SetLevel sets the case's level (complaintbot.LevelNormal, LevelComplex, LevelMajor); the
// customer is not told.
func (s *Service) SetLevel(ctx context.Context, who complaintbot.Actor, number, level string) error {
	level = strings.TrimSpace(level)
	return s.apply(ctx, who, number, AuditLevel, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if !complaintbot.ValidLevel(level) {
			return nil, refuse(rec, ErrLevelInvalid)
		}
		if level == rec.Level {
			return nil, nil
		}
		return &decision{before: rec.Level, after: level, change: storage.CaseChange{Level: &level, Entries: []complaintbot.TimelineEntry{
			{Kind: "level", From: complaintbot.LevelLabel(rec.Level), To: complaintbot.LevelLabel(level)}}}}, nil
	})
}

// RaiseRisk raises the case's risk flag by hand, for note (required, cut to MaxRiskNote
// characters), and alerts the branch supervisor; a case flagged already is left as it is.
func (s *Service) RaiseRisk(ctx context.Context, who complaintbot.Actor, number, note string) error {
	note = strings.TrimSpace(note)
	var raised *complaintbot.Case
	err := s.apply(ctx, who, number, AuditRisk, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if note == "" {
			return nil, refuse(rec, ErrRiskNoteEmpty)
		}
		if rec.Risk != nil {
			return nil, nil
		}
		r := complaintbot.Risk{Reason: complaintbot.RiskAgent, Note: clean(note, MaxRiskNote), By: who.User.Name, At: now}
		c := *rec
		c.Risk, raised = &r, &c
		return riskDecision(r), nil
	})
	if err == nil && raised != nil {
		s.alertRisk(ctx, raised)
	}
	return err
}

// ClearRisk takes the risk flag off the case, with an optional note; only a supervisor or head
// office may (ErrNotApprover). A case without the flag is left as it is.
func (s *Service) ClearRisk(ctx context.Context, who complaintbot.Actor, number, note string) error {
	note = clean(note, MaxRiskNote)
	return s.apply(ctx, who, number, AuditRisk, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if !CanApprove(who.User) {
			return nil, refuse(rec, ErrNotApprover)
		}
		if rec.Risk == nil {
			return nil, nil
		}
		return &decision{before: "flagged: " + rec.Risk.Reason, after: "cleared", change: storage.CaseChange{ClearRisk: true,
			Entries: []complaintbot.TimelineEntry{{Kind: "risk", To: "cleared", Text: note}}}}, nil
	})
}

// FlagRisk raises the risk flag r (found by the service: RiskWords, RiskRepeat) on the case, as
// the system, and alerts the branch supervisor; a case flagged already, or not open, is left as
// it is. It reports whether this call raised the flag. The conversation service calls it when the
// customer adds to an open case.
func (s *Service) FlagRisk(ctx context.Context, number string, r complaintbot.Risk) (bool, error) {
	var raised *complaintbot.Case
	err := s.apply(ctx, complaintbot.System, number, AuditRisk, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if rec.Risk != nil || !rec.Status.Open() {
			return nil, nil
		}
		r.By, r.At = complaintbot.SystemUser, now
		c := *rec
		c.Risk, raised = &r, &c
		return riskDecision(r), nil
	})
	if err != nil || raised == nil {
		return false, err
	}
	s.alertRisk(ctx, raised)
	return true, nil
}

// RiskRegistered alerts the branch supervisor of a case registered with its risk flag raised
// (the conversation service sets Case.Risk at registration). Called again for the same case (a
// turn applied twice) it alerts nobody again.
func (s *Service) RiskRegistered(ctx context.Context, c *complaintbot.Case) {
	if c.Risk != nil {
		s.alertRisk(ctx, c)
	}
}

func riskDecision(r complaintbot.Risk) *decision {
	text := complaintbot.RiskLabel(r.Reason)
	switch {
	case len(r.Words) > 0:
		text += "：" + strings.Join(r.Words, "、")
	case r.Note != "":
		text += "：" + r.Note
	}
	return &decision{after: "flagged: " + r.Reason, change: storage.CaseChange{Risk: &r,
		Entries: []complaintbot.TimelineEntry{{Kind: "risk", To: "raised", Text: text}}}}
}

// alertRisk tells the branch supervisor of the case's raised risk flag, once per flag: the
// reminder's id (case and time of the flag) is the key.
func (s *Service) alertRisk(ctx context.Context, c *complaintbot.Case) {
	r := c.Risk
	rem := &storage.Reminder{ID: fmt.Sprintf("%s:%s:%d", ReminderRisk, c.Number, r.At.UnixMilli()), Kind: ReminderRisk,
		Case: c.Number, Branch: c.Branch.Code, BranchName: c.Branch.Name, Assignee: c.Work.Assignee, Due: r.At, At: r.At}
	added, err := s.store.AddReminder(ctx, rem)
	if err != nil {
		s.log.Error("record risk alert", "case", c.Number, "err", err)
	}
	if !added && err == nil {
		return // alerted before
	}
	s.log.Info("risk flag raised", "case", c.Number, "reason", r.Reason, "branch", c.Branch.Code)
	if s.bus != nil {
		s.bus.Publish(events.Event{Kind: events.Risk, OpenID: c.OpenID, Ref: c.Number, At: r.At})
	}
	if s.alerts != nil {
		// Off the caller's path (a customer's message may have raised it): the robot's answer
		// can take seconds. Best effort: the console shows the flag whatever happens to it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), riskAlertTimeout)
		go func() {
			defer cancel()
			if err := s.alerts.RiskRaised(ctx, c); err != nil {
				s.log.Warn("risk alert", "case", c.Number, "err", err)
			}
		}()
	}
}

// riskAlertTimeout bounds the sending of one risk alert (RiskAlerts).
const riskAlertTimeout = 15 * time.Second

// RepeatWindow is the period, in days, in which Registry.RepeatCases complaints by one customer
// make a repeat complaint.
const RepeatWindow = 30

// AssessRisk raises the risk flag of the new case c, registered from draft d, when the customer's
// money is at risk (c.Urgent: RiskMoney, first), when the customer's words signal escalation (RiskWords, in the description, request and person fields) or when it is
// a complaint that makes RepeatCases complaints by the customer within RepeatWindow days; prior
// are the numbers of the customer's cases registered before (complaintbot.Turn.Cases, and their
// complaints through every channel: PriorComplaints), whose day is in the number, so no case is
// read; a number given twice counts once. The flag is the bot's, at c.Received; the caller alerts
// (Service.RiskRegistered) once the case is stored.
func (r *Registry) AssessRisk(c *complaintbot.Case, d complaintbot.Draft, prior []string) {
	if c.Risk != nil {
		return
	}
	var words []string
	if r.RiskWords != nil {
		var text []string
		for _, f := range []string{complaintbot.FieldDescription, complaintbot.FieldRequest, complaintbot.FieldPerson} {
			if v := d.Fields[f]; v != "" {
				text = append(text, v)
			}
		}
		words = r.RiskWords(strings.Join(text, "\n"))
	}
	repeat := 0
	if c.Kind == complaintbot.KindComplaint && r.RepeatCases > 0 {
		repeat = 1 + recentComplaints(prior, c.Number, c.Received)
	}
	switch {
	case c.Urgent != "" && c.Kind == complaintbot.KindComplaint:
		// Money at risk comes first: the supervisor must act today, whatever else the words say.
		c.Risk = &complaintbot.Risk{Reason: complaintbot.RiskMoney, Note: complaintbot.UrgentLabel(c.Urgent), Words: words,
			By: complaintbot.BotUser, At: c.Received}
	case len(words) > 0:
		c.Risk = &complaintbot.Risk{Reason: complaintbot.RiskWords, Words: words, By: complaintbot.BotUser, At: c.Received}
		if repeat >= r.RepeatCases && r.RepeatCases > 0 {
			c.Risk.Note = repeatNote(repeat)
		}
	case r.RepeatCases > 0 && repeat >= r.RepeatCases:
		c.Risk = &complaintbot.Risk{Reason: complaintbot.RiskRepeat, Note: repeatNote(repeat), By: complaintbot.BotUser, At: c.Received}
	}
}

func repeatNote(n int) string { return fmt.Sprintf("%d天内第%d次投诉", RepeatWindow, n) }

// repeatSince is the start of the repeat window of a case received at at: the start of the
// RepeatWindow-th day before at's day (Asia/Shanghai).
func repeatSince(at time.Time) time.Time {
	l := at.In(complaintbot.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day()-RepeatWindow, 0, 0, 0, 0, complaintbot.Shanghai)
}

// PriorComplaints returns the numbers of the complaints by the customer of the new complaint c
// received within its repeat window, through any channel: the customer is known by the openid
// and by the phone number (Fields[FieldPhone]), and storage keeps each one's complaints
// (storage.CustomerKeys, RecordComplaint) as a few entries read by _id. Pass them to AssessRisk
// with the conversation's own numbers. A suggestion or a praise, or a registry that counts no
// repeats, reads nothing.
func (r *Registry) PriorComplaints(ctx context.Context, st *storage.Store, c *complaintbot.Case) ([]string, error) {
	if c.Kind != complaintbot.KindComplaint || r.RepeatCases <= 0 {
		return nil, nil
	}
	keys := st.CustomerKeys(c.OpenID, c.Fields[complaintbot.FieldPhone])
	if len(keys) == 0 {
		return nil, nil
	}
	numbers, err := st.RecentCustomerCases(ctx, keys, repeatSince(c.Received), 4*r.RepeatCases)
	if err != nil {
		return nil, fmt.Errorf("the earlier complaints of the customer: %w", err)
	}
	return numbers, nil
}

// RecordComplaint records the registered complaint c among its customer's complaints (by openid
// and by phone), for the repeat count of their next one (PriorComplaints); a suggestion or a
// praise is not recorded. Recording a case twice records it once.
func RecordComplaint(ctx context.Context, st *storage.Store, c *complaintbot.Case) error {
	if c.Kind != complaintbot.KindComplaint {
		return nil
	}
	keys := st.CustomerKeys(c.OpenID, c.Fields[complaintbot.FieldPhone])
	if len(keys) == 0 {
		return nil
	}
	return st.AddCustomerCase(ctx, keys, c.Number, c.Received)
}

// recentComplaints counts the complaints (TS numbers) among numbers, each once, but self,
// registered within RepeatWindow days up to at: on at's day (Asia/Shanghai) or the RepeatWindow
// days before it.
func recentComplaints(numbers []string, self string, at time.Time) int {
	l := at.In(complaintbot.Shanghai)
	first := repeatSince(at).Format("20060102")
	n := 0
	for i, x := range numbers {
		if x == self || !complaintbot.IsCaseNumber(x) || !strings.HasPrefix(x, complaintbot.KindComplaint.Prefix()) || slices.Contains(numbers[:i], x) {
			continue
		}
		if day := x[2:10]; day >= first && day <= l.Format("20060102") {
			n++
		}
	}
	return n
}
