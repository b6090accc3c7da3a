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
	if _, w.Sent, err = s.windowSent(ctx, openID, last); err != nil {
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
	OpenID string `bson:"_id"`
	// Sends are the messages counted, each with its outbox id, so that a message both counted
	// here and still in the queue is counted once (WindowWithQueue).
	Sends []windowSend `bson:"sends,omitempty"`
	// Sent holds the times of sends recorded by an older version, without their ids.
	Sent []time.Time `bson:"sent,omitempty"`
}

type windowSend struct {
	ID string    `bson:"id"`
	At time.Time `bson:"at"`
}

// noteWindowSend records that the customer-service message id went (or may have gone) to the
// customer at at.
func (s *Store) noteWindowSend(ctx context.Context, openID, id string, at time.Time) error {
	c := s.db.Collection(WindowSendsCollection)
	_, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: openID}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "sends", Value: windowSend{ID: id, At: at}}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("count a customer-service message in the window: %w", err)
	}
	return nil
}

// windowSent returns the outbox ids of the customer-service messages sent to the customer since
// since, and how many were sent in all (older records carry no ids); it trims the record to its
// newest windowKeep sends when it has grown past twice that.
func (s *Store) windowSent(ctx context.Context, openID string, since time.Time) (ids []string, n int, err error) {
	c := s.db.Collection(WindowSendsCollection)
	var ws windowSends
	err = c.FindOne(ctx, bson.D{{Key: "_id", Value: openID}}).Decode(&ws)
	if notFound(err) == ErrNotFound {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("count messages sent in window: %w", err)
	}
	for _, t := range ws.Sent {
		if !t.Before(since) {
			n++
		}
	}
	for _, e := range ws.Sends {
		if !e.At.Before(since) && !slices.Contains(ids, e.ID) {
			ids = append(ids, e.ID)
			n++
		}
	}
	if len(ws.Sends)+len(ws.Sent) > 2*windowKeep {
		// A send recorded between the read and this write could be lost on MongoDB, where another
		// instance may be sending: the count would then be one short, and WeChat's refusal
		// (45047) is handled as for any closed window.
		slices.SortFunc(ws.Sends, func(a, b windowSend) int { return a.At.Compare(b.At) })
		kept := ws.Sends[max(0, len(ws.Sends)-windowKeep):]
		update := bson.D{{Key: "$set", Value: bson.D{{Key: "sends", Value: kept}}}, {Key: "$unset", Value: bson.D{{Key: "sent", Value: ""}}}}
		if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: openID}}, update); err != nil {
			s.log.Warn("trim the window record", "customer", complaintbot.MaskOpenID(openID), "err", err)
		}
	}
	return ids, n, nil
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
	var t turnIn // only at and in.type are read
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
		t = turnIn{}
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
// may still send without WeChat refusing it. A message is counted once, whether it is being sent
// while this counts or not; queued is how many of the count are not yet sent.
func (s *Store) WindowWithQueue(ctx context.Context, openID string, now time.Time) (w Window, queued int, err error) {
	last, err := s.lastInbound(ctx, openID)
	if err != nil || last.IsZero() {
		return Window{}, 0, err
	}
	w = Window{LastInbound: last, Closes: last.Add(WindowLength)}
	var open []string
	if s.embedded != nil {
		open, err = s.queuedEmbedded(ctx, openID)
	} else {
		open, err = s.queuedIDs(ctx, openID)
	}
	if err != nil {
		return Window{}, 0, fmt.Errorf("count messages queued in window: %w", err)
	}
	// Counted after the queue: a message leaves the queue only once it is counted as sent
	// (RecordOutcome), so one sent in between is in the count, and by its id only once.
	sentIDs, sent, err := s.windowSent(ctx, openID, last)
	if err != nil {
		return Window{}, 0, err
	}
	w.Sent = sent
	for _, id := range open {
		if !slices.Contains(sentIDs, id) {
			queued++
		}
	}
	w.Remaining = w.remaining(now, queued)
	return w, queued, nil
}

// queuedIDs returns the ids of the customer's messages queued for delivery or of unknown outcome.
func (s *Store) queuedIDs(ctx context.Context, openID string) ([]string, error) {
	cur, err := s.outbox.Find(ctx, bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.OutboxPending, complaintbot.OutboxUnknown}}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	var ms []complaintbot.OutboxMessage
	if err := cur.All(ctx, &ms); err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, nil
}
