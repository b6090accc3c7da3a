package handoffs

import (
	"context"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// pendingReplies remembers, in this process, the messages queued for customers that the outbox
// has not delivered yet, so the conversation view shows them at once.
type pendingReplies struct {
	mu sync.Mutex
	m  map[string][]pendingReply
}

type pendingReply struct {
	id, text, by string
	at           time.Time
}

func (p *pendingReplies) add(openID, id, text, by string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]pendingReply{}
	}
	l := append(p.m[openID], pendingReply{id: id, text: text, by: by, at: at})
	if len(l) > 20 {
		l = l[len(l)-20:]
	}
	p.m[openID] = l
}

func (p *pendingReplies) list(openID string) []pendingReply {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pendingReply(nil), p.m[openID]...)
}

func (p *pendingReplies) drop(openID, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.m[openID]
	for i := range l {
		if l[i].id == id {
			l = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(p.m, openID)
	} else {
		p.m[openID] = l
	}
}

// Line is one message of a conversation: a line of the transcript, or a message queued for the
// customer that is not in the transcript (yet).
type Line struct {
	storage.Line
	// Pending is set for a message queued but not delivered yet.
	Pending bool
	// Undelivered is the outbox status of a message that could not be delivered (failed,
	// undeliverable: call the customer, unknown); "" otherwise.
	Undelivered complaintbot.OutboxStatus
}

// Messages returns the conversation's newest lines (oldest first), then the messages queued from
// this process (agents' replies, notices) that the transcript does not hold yet: still pending,
// or not delivered.
func (s *Service) Messages(ctx context.Context, openID string, limit int) ([]Line, error) {
	lines, _, err := s.messages(ctx, openID, limit)
	return lines, err
}

// messages is Messages with what the turns read say about each session.
func (s *Service) messages(ctx context.Context, openID string, limit int) ([]Line, map[int]*storage.SessionFacts, error) {
	lines, facts, err := s.store.TranscriptSessions(ctx, openID, limit)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	out := make([]Line, 0, len(lines)+4)
	for _, l := range lines {
		seen[l.ID] = true
		out = append(out, Line{Line: l})
	}
	for _, p := range s.pending.list(openID) {
		if seen[p.id] {
			s.pending.drop(openID, p.id)
			continue
		}
		m, err := s.store.OutboxMessage(ctx, p.id)
		if err != nil {
			continue
		}
		l := Line{Line: storage.Line{ID: p.id, OpenID: openID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: p.text, At: p.at, By: p.by}}
		switch m.Status {
		case complaintbot.OutboxPending:
			l.Pending = true
		case complaintbot.OutboxSent:
			s.pending.drop(openID, p.id) // in the transcript from now on
		default:
			l.Undelivered = m.Status
		}
		out = append(out, l)
	}
	return out, facts, nil
}
