package handoffs

import (
	"context"
	"errors"
	"slices"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Who sees what of a conversation (design.md §9). A customer's chat never ends, so it is cut into
// sessions (complaintbot.ConversationState.Session): an intake and what follows it, a handoff, a
// progress question, a survey answer — each begun by a message or an agent's action that found the
// conversation idle. A session belongs to a branch, worked out from its own turns: the branch of
// the case it registered, added to or rated; else the branch its draft named; else the branch its
// queue entry was routed to; else none (head office only). A user sees the lines of the sessions of
// their branches (head office all of them), a notice about a case if they see the case, and the
// lines written between turns (agents' replies, notes, the service's own messages) as they see the
// session those follow. This is the one place that decides it.

// View is what one user may see of a customer's conversation.
type View struct {
	// Lines are the lines the user may see, oldest first.
	Lines []Line
	// Sessions are the numbers of the sessions the user may see.
	Sessions []int
	// Cases are the case numbers, per session, of the sessions the user may see.
	Cases map[int][]string
}

// Sees reports whether the view holds anything of the conversation.
func (v *View) Sees() bool { return len(v.Lines) > 0 }

// ViewFor returns what u may see of the customer's conversation (its newest limit lines). The
// conversation v gives the branch its lines from before sessions existed are read as (the branch
// it is routed to) and who holds it: the holder sees the session they hold.
func (s *Service) ViewFor(ctx context.Context, u *complaintbot.User, v *Conversation, limit int) (*View, error) {
	lines, facts, err := s.messages(ctx, v.OpenID, limit)
	if err != nil {
		return nil, err
	}
	branches, caseBranch, err := s.sessionBranches(ctx, facts)
	if err != nil {
		return nil, err
	}
	current := v.State.Session
	sees := func(session int) bool {
		if session == 0 { // before sessions existed: as the conversation was filed
			return u.Covers(v.BranchCode) || (v.Holder != "" && v.Holder == u.Name)
		}
		if session == current && v.Holder != "" && v.Holder == u.Name {
			return true
		}
		return u.Covers(branches[session])
	}
	view := &View{Cases: map[int][]string{}}
	// The lines between turns (agents' replies, notes) follow the turn before them; a notice
	// about a case follows its case alone, and the lines after it the turn again.
	inTurn := sees(0)
	for _, l := range lines {
		visible := inTurn
		switch {
		case l.FromTurn:
			inTurn = sees(l.Session)
			visible = inTurn
		case l.Case != "":
			if b, ok := caseBranch[l.Case]; ok {
				visible = u.Covers(b)
			} else {
				visible = u.HeadOffice()
			}
		}
		if visible {
			view.Lines = append(view.Lines, l)
		}
	}
	for n, f := range facts {
		if sees(n) {
			view.Sessions = append(view.Sessions, n)
			view.Cases[n] = f.Cases
		}
	}
	slices.Sort(view.Sessions)
	return view, nil
}

// sessionBranches works out each session's branch, and the branch of every case a session names.
func (s *Service) sessionBranches(ctx context.Context, facts map[int]*storage.SessionFacts) (map[int]string, map[string]string, error) {
	var numbers []string
	for _, f := range facts {
		numbers = append(numbers, f.Cases...)
	}
	caseBranch := map[string]string{}
	if len(numbers) > 0 {
		cs, err := s.store.CaseSummaries(ctx, numbers, len(numbers))
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			caseBranch[c.Number] = c.Branch.Code
		}
	}
	out := map[int]string{}
	for n, f := range facts {
		switch {
		case len(f.Cases) > 0:
			out[n] = caseBranch[f.Cases[0]] // the case the session registered or concerns first
		case f.DraftBranch != "":
			out[n] = f.DraftBranch
		case f.HandoffID != "":
			h, err := s.store.HandoffByID(ctx, f.HandoffID)
			switch {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return nil, nil, err
			case h.BranchCode != nil:
				out[n] = *h.BranchCode
			}
		}
	}
	return out, caseBranch, nil
}

// CaseSessions returns the sessions of the customer's conversation that concern the case number
// (registered, added to or rated it), as far as the newest limit lines reach.
func (s *Service) CaseSessions(ctx context.Context, openID, number string, limit int) ([]Line, error) {
	lines, facts, err := s.messages(ctx, openID, limit)
	if err != nil {
		return nil, err
	}
	mine := map[int]bool{}
	for n, f := range facts {
		if n != 0 && slices.Contains(f.Cases, number) {
			mine[n] = true
		}
	}
	var out []Line
	inTurn := false // as in ViewFor: a notice follows its case, the lines after it the turn
	for _, l := range lines {
		keep := inTurn
		switch {
		case l.FromTurn:
			inTurn = mine[l.Session]
			keep = inTurn
		case l.Case != "":
			keep = l.Case == number
		}
		if keep {
			out = append(out, l)
		}
	}
	return out, nil
}
