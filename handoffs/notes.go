package handoffs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// MaxNote is the longest internal note on a conversation, in characters.
const MaxNote = 1000

var (
	// ErrEmptyNote: the note has no text.
	ErrEmptyNote = errors.New("handoffs: the note is empty")
	// ErrNoteTooLong: the note is longer than MaxNote characters.
	ErrNoteTooLong = fmt.Errorf("handoffs: the note is longer than %d characters", MaxNote)
)

// AddNote records an internal note on the customer's conversation (备注): it appears among the
// conversation's messages in the console, for whoever may see the conversation, and is never
// sent to the customer. Any console user who may see the conversation may add one, holding it
// or not. The same clientID again records nothing more.
func (s *Service) AddNote(ctx context.Context, who complaintbot.Actor, v *Conversation, text, clientID string) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return ErrEmptyNote
	case len([]rune(text)) > MaxNote:
		return ErrNoteTooLong
	}
	if clientID == "" {
		clientID = complaintbot.RandomToken(12)
	} else if !clientIDRe.MatchString(clientID) {
		return ErrBadClientID
	}
	if err := s.audit(ctx, who, "conversation.note", v.OpenID, v.BranchCode, "", text); err != nil {
		return err
	}
	now := s.clock.Now()
	id := "note:" + v.OpenID + ":" + clientID
	if err := s.store.AppendLine(ctx, storage.Line{ID: id, OpenID: v.OpenID, Dir: storage.Note, Type: complaintbot.InputText,
		Text: text, At: now, By: who.User.Name}); err != nil {
		return fmt.Errorf("add note to conversation %s: %w", complaintbot.MaskOpenID(v.OpenID), err)
	}
	s.bus.Publish(events.Event{Kind: events.Turn, OpenID: v.OpenID, Ref: id, At: now})
	return nil
}
