package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// WeChat lets an Official Account send customer-service messages to a customer only within
// WindowLength of the customer's last message, and at most WindowAllowance of them per window.
const (
	WindowLength    = 48 * time.Hour
	WindowAllowance = 5
)

// Window is where a customer's customer-service messaging window stands.
type Window struct {
	// LastInbound is the customer's last message (zero if none).
	LastInbound time.Time
	// Closes is when the window closes (LastInbound + 48 h).
	Closes time.Time
	// Sent counts customer-service messages sent since LastInbound.
	Sent int
	// Remaining is how many more may be sent now: 0 when the window is closed or used up.
	Remaining int
}

// Open reports whether a customer-service message may be sent now.
func (w Window) Open() bool { return w.Remaining > 0 }

// Closed reports whether the 48 hours are over at now (or the customer never wrote): no
// customer-service message may go until they write again. A window that is not closed but not
// Open has its allowance used up.
func (w Window) Closed(now time.Time) bool { return w.LastInbound.IsZero() || !now.Before(w.Closes) }

// MessagingWindow tells whether and how many customer-service messages may be sent to the customer at now.
func (s *Store) MessagingWindow(ctx context.Context, openID string, now time.Time) (Window, error) {
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, err
	}
	w := Window{LastInbound: last, Closes: last.Add(WindowLength)}
	if w.Sent, err = s.windowSent(ctx, openID, last); err != nil {
		return Window{}, err
	}
	w.Remaining = w.remaining(now, 0)
	return w, nil
}

// WindowSendsCollection keeps, per customer (_id: the openid), when customer-service messages were
// sent to them (or perhaps sent: an attempt of unknown outcome counts too, as WeChat may have
// counted it): the messaging window is counted from it by _id, not from the outbox.
const WindowSendsCollection = "window_sends"

func init() { addCollection(WindowSendsCollection) }

// windowKeep is how many of a customer's newest sends are kept: more than an allowance's worth.
const windowKeep = 4 * WindowAllowance

type windowSends struct {
	OpenID string      `bson:"_id"`
	Sent   []time.Time `bson:"sent"`
}

// noteWindowSend records that a customer-service message went (or may have gone) to the customer at at.
func (s *Store) noteWindowSend(ctx context.Context, openID string, at time.Time) error {
	c := s.db.Collection(WindowSendsCollection)
	_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: openID}}, bson.D{{Key: "$push", Value: bson.D{{Key: "sent", Value: at}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("count a customer-service message in the window: %w", err)
	}
	return nil
}

// windowSent counts the customer-service messages sent to the customer since since, and trims the
// record to its newest windowKeep sends when it has grown past twice that.
func (s *Store) windowSent(ctx context.Context, openID string, since time.Time) (int, error) {
	c := s.db.Collection(WindowSendsCollection)
	var ws windowSends
	err := c.FindOne(ctx, bson.D{{Key: "_id", Value: openID}}).Decode(&ws)
	if notFound(err) == ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count messages sent in window: %w", err)
	}
	n := 0
	for _, t := range ws.Sent {
		if !t.Before(since) {
			n++
		}
	}
	if len(ws.Sent) > 2*windowKeep {
		// A send recorded between the read and this write could be lost on MongoDB, where another
		// instance may be sending: the count would then be one short, and WeChat's refusal
		// (45047) is handled as for any closed window.
		slices.SortFunc(ws.Sent, time.Time.Compare)
		kept := ws.Sent[len(ws.Sent)-windowKeep:]
		if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: openID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "sent", Value: kept}}}}); err != nil {
			s.log.Warn("trim the window record", "customer", complaintbot.MaskOpenID(openID), "err", err)
		}
	}
	return n, nil
}

// remaining is how many more customer-service messages may go at now, with queued ones on the way.
func (w Window) remaining(now time.Time, queued int) int {
	if now.Before(w.Closes) && w.Sent+queued < WindowAllowance {
		return WindowAllowance - w.Sent - queued
	}
	return 0
}

// lastInbound returns when the customer last wrote (zero if never): the time of their newest turn
// that carries a message of theirs (not an agent's control change, not an unsubscribe). On the
// embedded server, which would read every turn for that query, it walks back from the newest turn
// by id (see LatestTurn); usually the newest turn is the one.
func (s *Store) lastInbound(ctx context.Context, openID string) (time.Time, error) {
	notCustomer := bson.A{complaintbot.InputControl, complaintbot.InputUnsubscribe}
	var t Turn
	if s.embedded == nil {
		filter := bson.D{{Key: "openid", Value: openID}, {Key: "in.type", Value: bson.D{{Key: "$nin", Value: notCustomer}}}}
		err := s.turns.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}}).
			SetProjection(bson.D{{Key: "at", Value: 1}})).Decode(&t)
		if notFound(err) == ErrNotFound {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("find last customer message: %w", err)
		}
		return t.At, nil
	}
	v, err := s.latestVersion(ctx, openID)
	if err != nil {
		return time.Time{}, err
	}
	for ; v > 0; v-- {
		t = Turn{}
		err := s.turns.FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}},
			options.FindOne().SetProjection(bson.D{{Key: "at", Value: 1}, {Key: "in.type", Value: 1}})).Decode(&t)
		if err != nil {
			return time.Time{}, fmt.Errorf("find last customer message: %w", notFound(err))
		}
		if t.In.Type != complaintbot.InputControl && t.In.Type != complaintbot.InputUnsubscribe {
			return t.At, nil
		}
	}
	return time.Time{}, nil
}

// WindowWithQueue is MessagingWindow counting, besides the customer-service messages sent since the
// customer's last message, those still queued for delivery (or of unknown outcome): what an agent
// may still send without WeChat refusing it. A message delivered between the two counts may be
// counted twice, never not at all.
func (s *Store) WindowWithQueue(ctx context.Context, openID string, now time.Time) (w Window, queued int, err error) {
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, 0, err
	}
	w = Window{LastInbound: last, Closes: last.Add(WindowLength)}
	if s.embedded != nil {
		queued, err = s.queuedEmbedded(ctx, openID)
	} else {
		var n int64
		n, err = s.outbox.CountDocuments(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.OutboxPending, complaintbot.OutboxUnknown}}}}})
		queued = int(n)
	}
	if err != nil {
		return Window{}, 0, fmt.Errorf("count messages queued in window: %w", err)
	}
	// Counted after the queue: a message sent in between counts twice rather than not at all.
	if w.Sent, err = s.windowSent(ctx, openID, last); err != nil {
		return Window{}, 0, err
	}
	w.Remaining = w.remaining(now, queued)
	return w, queued, nil
}
