package cases

import (
	"context"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// The extension ladder (design.md §5, the 2020 measures): a case is decided within Decision days of
// receipt; a complex case may be extended, once and with a reason, to Extended days; beyond that,
// or a second time, up to Approved days at most and only with the approval of a supervisor or of
// head office. The customer is told of each extension (notices extended and extended_approved).
//
// An approver (CanApprove) extends directly. An agent's extension that needs approval is refused
// (ErrApprovalSecond, ErrApprovalBeyond); the agent files it instead with RequestExtension, which
// changes nothing but the case's pending request (on the timeline and the approvers' task list)
// until an approver approves it (ApproveExtension: the deadline moves and the customer is told) or
// refuses it (RefuseExtension).

// Ladder holds the rungs of the extension ladder, in calendar days after receipt.
type Ladder struct {
	// Decision is the regular decision deadline (cases.decision_days, 15).
	Decision int
	// Extended is how far an agent may extend a complex case with a reason (cases.extend_days, 30).
	Extended int
	// Approved is how far an approved extension may go (cases.approved_days, 60).
	Approved int
}

// DefaultLadder is the regulation's ladder: 15, 30 and 60 days.
var DefaultLadder = Ladder{Decision: 15, Extended: 30, Approved: 60}

// orDefault returns the ladder, or DefaultLadder where it is unset or out of order.
func (l Ladder) orDefault() Ladder {
	if l.Decision <= 0 || l.Extended < l.Decision || l.Approved < l.Extended {
		return DefaultLadder
	}
	return l
}

// The audit trail's codes of the ladder's actions.
const (
	AuditExtendRequest = "case.extend_request"
	AuditExtendApprove = "case.extend_approve"
	AuditExtendRefuse  = "case.extend_refuse"
)

func init() {
	Audit.Actions[AuditExtendRequest] = "申请延期审批"
	Audit.Actions[AuditExtendApprove] = "批准延期"
	Audit.Actions[AuditExtendRefuse] = "驳回延期申请"
}

// CanApprove reports whether u may approve extensions beyond the first rung (and clear risk
// flags): a supervisor or an admin, or a user of head office; never the bot or the customer.
func CanApprove(u *complaintbot.User) bool {
	if u == nil || u.Name == complaintbot.BotUser || u.Name == complaintbot.CustomerUser {
		return false
	}
	return u.Role.AtLeast(complaintbot.RoleSupervisor) || u.HeadOffice()
}

// Limits returns the ends of the ladder's rungs for the case: the latest decision deadline an
// agent may set with a reason (Extended days after receipt) and the latest an approver may
// (Approved days), each the end of its day in Asia/Shanghai, moved later by the time the case
// waited on the customer.
func (s *Service) Limits(c *complaintbot.Case) (extended, approved time.Time) {
	return rungEnd(c, s.ladder.Extended), rungEnd(c, s.ladder.Approved)
}

func rungEnd(c *complaintbot.Case, days int) time.Time {
	l := c.Received.In(complaintbot.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day()+days, 23, 59, 59, 0, complaintbot.Shanghai).Add(c.Paused)
}

// endOfDay is the end of day's date in Asia/Shanghai.
func endOfDay(day time.Time) time.Time {
	l := day.In(complaintbot.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day(), 23, 59, 59, 0, complaintbot.Shanghai)
}

// NeedsApproval reports whether extending the case's decision deadline to due needs an approver:
// the case was extended before, or due is beyond the Extended rung.
func (s *Service) NeedsApproval(c *complaintbot.Case, due time.Time) bool {
	extended, _ := s.Limits(c)
	return c.Work.Extensions > 0 || endOfDay(due).After(extended)
}

// checkExtension applies the rules every extension and request follows, and returns the new
// deadline (the end of day's date).
func (s *Service) checkExtension(rec *complaintbot.Case, day time.Time, reason string) (time.Time, error) {
	if !rec.Status.Open() {
		return time.Time{}, refuse(rec, ErrExtendFinished)
	}
	if reason == "" {
		return time.Time{}, refuse(rec, ErrReasonEmpty)
	}
	if len([]rune(reason)) > MaxReason {
		return time.Time{}, refuse(rec, ErrReasonTooLong)
	}
	if day.IsZero() {
		return time.Time{}, refuse(rec, ErrDueMissing)
	}
	if rec.Work.ExtensionRequest != nil {
		e := refuse(rec, ErrExtensionPending)
		e.Date, e.By = rec.Work.ExtensionRequest.Due, rec.Work.ExtensionRequest.By
		return time.Time{}, e
	}
	due := endOfDay(day)
	if !due.After(rec.DecisionDue) {
		e := refuse(rec, ErrDueNotLater)
		e.Date = rec.DecisionDue
		return time.Time{}, e
	}
	if _, approved := s.Limits(rec); due.After(approved) {
		e := refuse(rec, ErrDueTooLate)
		e.Date = approved
		return time.Time{}, e
	}
	if r := rec.Referral; r != nil && !r.ReplyBy.IsZero() && due.After(r.ReplyBy) {
		e := refuse(rec, ErrDueAfterReferral)
		e.Date = r.ReplyBy
		return time.Time{}, e
	}
	return due, nil
}

// Extend moves the case's decision deadline to the end of day (Asia/Shanghai) for reason, which
// the customer is told, following the ladder. The new deadline must be later than the current one
// and at most the Approved rung after receipt (ErrDueTooLate). The first extension up to the
// Extended rung is anyone's; a further one, or one beyond the Extended rung, is an approver's
// (CanApprove): another user is refused with ErrApprovalSecond or ErrApprovalBeyond (Error.Date:
// the Extended rung) and may file it with RequestExtension. A case with a request pending is
// refused with ErrExtensionPending; a zero day is refused as missing; a regulator's referral's
// reply date is never passed (ErrDueAfterReferral).
func (s *Service) Extend(ctx context.Context, who complaintbot.Actor, number string, day time.Time, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.apply(ctx, who, number, AuditExtend, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		due, err := s.checkExtension(rec, day, reason)
		if err != nil {
			return nil, err
		}
		approval := s.NeedsApproval(rec, due)
		if approval && !CanApprove(who.User) {
			e := refuse(rec, ErrApprovalBeyond)
			if rec.Work.Extensions > 0 {
				e.Reason = ErrApprovalSecond
			}
			e.Date, _ = s.Limits(rec)
			return nil, e
		}
		return s.extension(rec, due, reason, approval, who.User.Name), nil
	})
}

// extension is the decision that moves the deadline to due; approved says whether it needed (and
// had) an approval, by approver.
func (s *Service) extension(rec *complaintbot.Case, due time.Time, reason string, approved bool, approver string) *decision {
	n := rec.Work.Extensions + 1
	entry := complaintbot.TimelineEntry{Kind: "extend", From: flows.FormatDate(rec.DecisionDue), To: flows.FormatDate(due), Text: reason}
	notice := flows.NoticeExtended
	if approved {
		notice = flows.NoticeExtendedApproved
	}
	d := &decision{before: rec.DecisionDue.Format(time.RFC3339), after: due.Format(time.RFC3339),
		change: storage.CaseChange{DecisionDue: &due, Extensions: &n, Entries: []complaintbot.TimelineEntry{entry}},
		notice: notice, data: flows.NoticeData{Expected: rec.ReplyDue, Decision: due, Reason: reason}}
	if approved {
		d.after += " approved by " + approver
	}
	return d
}

// RequestExtension files an extension that needs approval (see Extend) for the supervisors and
// head office to approve or refuse: the case's deadline stays as it is and the customer is not
// told until it is approved. The request follows Extend's rules; one that needs no approval is
// refused with ErrNoApprovalNeeded (extend directly).
func (s *Service) RequestExtension(ctx context.Context, who complaintbot.Actor, number string, day time.Time, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.apply(ctx, who, number, AuditExtendRequest, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		due, err := s.checkExtension(rec, day, reason)
		if err != nil {
			return nil, err
		}
		if !s.NeedsApproval(rec, due) {
			return nil, refuse(rec, ErrNoApprovalNeeded)
		}
		req := complaintbot.ExtensionRequest{Due: due, Reason: reason, By: who.User.Name, At: now}
		return &decision{before: rec.DecisionDue.Format(time.RFC3339), after: "requested " + due.Format(time.RFC3339),
			change: storage.CaseChange{ExtensionRequest: &req, Entries: []complaintbot.TimelineEntry{
				{Kind: "extend_request", From: flows.FormatDate(rec.DecisionDue), To: flows.FormatDate(due), Text: reason}}}}, nil
	})
}

// ApproveExtension approves the case's pending extension request: the decision deadline moves to
// the date asked for and the customer is told (notice extended_approved). Only an approver
// (CanApprove) may (ErrNotApprover); a case with no request is refused with ErrNoExtensionRequest,
// a request the deadline has since passed with ErrDueNotLater.
func (s *Service) ApproveExtension(ctx context.Context, who complaintbot.Actor, number string) error {
	return s.apply(ctx, who, number, AuditExtendApprove, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		req, err := s.pendingRequest(rec, who)
		if err != nil {
			return nil, err
		}
		if !rec.Status.Open() {
			return nil, refuse(rec, ErrExtendFinished)
		}
		if !req.Due.After(rec.DecisionDue) {
			e := refuse(rec, ErrDueNotLater)
			e.Date = rec.DecisionDue
			return nil, e
		}
		d := s.extension(rec, req.Due, req.Reason, true, who.User.Name)
		d.change.ClearExtensionRequest = true
		d.change.Entries = append([]complaintbot.TimelineEntry{{Kind: "extend_approved", From: req.By, To: flows.FormatDate(req.Due),
			Text: "批准延期申请"}}, d.change.Entries...)
		return d, nil
	})
}

// RefuseExtension refuses the case's pending extension request, with an optional comment (on the
// timeline, for the agent who asked); the deadline stays and the customer is not told. Only an
// approver may (ErrNotApprover).
func (s *Service) RefuseExtension(ctx context.Context, who complaintbot.Actor, number, comment string) error {
	comment = clean(comment, MaxReason)
	return s.apply(ctx, who, number, AuditExtendRefuse, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		req, err := s.pendingRequest(rec, who)
		if err != nil {
			return nil, err
		}
		return &decision{before: "requested " + req.Due.Format(time.RFC3339), after: "refused",
			change: storage.CaseChange{ClearExtensionRequest: true, Entries: []complaintbot.TimelineEntry{
				{Kind: "extend_refused", From: req.By, To: flows.FormatDate(req.Due), Text: comment}}}}, nil
	})
}

func (s *Service) pendingRequest(rec *complaintbot.Case, who complaintbot.Actor) (*complaintbot.ExtensionRequest, error) {
	if !CanApprove(who.User) {
		return nil, refuse(rec, ErrNotApprover)
	}
	if rec.Work.ExtensionRequest == nil {
		return nil, refuse(rec, ErrNoExtensionRequest)
	}
	return rec.Work.ExtensionRequest, nil
}
