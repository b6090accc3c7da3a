// Package followups holds the follow-up calls (回访): a customer who rated a survey 1–2 is called
// back by the branch. A follow-up is due by the end of the second working day after it was raised
// (the service's calendar, Asia/Shanghai); after that it is overdue until done. Supervisors and
// admins take and record calls, and may have the case reopened after one; agents see their
// branches' follow-ups read-only. Every action is written to the audit trail before it is made.
package followups

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
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/storage"
)

// Days is how many working days after it was raised a follow-up call is due.
const Days = 2

// Limits of a recorded call.
const (
	// MaxText is the longest customer's view and the longest note of a call, in characters.
	MaxText = 500
	// MaxReopenNote is how much of a note goes into the reopened case's comment, in characters.
	MaxReopenNote = 200
)

// State is where a follow-up stands as listed, or (List) which follow-ups a list is limited to.
type State string

// The states of a follow-up, and the lists' limits.
const (
	// All lists every follow-up (a limit only).
	All State = ""
	// Open lists the due and overdue ones together (a limit only).
	Open State = "open"
	// Due: not done, and its due time has not passed.
	Due State = "due"
	// Overdue: not done, and its due time has passed.
	Overdue State = "overdue"
	// Done: the call was recorded.
	Done State = "done"
)

// The audit trail's names of the follow-ups' actions and of their target.
const (
	// AuditTake is taking a follow-up (before: who had it, after: who takes it).
	AuditTake = "follow_up.take"
	// AuditDone is recording a call (before: the status, after: reached and the new rating).
	AuditDone = "follow_up.done"
	// AuditTarget is the audit entries' target type: the follow-up's id.
	AuditTarget = "follow_up"
)

// Audit names the audit codes (and target type) of these actions for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{AuditTake: "领取回访", AuditDone: "完成回访"}, Target: AuditTarget, TargetName: "回访"}

// Why an action is refused.
var (
	// ErrNotFound: there is no such follow-up, or it is not of the actor's branches.
	ErrNotFound = errors.New("follow-ups: no such follow-up in the actor's branches")
	// ErrForbidden: the actor may only read follow-ups (MayWork).
	ErrForbidden = errors.New("follow-ups: only supervisors and admins work follow-ups")
	// ErrFinished: the follow-up is done already.
	ErrFinished = errors.New("follow-ups: the follow-up is done")
	// ErrReached: a call's record must say whether the customer was reached.
	ErrReached = errors.New("follow-ups: whether the customer was reached is missing")
	// ErrTooLong: the customer's view or the note is longer than MaxText.
	ErrTooLong = errors.New("follow-ups: the view or the note is too long")
	// ErrRating: the new rating is not 1 to 5.
	ErrRating = errors.New("follow-ups: the new rating is not 1 to 5")
	// ErrNoCase: the follow-up is of a conversation's survey, with no case to reopen.
	ErrNoCase = errors.New("follow-ups: the follow-up has no case")
	// ErrNoCases: the service has no case workflow, so it reopens no case.
	ErrNoCases = errors.New("follow-ups: no case workflow to reopen the case")
	// ErrState: a list was asked for a state that is none of All, Open, Due, Overdue, Done.
	ErrState = errors.New("follow-ups: unknown state")
	// ErrUnaudited: the audit entry could not be written, so nothing was changed.
	ErrUnaudited = errors.New("follow-ups: the audit entry could not be written")
)

// Deps are what the follow-ups work with.
type Deps struct {
	Store *storage.Store
	Clock complaintbot.Clock
	// Calendar counts the working days; nil: calendar.Default().
	Calendar *calendar.Calendar
	// Log is where failures are told; nil: slog.Default().
	Log *slog.Logger
	// Cases reopens a case after a call (the case workflow, *cases.Service); nil: Reopen is
	// refused (ErrNoCases).
	Cases CaseStatus
}

// CaseStatus moves a case to another status, checking the move, writing the audit entry and
// telling the customer, as cases.Service.SetStatus does (from "": whatever the status is now).
type CaseStatus interface {
	SetStatus(ctx context.Context, who complaintbot.Actor, number string, from, to complaintbot.Status, comment string) error
}

// Service lists and works the follow-up calls. Build it with New; it is safe for concurrent use.
type Service struct {
	store *storage.Store
	clock complaintbot.Clock
	cal   *calendar.Calendar
	log   *slog.Logger
	cases CaseStatus
}

// New returns the follow-ups over d.
func New(d Deps) *Service {
	if d.Calendar == nil {
		d.Calendar = calendar.Default()
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{store: d.Store, clock: d.Clock, cal: d.Calendar, log: d.Log, cases: d.Cases}
}

// MayWork reports whether u may take and record follow-up calls: supervisors and admins; agents
// may only read them.
func MayWork(u *complaintbot.User) bool {
	return u != nil && u.Role.AtLeast(complaintbot.RoleSupervisor)
}

// DueBy returns when a follow-up raised at created is due: the end of the Days-th working day
// after it.
func (s *Service) DueBy(created time.Time) time.Time {
	return s.cal.Due(created, Days, calendar.WorkingDays)
}

// stateAt is where a follow-up not done, raised at created, stands at now.
func (s *Service) stateAt(created, now time.Time) State {
	if now.After(s.DueBy(created)) {
		return Overdue
	}
	return Due
}

// Row is a follow-up as listed: the follow-up, when it is due and where it stands.
type Row struct {
	storage.FollowUp
	// DueBy is when the call is due (DueBy); State is Due, Overdue or Done.
	DueBy time.Time
	State State
	// Phone is the number the customer left in the case, to call ("" when they left none, or the
	// survey was a conversation's, with no case).
	Phone string
}

// List is one page of the follow-ups of a user's branches.
type List struct {
	// Rows are the page's follow-ups: open ones first (oldest first), then done ones (latest
	// first); never nil.
	Rows []Row
	// Open and Done are how many there are in all, Overdue how many of the open ones are past
	// their due time.
	Open, Done, Overdue int
	// Total is how many the list holds in the state it is limited to (the pages of Rows).
	Total int
}

// List reads page (from 1) of size follow-ups of u's branches in the state (All, Open, Due,
// Overdue or Done; another answers ErrState); size 0 counts them only. The counts come from the
// follow-ups' list entries (storage.FollowUpList), and only the page's follow-ups are read, by
// _id; one done since its entry was read is left off a list of open ones.
func (s *Service) List(ctx context.Context, u *complaintbot.User, state State, page, size int) (*List, error) {
	if !slices.Contains([]State{All, Open, Due, Overdue, Done}, state) {
		return nil, ErrState
	}
	es, err := s.store.FollowUpList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	now := s.clock.Now()
	var due, overdue, done []storage.FollowUpEntry
	for _, e := range es {
		switch {
		case !u.Covers(e.Branch):
		case e.Done != nil:
			done = append(done, e)
		case s.stateAt(e.Created, now) == Overdue:
			overdue = append(overdue, e)
		default:
			due = append(due, e)
		}
	}
	oldest := func(a, b storage.FollowUpEntry) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	}
	open := slices.Concat(overdue, due)
	slices.SortFunc(open, oldest)
	slices.SortFunc(overdue, oldest)
	slices.SortFunc(due, oldest)
	slices.SortFunc(done, func(a, b storage.FollowUpEntry) int {
		return cmp.Or(b.Done.Compare(*a.Done), strings.Compare(a.ID, b.ID))
	})
	all := map[State][]storage.FollowUpEntry{All: slices.Concat(open, done), Open: open, Due: due, Overdue: overdue, Done: done}[state]
	l := &List{Rows: []Row{}, Open: len(open), Done: len(done), Overdue: len(overdue), Total: len(all)}
	if size <= 0 {
		return l, nil
	}
	page = max(page, 1)
	var ids []string
	for _, e := range all[min(len(all), (page-1)*size):min(len(all), page*size)] {
		ids = append(ids, e.ID)
	}
	fs, err := s.store.FollowUpsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read follow-ups: %w", err)
	}
	var numbers []string
	for _, f := range fs {
		if f.Case != "" {
			numbers = append(numbers, f.Case)
		}
	}
	rows, err := s.store.CaseRows(ctx, numbers) // the phone numbers, from the case index
	if err != nil {
		return nil, fmt.Errorf("read the follow-ups' cases: %w", err)
	}
	for _, f := range fs {
		if (state == Open || state == Due || state == Overdue) && f.Status == storage.FollowUpDone {
			continue // done since its list entry was read
		}
		r := Row{FollowUp: f, DueBy: s.DueBy(f.Created), State: Done}
		if f.Status != storage.FollowUpDone {
			r.State = s.stateAt(f.Created, now)
		}
		if cs := rows[f.Case]; cs != nil {
			r.Phone = cs.Fields[complaintbot.FieldPhone]
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

// Tasks returns the follow-ups that are who's tasks, as List with Open: the open ones of their
// branches (the first size, oldest first; size 0 counts them only) for those who work them
// (MayWork); none for the others (agents read follow-ups, they do not work them).
func (s *Service) Tasks(ctx context.Context, who complaintbot.Actor, size int) (*List, error) {
	if !MayWork(who.User) {
		return &List{Rows: []Row{}}, nil
	}
	return s.List(ctx, who.User, Open, 1, size)
}

// FollowUp returns one follow-up of who's branches (ErrNotFound for another's).
func (s *Service) FollowUp(ctx context.Context, who complaintbot.Actor, id string) (*storage.FollowUp, error) {
	f, err := s.store.FollowUpByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("follow-up %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read follow-up %s: %w", id, err)
	}
	if who.User == nil || !who.User.Covers(f.Branch) {
		return nil, fmt.Errorf("follow-up %s: %w", id, ErrNotFound)
	}
	return f, nil
}

// Workable returns the follow-up who may work: of their branches (ErrNotFound), and who a
// supervisor or admin (ErrForbidden, MayWork).
func (s *Service) Workable(ctx context.Context, who complaintbot.Actor, id string) (*storage.FollowUp, error) {
	f, err := s.FollowUp(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if !MayWork(who.User) {
		return nil, ErrForbidden
	}
	return f, nil
}

// Take makes who the one working an open follow-up (ErrFinished for a done one).
func (s *Service) Take(ctx context.Context, who complaintbot.Actor, id string) error {
	f, err := s.Workable(ctx, who, id)
	if err != nil {
		return err
	}
	if f.Status != storage.FollowUpOpen {
		return ErrFinished
	}
	if err := s.audit(ctx, who, AuditTake, f, f.TakenBy, who.Name()); err != nil {
		return err
	}
	if err := s.store.TakeFollowUp(ctx, f.ID, who.Name(), s.clock.Now()); err != nil {
		return fmt.Errorf("take follow-up %s: %w", f.ID, err)
	}
	return nil
}

// Call is the record of a follow-up call.
type Call struct {
	// Reached says whether the customer was reached; nil (not said) is refused (ErrReached).
	Reached *bool
	// View is the customer's view after the call, Note the caller's note: each at most MaxText
	// characters once trimmed.
	View, Note string
	// Rating is a new rating 1–5 the customer gave on the call; nil for none. Another number is
	// refused (ErrRating): a caller that cannot read the rating given passes one such.
	Rating *int
}

// Record records the call of an open follow-up (ErrFinished for a done one) and marks the case's
// report figures stale (the dashboard's low ratings show the follow-up's state).
func (s *Service) Record(ctx context.Context, who complaintbot.Actor, id string, call Call) error {
	f, err := s.Workable(ctx, who, id)
	if err != nil {
		return err
	}
	if f.Status != storage.FollowUpOpen {
		return ErrFinished
	}
	rec := storage.FollowUpCall{View: strings.TrimSpace(call.View), Note: strings.TrimSpace(call.Note)}
	if call.Reached == nil {
		return ErrReached
	}
	rec.Reached = *call.Reached
	if utf8.RuneCountInString(rec.View) > MaxText || utf8.RuneCountInString(rec.Note) > MaxText {
		return ErrTooLong
	}
	if call.Rating != nil {
		if *call.Rating < 1 || *call.Rating > 5 {
			return ErrRating
		}
		rec.NewRating = *call.Rating
	}
	after := fmt.Sprintf("reached=%t rating=%d", rec.Reached, rec.NewRating)
	if err := s.audit(ctx, who, AuditDone, f, string(f.Status), after); err != nil {
		return err
	}
	now := s.clock.Now()
	if err := s.store.RecordFollowUp(ctx, f.ID, who.Name(), rec, now); err != nil {
		return fmt.Errorf("record follow-up %s: %w", f.ID, err)
	}
	// The dashboard's low ratings show the follow-up's state: marked for the reports' drain.
	if err := s.store.MarkCaseReport(ctx, f.Case, f.Survey, now); err != nil {
		s.log.Error("mark the case's report figures stale", "case", f.Case, "err", err)
	}
	return nil
}

// Reopen has the case of a follow-up reopened after the call, with the note (its first
// MaxReopenNote characters) in the comment. The case workflow checks the move, writes the audit
// entry and tells the customer; its refusals are returned wrapped.
func (s *Service) Reopen(ctx context.Context, who complaintbot.Actor, id, note string) error {
	f, err := s.Workable(ctx, who, id)
	if err != nil {
		return err
	}
	if f.Case == "" {
		return ErrNoCase
	}
	if s.cases == nil {
		return ErrNoCases
	}
	comment := "回访后重新处理"
	if n := strings.TrimSpace(note); n != "" {
		comment += "：" + cut(n, MaxReopenNote)
	}
	if err := s.cases.SetStatus(ctx, who, f.Case, "", complaintbot.StatusReopened, comment); err != nil {
		return fmt.Errorf("reopen case %s after follow-up %s: %w", f.Case, f.ID, err)
	}
	return nil
}

// audit writes the entry of an action on f before it is made; when it cannot be written the
// cause is logged and ErrUnaudited returned.
func (s *Service) audit(ctx context.Context, who complaintbot.Actor, action string, f *storage.FollowUp, before, after string) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: who.Name(), Action: action, TargetType: AuditTarget, Target: f.ID,
		Branch: f.Branch, Before: before, After: after, Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: action not carried out", "action", action, "err", err)
		return fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	return nil
}

// cut returns s's first n characters, with "…" when it had more.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
