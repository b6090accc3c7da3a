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

func init() {
	addIndex("outbox", false, "status", 1, "done_at", -1)
	addIndex("outbox", false, "openid", 1, "done_at", -1)
	addIndex("outbox_attempts", false, "at", 1)
}

// Enqueue adds the message to the outbox as pending. A message whose ID is queued already is left
// as it is and Enqueue returns false.
func (s *Store) Enqueue(ctx context.Context, m *complaintbot.OutboxMessage) (bool, error) {
	if m.Status == "" {
		m.Status = complaintbot.OutboxPending
	}
	if m.NextAt.IsZero() {
		m.NextAt = m.Created
	}
	_, err := s.outbox.InsertOne(ctx, m)
	if IsDuplicate(err) {
		return false, nil
	}
	s.noteOutbox(ctx, m.ID, m.OpenID, m.Status, m.NextAt) // on an error too: it may have been written
	if err != nil {
		return false, fmt.Errorf("enqueue outbox message (%s): %w", m.Purpose, err)
	}
	if slices.Contains(NeedsPerson, m.Status) {
		s.noteCallEntry(ctx, m.ID, m.CaseNumber, m.Purpose, m.Status, m.Created)
	}
	if hook, _ := s.onEnqueue.Load().(func()); hook != nil {
		hook()
	}
	return true, nil
}

// EnqueueMany adds messages to the outbox as pending; messages whose ID is queued already are left
// as they are. It returns how many were new.
func (s *Store) EnqueueMany(ctx context.Context, msgs []complaintbot.OutboxMessage) (int, error) {
	docs := make([]any, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if m.Status == "" {
			m.Status = complaintbot.OutboxPending
		}
		if m.NextAt.IsZero() {
			m.NextAt = m.Created
		}
		docs[i] = m
	}
	dup, err := insertManyDups(ctx, s.outbox, docs)
	for i := range msgs {
		if err != nil || !dup[i] {
			s.noteOutbox(ctx, msgs[i].ID, msgs[i].OpenID, msgs[i].Status, msgs[i].NextAt)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %d outbox messages: %w", len(msgs), err)
	}
	n := 0
	for i, d := range dup {
		if !d {
			n++
			if m := &msgs[i]; slices.Contains(NeedsPerson, m.Status) {
				s.noteCallEntry(ctx, m.ID, m.CaseNumber, m.Purpose, m.Status, m.Created)
			}
		}
	}
	if hook, _ := s.onEnqueue.Load().(func()); hook != nil && n > 0 {
		hook()
	}
	return n, nil
}

// OutboxMessage returns the queued message with the given ID, or ErrNotFound.
func (s *Store) OutboxMessage(ctx context.Context, id string) (*complaintbot.OutboxMessage, error) {
	var m complaintbot.OutboxMessage
	if err := s.lookup(s.outbox.Name()).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
		return nil, fmt.Errorf("load outbox message %s: %w", id, notFound(err))
	}
	return &m, nil
}

// DueOutbox returns up to limit pending messages whose next attempt is due at now, the longest
// due first. It reads only the open messages, never the whole outbox.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]complaintbot.OutboxMessage, error) {
	return s.DueOutboxExcept(ctx, now, limit, nil)
}

// DueOutboxExcept is DueOutbox without the messages to the customers in skip (those a worker is
// delivering already), so that they do not take the places of others'.
func (s *Store) DueOutboxExcept(ctx context.Context, now time.Time, limit int, skip []string) ([]complaintbot.OutboxMessage, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	if s.embedded != nil {
		return s.dueEmbedded(ctx, now, limit, skip)
	}
	filter := bson.D{{Key: "status", Value: complaintbot.OutboxPending}, {Key: "next_at", Value: bson.D{{Key: "$lte", Value: now}}}}
	if len(skip) > 0 {
		filter = append(filter, bson.E{Key: "openid", Value: bson.D{{Key: "$nin", Value: skip}}})
	}
	opts := options.Find().SetLimit(int64(limit)).SetSort(bson.D{{Key: "next_at", Value: 1}})
	cur, err := s.ScanCollection("outbox").Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find due outbox messages: %w", err)
	}
	var out []complaintbot.OutboxMessage
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("find due outbox messages: %w", err)
	}
	return out, nil
}

// ClaimAttempt makes this caller the only one to make attempt number n at the message: it returns
// false when another worker (of any instance) claimed that attempt first.
func (s *Store) ClaimAttempt(ctx context.Context, id string, n int, owner string, now time.Time) (bool, error) {
	_, err := s.attempts.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s#%d", id, n)}, {Key: "owner", Value: owner}, {Key: "at", Value: now}})
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim attempt %d of %s: %w", n, id, err)
	}
	return true, nil
}

// AttemptClaimedAt returns when attempt n at the message was claimed, or ErrNotFound.
func (s *Store) AttemptClaimedAt(ctx context.Context, id string, n int) (time.Time, error) {
	var doc struct {
		At time.Time `bson:"at"`
	}
	if err := s.attempts.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("%s#%d", id, n)}}).Decode(&doc); err != nil {
		return time.Time{}, fmt.Errorf("load attempt %d of %s: %w", n, id, notFound(err))
	}
	return doc.At, nil
}

// OutboxOutcome is the result of one delivery attempt.
type OutboxOutcome struct {
	Status  complaintbot.OutboxStatus
	NextAt  time.Time // for OutboxPending: when to try again
	Error   string
	Channel string
	At      time.Time
	// OpenID is the message's customer: a customer-service message sent, or perhaps sent (Unknown),
	// counts against their messaging window.
	OpenID string
	// Unknown marks an attempt whose outcome is unknown (counted in OutboxMessage.Unknowns).
	Unknown bool
}

// RecordOutcome stores the result of attempt number n (counted from 1) at the message.
func (s *Store) RecordOutcome(ctx context.Context, id string, n int, o OutboxOutcome) error {
	set := bson.D{{Key: "status", Value: o.Status}, {Key: "attempts", Value: n}, {Key: "last_error", Value: o.Error}}
	if o.Status == complaintbot.OutboxPending {
		set = append(set, bson.E{Key: "next_at", Value: o.NextAt})
	}
	if o.Channel != "" {
		set = append(set, bson.E{Key: "channel", Value: o.Channel})
	}
	if o.Status != complaintbot.OutboxPending {
		set = append(set, bson.E{Key: "done_at", Value: o.At})
	}
	update := bson.D{{Key: "$set", Value: set}}
	if o.Unknown {
		update = append(update, bson.E{Key: "$inc", Value: bson.D{{Key: "unknowns", Value: 1}}})
	}
	// A customer-service message sent (or perhaps sent) counts against the window before it
	// leaves the queue (noteOutbox): a count in between (WindowWithQueue) sees it, once by its
	// id. A failure to count is returned once the outcome is stored: the message went out and
	// must not be sent again.
	var windowErr error
	if o.Channel == "custom" && (o.Status == complaintbot.OutboxSent || o.Unknown) {
		if o.OpenID == "" {
			windowErr = fmt.Errorf("record outcome of %s: a customer-service message without its customer cannot be counted in the window", id)
		} else if err := s.noteWindowSend(ctx, o.OpenID, id, o.At); err != nil {
			windowErr = fmt.Errorf("record outcome of %s: %w", id, err)
		}
	}
	// A message needing a person goes on the call list first (list_entries.go), so that whoever sees
	// its status sees it listed.
	s.noteCallOutcome(ctx, id, o)
	_, err := s.outbox.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
	s.noteOutbox(ctx, id, o.OpenID, o.Status, o.NextAt)
	if err != nil {
		return fmt.Errorf("record outcome of %s: %w", id, err)
	}
	// The call list (list_entries.go): one that needed a person before (an unknown outcome, a
	// requeue: never a first attempt) comes off.
	if !slices.Contains(NeedsPerson, o.Status) && n > 1 {
		s.noteCallEntry(ctx, id, "", "", o.Status, o.At)
	}
	return windowErr
}

// NeedsPerson lists the statuses of messages a person must deal with: the console's "call the
// customer" list.
var NeedsPerson = []complaintbot.OutboxStatus{complaintbot.OutboxUndeliverable, complaintbot.OutboxFailed, complaintbot.OutboxUnknown}

// UndeliverableOutbox returns up to limit messages that could not be delivered and need a
// person, newest first: status undeliverable (no channel WeChat allows: call the customer, whose
// phone number is on the case named by CaseNumber), failed (given up; LastError says why) and
// unknown (an attempt was cut off mid-send; it may have arrived). Informational messages
// (PurposeSystem) are not listed. ResolveOutbox takes one off the list, RequeueOutbox sends it again.
func (s *Store) UndeliverableOutbox(ctx context.Context, limit int) ([]complaintbot.OutboxMessage, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: NeedsPerson}}}, {Key: "purpose", Value: bson.D{{Key: "$ne", Value: complaintbot.PurposeSystem}}}}
	cur, err := s.ScanCollection("outbox").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "done_at", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list undeliverable messages: %w", err)
	}
	out := []complaintbot.OutboxMessage{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list undeliverable messages: %w", err)
	}
	return out, nil
}

// ResolveOutbox records that a person dealt with an undeliverable, failed or unknown message
// (called the customer, say) and takes it off the list.
func (s *Store) ResolveOutbox(ctx context.Context, id, by, note string, at time.Time) error {
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.OutboxHandled}, {Key: "handled_by", Value: by}, {Key: "handled_note", Value: note}, {Key: "done_at", Value: at}}}}
	if err := s.updateNeedsPerson(ctx, id, set); err != nil {
		return fmt.Errorf("resolve outbox message %s: %w", id, err)
	}
	s.noteOutbox(ctx, id, "", complaintbot.OutboxHandled, time.Time{})
	s.noteCallEntry(ctx, id, "", "", complaintbot.OutboxHandled, at)
	return nil
}

// updateNeedsPerson applies update to the message if it is one a person must deal with, and
// answers ErrNotFound if it is not (the status is the update's guard: see updateIf).
func (s *Store) updateNeedsPerson(ctx context.Context, id string, update bson.D) error {
	did, err := s.updateIf(ctx, s.outbox, id, bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: NeedsPerson}}}}, update)
	if err != nil {
		return err
	}
	if !did {
		return ErrNotFound
	}
	return nil
}

// RequeueOutbox sends an undeliverable, failed or unknown message again (a person checked that
// it did not arrive): it becomes pending, due at at, with its attempts kept.
func (s *Store) RequeueOutbox(ctx context.Context, id string, at time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.OutboxPending}, {Key: "next_at", Value: at}, {Key: "channel", Value: ""}}},
		{Key: "$unset", Value: bson.D{{Key: "done_at", Value: ""}}}}
	if err := s.updateNeedsPerson(ctx, id, update); err != nil {
		return fmt.Errorf("requeue outbox message %s: %w", id, err)
	}
	s.noteOutbox(ctx, id, "", complaintbot.OutboxPending, at)
	s.noteCallEntry(ctx, id, "", "", complaintbot.OutboxPending, at)
	return nil
}

// PurgeOutbox deletes messages sent or handled before before, and delivery claims made before
// before. Their idempotency keys go with them: a message enqueued again after that is new.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	n1, err := s.deleteByTime(ctx, s.outbox.Name(), "done_at", purgeFrom, before,
		bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.OutboxSent, complaintbot.OutboxHandled}}}}})
	if err != nil {
		return n1, err
	}
	n2, err := s.deleteByTime(ctx, s.attempts.Name(), "at", purgeFrom, before, nil)
	return n1 + n2, err
}

// OnEnqueue sets a function called after every message that Enqueue adds (the outbox worker's
// wake-up, so that it need not poll often); it must not block.
func (s *Store) OnEnqueue(fn func()) { s.onEnqueue.Store(fn) }

// OutboxMessagesByID reads the messages of the ids by _id on the read-only connection, in the
// ids' order; an id without a message is left out.
func (s *Store) OutboxMessagesByID(ctx context.Context, ids []string) ([]complaintbot.OutboxMessage, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	out := []complaintbot.OutboxMessage{}
	coll := s.ScanCollection("outbox")
	for _, id := range ids {
		var m complaintbot.OutboxMessage
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load outbox message %s: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// ReportOutboxStatus returns the status of the outbox message id (a survey's question), read by
// _id through the read-only connection: the reports tell a survey that reached the customer from
// one that was undeliverable. Ask only for a message that exists (a missing _id is a scan on the
// embedded server).
func (s *Store) ReportOutboxStatus(ctx context.Context, id string) (complaintbot.OutboxStatus, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var m struct {
		Status complaintbot.OutboxStatus `bson:"status"`
	}
	if err := s.ScanCollection("outbox").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&m); err != nil {
		return "", fmt.Errorf("load outbox message %s for reports: %w", id, notFound(err))
	}
	return m.Status, nil
}
