// Package users holds the console's accounts: who may log in (names, roles, branch scopes,
// passwords and their rules), the login itself with its lock-outs, and the sessions that follow
// it. The console presents it over HTTP and `complaintbot user` from the command line; both call
// the same Service, so a rule (a password that is too common, an admin who may not disable
// themselves) holds however an account is managed.
//
// Every account change is written to the audit trail with who made it.
package users

import (
	"context"
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
)

// Error is a refusal the person is told about, in plain Chinese.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func refuse(code Code, msg string) error { return &Error{Code: code, Msg: msg} }

// ErrNoSession is the answer to a request without a live session.
var ErrNoSession error = &Error{Code: Unauthenticated, Msg: "请先登录。"}

// errForbidden refuses an actor who is not an admin.
var errForbidden = &Error{Code: Forbidden, Msg: "您无权进行此操作。"}

// Actor is who is acting on accounts, and from where (both go to the audit trail).
type Actor struct {
	User *complaintbot.User
	Addr string
}

func (a Actor) name() string {
	if a.User == nil {
		return ""
	}
	return a.User.Name
}

func (a Actor) admin() bool { return a.User != nil && a.User.Role == complaintbot.RoleAdmin }

// CLI is the actor of `complaintbot user` commands: an admin at the machine.
var CLI = Actor{User: &complaintbot.User{Name: "cli", DisplayName: "命令行", Role: complaintbot.RoleAdmin,
	Branches: []string{complaintbot.HeadOffice}}, Addr: "local"}

// system is the actor of the service's own account changes (the first admin).
var system = Actor{User: &complaintbot.User{Name: "system", DisplayName: "系统", Role: complaintbot.RoleAdmin,
	Branches: []string{complaintbot.HeadOffice}}, Addr: "bootstrap"}

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

// audit writes an entry of the audit trail; a failure is logged (the change itself happened).
func (s *Service) audit(ctx context.Context, by Actor, action, targetType, target, before, after string) {
	e := &storage.AuditEntry{At: s.clock.Now(), User: by.name(), Action: action, TargetType: targetType, Target: target,
		Before: before, After: after, Addr: by.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail", "action", action, "target", target, "err", err)
	}
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
