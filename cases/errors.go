package cases

import (
	"time"

	"github.com/complaintbot/complaintbot"
)

// Reason says why an action on a case was refused or failed. It is an error itself, so that
// errors.Is(err, cases.ErrNoteEmpty) holds for the *Error that carries it.
type Reason string

func (r Reason) Error() string { return string(r) }

// Why an action is refused, or failed.
const (
	// ErrAcceptFinished: a resolved or closed case is not accepted.
	ErrAcceptFinished Reason = "accept: the case is resolved or closed"
	// ErrAccepted: someone accepted the case already (Error.By).
	ErrAccepted Reason = "accept: the case is accepted already"
	// ErrAssignee: no active user by that name covers the case's branch.
	ErrAssignee Reason = "assign: no active user by that name covers the case's branch"
	// ErrCoHandling: more than MaxCoHandling co-handling departments.
	ErrCoHandling Reason = "departments: too many co-handling departments"
	// ErrNoteEmpty: a note needs a text.
	ErrNoteEmpty Reason = "note: no text"
	// ErrNoteTooLong: a note is at most MaxNote characters.
	ErrNoteTooLong Reason = "note: too long"
	// ErrNoteID: a note's client id is 8 to 64 letters, digits, '-' or '_'.
	ErrNoteID Reason = "note: malformed client id"
	// ErrTimelineFull: the case's timeline holds MaxTimeline entries.
	ErrTimelineFull Reason = "the case's timeline is full"
	// ErrStatusResolve: the resolved status is reached by Resolve, not by SetStatus.
	ErrStatusResolve Reason = "status: resolved is reached by recording the resolution"
	// ErrStatusStale: the case's status (Error.Status) is not the one the agent saw.
	ErrStatusStale Reason = "status: the case's status changed meanwhile"
	// ErrStatusMove: the case cannot go from Error.Status to Error.To.
	ErrStatusMove Reason = "status: change not allowed"
	// ErrExtendFinished: a resolved or closed case has no deadline to extend.
	ErrExtendFinished Reason = "extend: the case is resolved or closed"
	// ErrReasonEmpty: an extension needs a reason (the customer is told it).
	ErrReasonEmpty Reason = "extend: no reason"
	// ErrReasonTooLong: an extension's reason is at most MaxReason characters.
	ErrReasonTooLong Reason = "extend: reason too long"
	// ErrDueMissing: an extension needs the new deadline.
	ErrDueMissing Reason = "extend: no new deadline"
	// ErrDueNotLater: the new deadline must be later than the current one (Error.Date).
	ErrDueNotLater Reason = "extend: the new deadline is not later"
	// ErrDueTooLate: the new deadline is later than the ladder's Approved rung (Error.Date).
	ErrDueTooLate Reason = "extend: the new deadline is beyond the limit"
	// ErrDueAfterReferral: a regulator's referral set its own reply date (Error.Date), which no
	// extension may pass: the bank cannot extend the regulator's deadline.
	ErrDueAfterReferral Reason = "extend: the new deadline is after the referral's reply date"
	// ErrApprovalSecond: the case was extended before; a further extension needs a supervisor's
	// or head office's approval (RequestExtension). Error.Date is the Extended rung.
	ErrApprovalSecond Reason = "extend: a second extension needs approval"
	// ErrApprovalBeyond: an extension beyond the Extended rung (Error.Date) needs a supervisor's
	// or head office's approval (RequestExtension).
	ErrApprovalBeyond Reason = "extend: an extension beyond the complex-case limit needs approval"
	// ErrExtensionPending: an extension request awaits approval (Error.Date asked for, Error.By
	// asked by); it is approved or refused first.
	ErrExtensionPending Reason = "extend: an extension request awaits approval"
	// ErrNoApprovalNeeded: the extension needs no approval: extend directly.
	ErrNoApprovalNeeded Reason = "extend: the extension needs no approval"
	// ErrNotApprover: only a supervisor, an admin or head office approves or refuses extensions,
	// or clears a risk flag.
	ErrNotApprover Reason = "only a supervisor or head office may do this"
	// ErrNoExtensionRequest: the case has no extension request pending.
	ErrNoExtensionRequest Reason = "extend: no extension request pending"
	// ErrLevelInvalid: the level is not one of the case levels.
	ErrLevelInvalid Reason = "level: not a case level"
	// ErrRiskNoteEmpty: raising the risk flag by hand needs a reason.
	ErrRiskNoteEmpty Reason = "risk: no reason"
	// ErrMaliciousReasonless: flagging a case as malicious needs a reason.
	ErrMaliciousReasonless Reason = "malicious: no reason"
	// ErrResolveFinished: the case is resolved or closed already (Error.Status).
	ErrResolveFinished Reason = "resolve: the case is resolved or closed"
	// ErrResolutionEmpty: a resolution needs the result and the reply to the customer.
	ErrResolutionEmpty Reason = "resolve: no resolution or no reply"
	// ErrResolutionTooLong: the result is at most MaxResolution characters, the reply MaxReply.
	ErrResolutionTooLong Reason = "resolve: resolution or reply too long"
	// ErrUncoded: a case is resolved only when it carries a valid JR/T 0169 code on each of the
	// three axes (Error.Err is the taxonomy.CodingError naming the axes missing or wrong).
	ErrUncoded Reason = "resolve: the case is not coded on every JR/T 0169 axis"
	// ErrCodingInvalid: a code given is not a leaf of its axis (Error.Err is the
	// taxonomy.CodingError naming the axes).
	ErrCodingInvalid Reason = "coding: not a JR/T 0169 code of its axis"
	// ErrSurveyNotResolved: a survey is sent only about a resolved or closed case.
	ErrSurveyNotResolved Reason = "survey: the case is not resolved"
	// ErrSurveysOff: no survey sender is connected (SetSurveys).
	ErrSurveysOff Reason = "survey: surveys are not enabled"
	// ErrSurveyOpen: the customer has another survey open.
	ErrSurveyOpen Reason = "survey: the customer has another survey open"
	// ErrBusy: others changed the case every time the action was decided.
	ErrBusy Reason = "the case kept changing meanwhile"
	// ErrAudit: the audit entry could not be written, so the action was not carried out
	// (Error.Err says why).
	ErrAudit Reason = "the audit entry could not be written: action not carried out"
)

// Error is a refused or failed action on a case.
type Error struct {
	Reason Reason
	// Case is the case's number.
	Case string
	// Status and To are the case's status and the status asked for, for the reasons that say so.
	Status, To complaintbot.Status
	// By is the user who accepted the case (ErrAccepted) or asked for the pending extension
	// (ErrExtensionPending).
	By string
	// Date is the deadline that bounds an extension (ErrDueNotLater, ErrDueTooLate,
	// ErrApprovalSecond, ErrApprovalBeyond) or the one asked for (ErrExtensionPending).
	Date time.Time
	// Err is the underlying failure (ErrAudit), or the taxonomy.CodingError of the axes missing
	// or wrong (ErrUncoded, ErrCodingInvalid).
	Err error
}

func (e *Error) Error() string {
	msg := "case " + e.Case + ": " + string(e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is the error's Reason.
func (e *Error) Is(target error) bool { r, ok := target.(Reason); return ok && r == e.Reason }

// Unwrap returns the underlying failure.
func (e *Error) Unwrap() error { return e.Err }

func refuse(rec *complaintbot.Case, r Reason) *Error {
	return &Error{Reason: r, Case: rec.Number, Status: rec.Status}
}
