// Package users holds the console's accounts: who may log in (names, roles, branch scopes,
// passwords and their rules), the login itself with its lock-outs, and the sessions that follow
// it. The console presents it over HTTP and `complaintbot user` from the command line; both call
// the same Service, so a rule (a password that is too common, an admin who may not disable
// themselves) holds however an account is managed.
//
// Every account change, login and logout is written to the audit trail, with who made it, before
// it is made: one whose entry cannot be written is not made (a refusal with Code Unaudited). Who
// acts is a complaintbot.Actor (complaintbot.CLI for the command line).
package users

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
)

// Code classifies a refusal, so that each caller can answer it its own way (an HTTP status, an
// exit code).
type Code int

// The kinds of refusal.
const (
	// Invalid: the input breaks a rule (a bad name, a weak password, an unknown branch).
	Invalid Code = iota + 1
	// Conflict: the user name is taken.
	Conflict
	// Forbidden: the actor may not do this.
	Forbidden
	// Unauthenticated: a wrong name or password, a disabled account, no live session.
	Unauthenticated
	// LockedOut: too many failed logins; try again later.
	LockedOut
	// Unaudited: the audit entry could not be written, so the action was not carried out.
	Unaudited
)

// Error is a refusal the person is told about, in plain Chinese.
type Error struct {
	Code Code
	Msg  string
	// Err is the underlying failure (Unaudited).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the underlying failure.
func (e *Error) Unwrap() error { return e.Err }

func refuse(code Code, msg string) error { return &Error{Code: code, Msg: msg} }

// ErrNoSession is the answer to a request without a live session.
var ErrNoSession error = &Error{Code: Unauthenticated, Msg: "请先登录。"}

// errForbidden refuses an actor who is not an admin.
var errForbidden = &Error{Code: Forbidden, Msg: "您无权进行此操作。"}

// bootstrap is the actor of the service's own account changes (the first admin).
var bootstrap = complaintbot.Actor{User: complaintbot.System.User, Addr: "bootstrap"}

// Deps are what the service works with.
type Deps struct {
	Store *storage.Store
	Clock complaintbot.Clock
	Log   *slog.Logger
	// Config supplies the session and lock-out settings (session_idle, login_max_failures,
	// login_lockout).
	Config config.Console
	// Branches are the bank's branches (the flow definition's list): a user is bound to these
	// codes or to head office.
	Branches []complaintbot.Branch
}

// Service manages accounts, logins and sessions. Build it with New; it is safe for concurrent use.
type Service struct {
	store    *storage.Store
	clock    complaintbot.Clock
	log      *slog.Logger
	cfg      config.Console
	branches []complaintbot.Branch

	purgeMu   sync.Mutex
	lastPurge time.Time
}

// New returns the service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = complaintbot.SystemClock{}
	}
	return &Service{store: d.Store, clock: d.Clock, log: d.Log.With("component", "users"), cfg: d.Config, branches: d.Branches}
}

// SessionIdle is how long a session lives without a request.
func (s *Service) SessionIdle() time.Duration { return s.cfg.SessionIdle.D() }

// audit writes an entry of the audit trail before the action it records: when it cannot be
// written the action is not carried out, and the caller returns the Unaudited refusal.
func (s *Service) audit(ctx context.Context, by complaintbot.Actor, action, targetType, target, before, after string) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: by.Name(), Action: action, TargetType: targetType, Target: target,
		Before: before, After: after, Addr: by.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: action not carried out", "action", action, "target", target, "err", err)
		return &Error{Code: Unaudited, Msg: "操作记录无法写入，本次操作未执行，请稍后重试。", Err: fmt.Errorf("audit %s: %w", action, err)}
	}
	return nil
}

// knownBranch reports whether code is a branch of the bank or head office.
func (s *Service) knownBranch(code string) bool {
	if code == complaintbot.HeadOffice {
		return true
	}
	for _, b := range s.branches {
		if b.Code == code {
			return true
		}
	}
	return false
}
