package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// AuditWithdraw is the audit trail's code of a withdrawal (撤回).
const AuditWithdraw = "case.withdraw"

// MaxWithdrawReason is the longest reason recorded with a withdrawal, in characters.
const MaxWithdrawReason = 200

// CustomerWithdrawReason is the timeline's reason of a withdrawal the customer made in the chat.
const CustomerWithdrawReason = "客户在微信中确认撤回"

// Why a withdrawal is refused.
const (
	// ErrWithdrawFinished: a resolved or closed case is not withdrawn (Error.Status).
	ErrWithdrawFinished Reason = "withdraw: the case is resolved or closed"
	// ErrWithdrawReason: an agent records a withdrawal with its reason (how the customer asked).
	ErrWithdrawReason Reason = "withdraw: no reason"
	// ErrWithdrawReasonTooLong: the reason is at most MaxWithdrawReason characters.
	ErrWithdrawReasonTooLong Reason = "withdraw: reason too long"
)

func init() {
	Audit.Actions[AuditWithdraw] = "撤回案件"
}

// Withdraw records that the customer withdrew the open case (撤回: by phone, at the counter…),
// for reason: the case ends as withdrawn — not open, not overdue, without a decision, its reminders
// stop — and the customer is told (notice withdrawn). A case withdrawn already is left as it is.
func (s *Service) Withdraw(ctx context.Context, who complaintbot.Actor, number, reason string) error {
	return s.withdraw(ctx, who, "", number, reason)
}

// CustomerWithdraw withdraws the open case of the customer openID at their request in the chat,
// as complaintbot.Customer; the customer confirmed it there and was told. A case that is not the
// customer's is not found (storage.ErrNotFound); one withdrawn already is left as it is, so that
// a turn applied again changes nothing.
func (s *Service) CustomerWithdraw(ctx context.Context, openID, number string) error {
	if openID == "" {
		return fmt.Errorf("withdraw case %s: no customer", number)
	}
	return s.withdraw(ctx, complaintbot.Customer, openID, number, CustomerWithdrawReason)
}

func (s *Service) withdraw(ctx context.Context, who complaintbot.Actor, openID, number, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.apply(ctx, who, number, AuditWithdraw, func(rec *complaintbot.Case, _ time.Time) (*decision, error) {
		if openID != "" && rec.OpenID != openID {
			return nil, fmt.Errorf("case %s is not the customer's: %w", rec.Number, storage.ErrNotFound)
		}
		if rec.Status == complaintbot.StatusWithdrawn {
			return nil, nil
		}
		if !rec.Status.Open() {
			return nil, refuse(rec, ErrWithdrawFinished)
		}
		if reason == "" {
			return nil, refuse(rec, ErrWithdrawReason)
		}
		if len([]rune(reason)) > MaxWithdrawReason {
			return nil, refuse(rec, ErrWithdrawReasonTooLong)
		}
		to := complaintbot.StatusWithdrawn
		d := &decision{before: string(rec.Status), after: string(to) + ": " + reason, change: storage.CaseChange{FromStatus: rec.Status, Status: &to,
			Entries: []complaintbot.TimelineEntry{
				{Kind: "withdraw", Text: reason},
				{Kind: "status", From: string(rec.Status), To: string(to)},
			}}}
		if openID == "" { // the customer asked elsewhere: told here; in the chat they were told there
			d.notice, d.data = flows.NoticeWithdrawn, flows.NoticeData{Reason: reason}
		}
		return d, nil
	})
}
