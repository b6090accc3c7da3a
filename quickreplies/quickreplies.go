// Package quickreplies holds the ready answers agents pick in the reply box (快捷回复): who may
// write them (a supervisor for their branches, an admin for every branch), which an agent is
// offered (their branches' and those for every branch), and how their placeholders are filled
// for a conversation. Every change is written to the audit trail before it is made.
package quickreplies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Limits of a quick reply.
const (
	// MaxText is the longest text, in characters: what one customer-service message holds in the
	// console's reply box.
	MaxText = 600
	// MaxTitle is the longest title, in characters.
	MaxTitle = 20
)

// Why a change is refused.
var (
	// ErrForbidden: the actor may not write quick replies for that branch (agents write none).
	ErrForbidden = errors.New("quick replies: not allowed for this branch")
	// ErrText: the text is empty or longer than MaxText.
	ErrText = errors.New("quick replies: the text is empty or too long")
	// ErrTitle: the title is longer than MaxTitle.
	ErrTitle = errors.New("quick replies: the title is too long")
	// ErrBranch: the branch code is not one of the bank's.
	ErrBranch = errors.New("quick replies: unknown branch")
	// ErrUnaudited: the audit entry could not be written, so nothing was changed.
	ErrUnaudited = errors.New("quick replies: the audit entry could not be written")
)

// Service reads and changes the quick replies.
type Service struct {
	store    *storage.Store
	clock    complaintbot.Clock
	log      *slog.Logger
	branches map[string]bool
}

// New returns a Service over the store, for the bank's branches.
func New(store *storage.Store, clock complaintbot.Clock, log *slog.Logger, branches []complaintbot.Branch) *Service {
	known := map[string]bool{}
	for _, b := range branches {
		known[b.Code] = true
	}
	return &Service{store: store, clock: clock, log: log, branches: known}
}

// Seed stores the configured canned replies as quick replies for every branch, once in the
// database's life (deleting them in the console does not bring them back).
func (s *Service) Seed(ctx context.Context, texts []string) error {
	var qs []complaintbot.QuickReply
	for i, t := range texts {
		qs = append(qs, complaintbot.QuickReply{ID: fmt.Sprintf("default-%d", i+1), Title: defaultTitle(t), Text: t,
			By: complaintbot.SystemUser, Updated: s.clock.Now()})
	}
	_, err := s.store.SeedQuickReplies(ctx, qs)
	return err
}

// Offered returns the quick replies an agent is offered: those for every branch and for the
// user's branches (all of them for head office), those for every branch first.
func (s *Service) Offered(ctx context.Context, u *complaintbot.User) ([]complaintbot.QuickReply, error) {
	all, err := s.store.QuickReplies(ctx)
	if err != nil {
		return nil, err
	}
	var out []complaintbot.QuickReply
	for _, q := range all {
		if q.Branch == "" || u.Covers(q.Branch) {
			out = append(out, q)
		}
	}
	slices.SortStableFunc(out, func(a, b complaintbot.QuickReply) int {
		return strings.Compare(a.Branch, b.Branch)
	})
	return out, nil
}

// Manageable returns the quick replies the actor may change (none for an agent).
func (s *Service) Manageable(ctx context.Context, who complaintbot.Actor) ([]complaintbot.QuickReply, error) {
	if !mayManage(who) {
		return nil, ErrForbidden
	}
	offered, err := s.Offered(ctx, who.User)
	if err != nil {
		return nil, err
	}
	var out []complaintbot.QuickReply
	for _, q := range offered {
		if mayWrite(who, q.Branch) {
			out = append(out, q)
		}
	}
	return out, nil
}

func mayManage(who complaintbot.Actor) bool {
	return who.User != nil && who.User.Role.AtLeast(complaintbot.RoleSupervisor)
}

// mayWrite: admins write for any branch and for every branch (""); supervisors for their own
// branches only.
func mayWrite(who complaintbot.Actor, branch string) bool {
	if !mayManage(who) {
		return false
	}
	if who.Admin() {
		return true
	}
	return branch != "" && who.User.Covers(branch)
}

// Save stores a new quick reply (q.ID "") or changes one the actor may change, and returns it.
// An empty title is made from the text's beginning.
func (s *Service) Save(ctx context.Context, who complaintbot.Actor, q complaintbot.QuickReply) (*complaintbot.QuickReply, error) {
	q.Text = strings.TrimSpace(q.Text)
	q.Title = strings.TrimSpace(q.Title)
	q.Branch = strings.TrimSpace(q.Branch)
	switch n := utf8.RuneCountInString(q.Text); {
	case n == 0 || n > MaxText:
		return nil, ErrText
	case utf8.RuneCountInString(q.Title) > MaxTitle:
		return nil, ErrTitle
	case q.Branch != "" && !s.branches[q.Branch]:
		return nil, ErrBranch
	case !mayWrite(who, q.Branch):
		return nil, ErrForbidden
	}
	before := ""
	action := "quick_reply.add"
	if q.ID != "" {
		old, err := s.store.QuickReply(ctx, q.ID)
		if err != nil {
			return nil, err
		}
		if !mayWrite(who, old.Branch) {
			return nil, ErrForbidden
		}
		before, action = old.Text, "quick_reply.change"
	} else {
		q.ID = complaintbot.RandomToken(9)
	}
	if q.Title == "" {
		q.Title = defaultTitle(q.Text)
	}
	q.By, q.Updated = who.Name(), s.clock.Now()
	if err := s.audit(ctx, who, action, q.ID, q.Branch, before, q.Text); err != nil {
		return nil, err
	}
	if err := s.store.PutQuickReply(ctx, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Delete removes a quick reply the actor may change.
func (s *Service) Delete(ctx context.Context, who complaintbot.Actor, id string) error {
	if !mayManage(who) {
		return ErrForbidden
	}
	old, err := s.store.QuickReply(ctx, id)
	if err != nil {
		return err
	}
	if !mayWrite(who, old.Branch) {
		return ErrForbidden
	}
	if err := s.audit(ctx, who, "quick_reply.delete", id, old.Branch, old.Text, ""); err != nil {
		return err
	}
	return s.store.DeleteQuickReply(ctx, id)
}

func (s *Service) audit(ctx context.Context, who complaintbot.Actor, action, id, branch, before, after string) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: who.Name(), Action: action, TargetType: "quick_reply", Target: id,
		Branch: branch, Before: before, After: after, Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: quick reply not changed", "action", action, "err", err)
		return fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	return nil
}

// Fill returns the text with its placeholders filled: the case number (left as the placeholder
// when the customer has no case the agent may see, so that the agent notices) and the agent's
// name.
func Fill(text, caseNumber, agent string) string {
	if caseNumber != "" {
		text = strings.ReplaceAll(text, complaintbot.QuickReplyCase, caseNumber)
	}
	return strings.ReplaceAll(text, complaintbot.QuickReplyAgent, agent)
}

// defaultTitle is the first few characters of the text.
func defaultTitle(text string) string {
	r := []rune(text)
	if len(r) > 12 {
		return string(r[:12]) + "…"
	}
	return text
}
