package handoffs

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// Reply is an agent's message to the customer.
type Reply struct {
	Text string
	// ClientID makes a double submission send once; "" picks a new one.
	ClientID string
}

var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// SendReply queues the agent's reply for the customer-service message API, about the customer's
// newest open case if they have one (see replyConcerns), after checking that WeChat will take it: within 48 hours of the customer's last message and within the allowance
// (ErrWindowClosed, *AllowanceError otherwise). It returns the reply's outbox id; the same
// ClientID again returns the same id and sends nothing more.
func (s *Service) SendReply(ctx context.Context, who complaintbot.Actor, v *Conversation, r Reply) (string, error) {
	if err := s.Holds(who, v); err != nil {
		return "", err
	}
	text := strings.TrimSpace(r.Text)
	if text == "" {
		return "", ErrEmptyReply
	}
	if len([]rune(text)) > MaxReply {
		return "", ErrReplyTooLong
	}
	if r.ClientID == "" {
		r.ClientID = complaintbot.RandomToken(12)
	} else if !clientIDRe.MatchString(r.ClientID) {
		return "", ErrBadClientID
	}
	id := "agent:" + v.OpenID + ":" + r.ClientID
	if _, err := s.store.OutboxMessage(ctx, id); err == nil {
		return id, nil // sent already (a double submission)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	now := s.clock.Now()
	if err := s.CheckWindow(ctx, v.OpenID, now); err != nil {
		return "", err
	}
	number, err := s.replyConcerns(ctx, v.OpenID)
	if err != nil {
		return "", err
	}
	m := &complaintbot.OutboxMessage{ID: id, OpenID: v.OpenID, Text: text, Purpose: complaintbot.PurposeAgent, CaseNumber: number,
		By: who.User.Name, Created: now}
	if err := s.audit(ctx, who, "conversation.reply", v.OpenID, v.BranchCode, "", text); err != nil {
		return "", err
	}
	if _, err := s.store.Enqueue(ctx, m); err != nil {
		return "", err
	}
	s.pending.add(v.OpenID, id, text, who.User.Name, now)
	if err := s.store.UpdateHandoff(ctx, v.Handoff.ID, storage.HandoffUpdate{ActiveAt: &now}); err != nil {
		s.log.Error("update handoff activity", "err", err)
	}
	s.bus.Publish(events.Event{Kind: events.Turn, OpenID: v.OpenID, Ref: id, At: now})
	return id, nil
}

// replyConcerns is the case an agent's reply to the customer is about: their newest open case
// ("" when none is open). Once the reply is delivered, that case counts as replied to (its reply
// deadline is met).
func (s *Service) replyConcerns(ctx context.Context, openID string) (string, error) {
	cs, err := s.store.CasesOf(ctx, openID, 20)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Status.Open() {
			return c.Number, nil
		}
	}
	return "", nil
}

// CheckWindow tells, before anything is queued, whether WeChat will accept one more
// customer-service message to the customer at now: nil, ErrWindowClosed or *AllowanceError.
func (s *Service) CheckWindow(ctx context.Context, openID string, now time.Time) error {
	w, queued, err := s.store.WindowWithQueue(ctx, openID, now)
	if err != nil {
		return err
	}
	if w.Closed(now) {
		return ErrWindowClosed
	}
	if w.Remaining <= 0 {
		return &AllowanceError{Used: w.Sent + queued}
	}
	return nil
}

// Window returns the customer's messaging window now, counting the messages still queued.
func (s *Service) Window(ctx context.Context, openID string) (storage.Window, error) {
	w, _, err := s.store.WindowWithQueue(ctx, openID, s.clock.Now())
	return w, err
}

// tell sends the customer a message about their conversation when WeChat allows it (best effort:
// a closed window or a used-up allowance just means the customer is not told now). key makes it
// once only.
func (s *Service) tell(ctx context.Context, openID, key, text string) {
	now := s.clock.Now()
	if err := s.CheckWindow(ctx, openID, now); err != nil {
		if !windowRefusal(err) {
			s.log.Error("read the messaging window", "err", err)
		}
		return
	}
	s.enqueue(ctx, &complaintbot.OutboxMessage{ID: "console:" + key, OpenID: openID, Text: text, Purpose: complaintbot.PurposeSystem,
		By: complaintbot.SystemUser, Created: now})
}

// tellOrCall sends the customer a message they must get (storage.PurposeHandoff): when WeChat
// allows no customer-service message, the outbox worker puts it on the list of customers to call
// (storage.UndeliverableOutbox) with the reason.
func (s *Service) tellOrCall(ctx context.Context, openID, key, text string) {
	s.enqueue(ctx, &complaintbot.OutboxMessage{ID: "console:" + key, OpenID: openID, Text: text, Purpose: complaintbot.PurposeHandoff,
		By: complaintbot.SystemUser, Created: s.clock.Now()})
}

// enqueue adds m to the outbox and to the pending replies the conversation view shows.
func (s *Service) enqueue(ctx context.Context, m *complaintbot.OutboxMessage) {
	if _, err := s.store.Enqueue(ctx, m); err != nil {
		s.log.Error("queue message to customer", "purpose", m.Purpose, "err", err)
		return
	}
	s.pending.add(m.OpenID, m.ID, m.Text, m.By, m.Created)
}

// windowRefusal reports whether err says that WeChat takes no customer-service message now.
func windowRefusal(err error) bool {
	var used *AllowanceError
	return errors.Is(err, ErrWindowClosed) || errors.As(err, &used)
}
