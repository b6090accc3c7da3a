// Package handoffs is the queue for a person: a customer waiting for an agent, an agent claiming
// the conversation, replying within what WeChat allows, transferring it to a colleague or another
// branch's queue, handing it back to the bot or ending the service, the return to the bot of a
// conversation left idle, and the hand-over to WeChat's own customer-service system.
//
// Who holds a conversation changes only through an insert with a unique key
// (storage.HandoffEvent: the request and the change's number), so when two agents act at once
// exactly one wins, on MongoDB and on the embedded server alike; the conversation's state follows
// through Conversations.Control (a versioned turn), so the bot is silent exactly while an agent
// holds it. What the customer is told comes from the flow file (flows.HandoffText).
//
// Every agent action (claim, reply, transfer, release, queue) and every idle return is written to
// the audit trail before it is carried out: one whose entry cannot be written is not carried out
// (ErrAudit). Who acts is a complaintbot.Actor.
//
// The package decides; it does not present. Errors are typed (ErrNotHeld, *TakenError, ...) and
// name users by their user name: the console says them in plain words with display names.
package handoffs

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// Conversations changes a customer's conversation on behalf of someone other than the customer
// and reads its state; *conversations.Service is one.
type Conversations interface {
	State(ctx context.Context, openID string) (complaintbot.ConversationState, error)
	Control(ctx context.Context, openID, note string, change func(st *complaintbot.ConversationState) ([]string, error)) (complaintbot.ConversationState, error)
}

// Surveys lets the customer rate a conversation an agent handled (the scheduler).
type Surveys interface {
	ConversationEnded(ctx context.Context, openID, handoffID, agent string) error
}

// Deps are what a Service works with.
type Deps struct {
	Store *storage.Store
	Convs Conversations
	Bus   *events.Bus
	Clock complaintbot.Clock
	Log   *slog.Logger
	// Config gives agent_idle_timeout, handoff_mode and working_hours.
	Config config.Console
	// Calendar tells working days (for the after-hours note); nil means calendar.Default().
	Calendar *calendar.Calendar
	// Branches are the bank's branches (a transfer goes to one of them or to head office).
	Branches []complaintbot.Branch
	// Definition holds the texts the customer is told (flows.HandoffText).
	Definition *flows.Definition
	// Engine takes a customer out of the queue when their wait expires (ExpireWaiting).
	Engine *flows.Engine
}

// Service is the handoff workflow. Build it with New; it is safe for concurrent use.
type Service struct {
	store    *storage.Store
	convs    Conversations
	bus      *events.Bus
	clock    complaintbot.Clock
	log      *slog.Logger
	cfg      config.Console
	cal      *calendar.Calendar
	branches []complaintbot.Branch
	def      *flows.Definition
	engine   *flows.Engine

	hoursFrom, hoursTo int
	surveys            atomic.Pointer[Surveys]
	pending            pendingReplies
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Convs == nil || d.Clock == nil || d.Definition == nil || d.Engine == nil {
		return nil, fmt.Errorf("handoffs: Store, Convs, Clock, Definition and Engine are required")
	}
	from, to, err := config.ParseWorkingHours(d.Config.WorkingHours)
	if err != nil {
		return nil, fmt.Errorf("console.working_hours: %w", err)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Calendar == nil {
		d.Calendar = calendar.Default()
	}
	if d.Bus == nil {
		d.Bus = &events.Bus{}
	}
	return &Service{store: d.Store, convs: d.Convs, bus: d.Bus, clock: d.Clock, log: d.Log.With("component", "handoffs"), cfg: d.Config,
		cal: d.Calendar, branches: d.Branches, def: d.Definition, engine: d.Engine, hoursFrom: from, hoursTo: to}, nil
}

// SetSurveys connects the service to the survey sender; until then no rating is asked for after
// an agent ends or hands back a conversation.
func (s *Service) SetSurveys(v Surveys) { s.surveys.Store(&v) }

// Mode is console.handoff_mode: "console" or "wechat_kf".
func (s *Service) Mode() string { return s.cfg.HandoffMode }

// audit writes an entry of the audit trail before the action it records: when it cannot be
// written the action is not carried out, and the caller returns the error (wrapping ErrAudit).
func (s *Service) audit(ctx context.Context, who complaintbot.Actor, action, target, branch, before, after string) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: who.User.Name, Action: action, TargetType: "conversation", Target: target,
		Branch: branch, Before: before, After: after, Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrAudit, action, err)
	}
	return nil
}

// knownBranch reports whether code is a branch of the bank or head office.
func (s *Service) knownBranch(code string) bool {
	if code == storage.HeadOffice {
		return true
	}
	for _, b := range s.branches {
		if b.Code == code {
			return true
		}
	}
	return false
}
