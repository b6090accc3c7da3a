// Package calls holds the call list (待联系消息): every message to a customer that a person must
// deal with (storage.NeedsPerson: undeliverable — no channel WeChat allows, including an idle
// return whose allowance was used up —, failed, or of unknown outcome), for a user's branches,
// with the customer's phone number from the case. A message's branch is its case's; a message
// with no case is head office's. Nothing leaves the list but by a person: resend (only while the
// customer's messaging window is open again), mark called with a note, or close. Every action is
// written to the audit trail before it is made.
package calls

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// MaxNote is the longest note of an action, in characters.
const MaxNote = 500

// The audit trail's names of the call list's actions and of their target.
const (
	// AuditResend is resending a message (before: its status, after: pending).
	AuditResend = "call.resend"
	// AuditCalled is marking that the customer was called (before: its status, after: handled).
	AuditCalled = "call.called"
	// AuditClose is closing a message (before: its status, after: handled).
	AuditClose = "call.close"
	// AuditTarget is the audit entries' target type: the message's id, with the customer's
	// openid in it masked.
	AuditTarget = "outbox"
)

// Audit names the audit codes (and target type) of these actions for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{AuditResend: "重新发送消息", AuditCalled: "已电话联系客户", AuditClose: "关闭待联系消息"}, Target: AuditTarget, TargetName: "待联系消息"}

// Why an action is refused.
var (
	// ErrNotFound: there is no such message, it is the service's own (PurposeSystem), or its
	// case is not of the actor's branches.
	ErrNotFound = errors.New("calls: no such message in the actor's branches")
	// ErrHandled: the message is not on the call list (it was dealt with).
	ErrHandled = errors.New("calls: the message is not on the call list")
	// ErrNoteTooLong: the note is longer than MaxNote.
	ErrNoteTooLong = errors.New("calls: the note is too long")
	// ErrNoteEmpty: marking a customer called needs a note of the call.
	ErrNoteEmpty = errors.New("calls: no note of the call")
	// ErrWindowClosed: the customer's messaging window is closed (or its allowance used up), so
	// the message cannot be resent.
	ErrWindowClosed = errors.New("calls: the customer's messaging window is closed")
	// ErrUnaudited: the audit entry could not be written, so nothing was changed.
	ErrUnaudited = errors.New("calls: the audit entry could not be written")
)

// Deps are what the call list works with.
type Deps struct {
	Store *storage.Store
	Clock complaintbot.Clock
	// Log is where failures are told; nil: slog.Default().
	Log *slog.Logger
}

// Service lists and works the call list. Build it with New; it is safe for concurrent use.
type Service struct {
	store *storage.Store
	clock complaintbot.Clock
	log   *slog.Logger
}

// New returns the call list over d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: d.Store, clock: d.Clock, log: d.Log}
}

// Row is a message on the call list.
type Row struct {
	ID      string
	Purpose string
	Status  complaintbot.OutboxStatus
	// Case is the message's case number, Branch the case's branch ("" for head office), Phone
	// the number the customer left in the case.
	Case, Branch, Phone string
	Text, LastError     string
	Created             time.Time
	Done                *time.Time
	// WindowOpen says a customer-service message may be sent now: the message can be resent
	// (read only when asked for).
	WindowOpen bool
}

// List is one page of the call list of a user's branches.
type List struct {
	// Rows are the page's messages, newest first; never nil.
	Rows []Row
	// Total is how many there are in all.
	Total int
}

// List reads page (from 1) of size messages of the call list of u's branches; size 0 counts them
// only. The count comes from the list's entries (storage.CallList) and the branches and phone
// numbers from the case index; only the page's messages are read, by _id, and one dealt with
// since its entry was read is left off. withWindow also reads each listed customer's messaging
// window (by _id on the main connection).
func (s *Service) List(ctx context.Context, u *complaintbot.User, withWindow bool, page, size int) (*List, error) {
	es, err := s.store.CallList(ctx) // the read-only connection
	if err != nil {
		return nil, fmt.Errorf("read the call list: %w", err)
	}
	var numbers []string
	for _, e := range es {
		if e.Case != "" {
			numbers = append(numbers, e.Case)
		}
	}
	cases, err := s.store.CaseRows(ctx, numbers)
	if err != nil {
		return nil, fmt.Errorf("read the call list's cases: %w", err)
	}
	branchOf := func(number string) string {
		if cs := cases[number]; cs != nil {
			return cs.Branch.Code
		}
		return ""
	}
	mine := es[:0]
	for _, e := range es {
		if u.Covers(branchOf(e.Case)) {
			mine = append(mine, e)
		}
	}
	slices.SortFunc(mine, func(a, b storage.CallEntry) int { return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID)) })
	l := &List{Rows: []Row{}, Total: len(mine)}
	if size <= 0 {
		return l, nil
	}
	page = max(page, 1)
	var ids []string
	for _, e := range mine[min(len(mine), (page-1)*size):min(len(mine), page*size)] {
		ids = append(ids, e.ID)
	}
	msgs, err := s.store.OutboxMessagesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the call list's messages: %w", err)
	}
	now := s.clock.Now()
	windows := map[string]bool{}
	for _, m := range msgs {
		if !slices.Contains(storage.NeedsPerson, m.Status) || m.Purpose == complaintbot.PurposeSystem {
			continue // dealt with since its entry was read
		}
		r := Row{ID: m.ID, Purpose: m.Purpose, Status: m.Status, Case: m.CaseNumber, Text: m.Text, LastError: m.LastError,
			Created: m.Created, Done: m.Done}
		if cs := cases[m.CaseNumber]; cs != nil {
			r.Branch, r.Phone = cs.Branch.Code, cs.Fields[complaintbot.FieldPhone]
		}
		if !u.Covers(r.Branch) {
			continue
		}
		if withWindow {
			open, ok := windows[m.OpenID]
			if !ok {
				w, err := s.store.MessagingWindow(ctx, m.OpenID, now)
				if err != nil {
					return nil, fmt.Errorf("read the messaging window of message %s: %w", m.ID, err)
				}
				open = w.Open()
				windows[m.OpenID] = open
			}
			r.WindowOpen = open
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// listed is a message of the call list who may act on, with its branch and its name in the audit
// trail.
type listed struct {
	msg    *complaintbot.OutboxMessage
	branch string
	target string
	note   string
}

// listed returns the message id of the call list who may act on, with the note trimmed: of their
// branches and not the service's own (ErrNotFound), still needing a person (ErrHandled), the note
// at most MaxNote characters (ErrNoteTooLong).
func (s *Service) listed(ctx context.Context, who complaintbot.Actor, id, note string) (*listed, error) {
	m, err := s.store.OutboxMessage(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read message %s: %w", id, err)
	}
	branch := ""
	if m.CaseNumber != "" {
		cs, err := s.store.ScanCase(ctx, m.CaseNumber)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("read the case of message %s: %w", id, err)
		}
		if cs != nil {
			branch = cs.Branch.Code
		}
	}
	if who.User == nil || !who.User.Covers(branch) || m.Purpose == complaintbot.PurposeSystem {
		return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	if !slices.Contains(storage.NeedsPerson, m.Status) {
		return nil, ErrHandled
	}
	// The audit trail names the message by its id, with the customer's openid in it masked.
	target := m.ID
	if m.OpenID != "" {
		target = strings.ReplaceAll(m.ID, m.OpenID, complaintbot.MaskOpenID(m.OpenID))
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxNote {
		return nil, ErrNoteTooLong
	}
	return &listed{msg: m, branch: branch, target: target, note: note}, nil
}

// Action is what a person does with a message of the call list.
type Action string

// The actions on the call list.
const (
	// Resend puts the message back in the outbox to be sent again, while the customer's
	// messaging window is open (ErrWindowClosed otherwise); the note is checked only.
	Resend Action = "resend"
	// Called takes the message off the list as dealt with by calling the customer; the note (how
	// the call went) is required (ErrNoteEmpty).
	Called Action = "called"
	// Close takes the message off the list, with the note (it may be empty).
	Close Action = "close"
)

// ErrAction: the action is none of Resend, Called, Close.
var ErrAction = errors.New("calls: unknown action")

// Act carries out the action on message id of the call list, with the note. It refuses, in this
// order: a message not of who's branches or the service's own (ErrNotFound), one no longer on
// the list (ErrHandled), a note longer than MaxNote (ErrNoteTooLong), an unknown action
// (ErrAction), then the action's own refusals.
func (s *Service) Act(ctx context.Context, who complaintbot.Actor, id string, action Action, note string) error {
	l, err := s.listed(ctx, who, id, note)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	switch action {
	case Resend:
		w, err := s.store.MessagingWindow(ctx, l.msg.OpenID, now)
		if err != nil {
			return fmt.Errorf("read the messaging window of message %s: %w", id, err)
		}
		if !w.Open() {
			return ErrWindowClosed
		}
		if err := s.audit(ctx, who, AuditResend, l, complaintbot.OutboxPending); err != nil {
			return err
		}
		if err := s.store.RequeueOutbox(ctx, l.msg.ID, now); err != nil {
			return fmt.Errorf("resend message %s: %w", id, err)
		}
		return nil
	case Called:
		if l.note == "" {
			return ErrNoteEmpty
		}
		if err := s.audit(ctx, who, AuditCalled, l, complaintbot.OutboxHandled); err != nil {
			return err
		}
		if err := s.store.ResolveOutbox(ctx, l.msg.ID, who.Name(), "已电话联系："+l.note, now); err != nil {
			return fmt.Errorf("mark message %s called: %w", id, err)
		}
		return nil
	case Close:
		if err := s.audit(ctx, who, AuditClose, l, complaintbot.OutboxHandled); err != nil {
			return err
		}
		if err := s.store.ResolveOutbox(ctx, l.msg.ID, who.Name(), l.note, now); err != nil {
			return fmt.Errorf("close message %s: %w", id, err)
		}
		return nil
	}
	return ErrAction
}

// audit writes the entry of an action on a listed message before it is made (before: its status,
// after: to); when it cannot be written the cause is logged and ErrUnaudited returned.
func (s *Service) audit(ctx context.Context, who complaintbot.Actor, action string, l *listed, to complaintbot.OutboxStatus) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: who.Name(), Action: action, TargetType: AuditTarget, Target: l.target,
		Branch: l.branch, Before: string(l.msg.Status), After: string(to), Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: action not carried out", "action", action, "err", err)
		return fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	return nil
}
