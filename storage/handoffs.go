package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The handoffs collection holds the customers' requests for a person (one document each, the
// Handoff, written by the conversation service when a customer asks and by the handoffs package
// as agents claim, transfer and release), and handoff_events the log of who held each request:
// one insert per change, keyed by the request and the change's number, so when two agents act at
// once exactly one wins. The status, agent and sequence number cached on the Handoff follow that
// log.

func init() {
	addIndex("handoffs", false, "status", 1, "at", 1)
	addIndex("handoffs", false, "openid", 1, "at", -1)
	addIndex("handoff_events", false, "handoff", 1, "n", 1)
}

// QueueHandoff records the request; a request with an id queued already is not queued again.
func (s *Store) QueueHandoff(ctx context.Context, h *complaintbot.Handoff) error {
	if _, err := s.handoffs.InsertOne(ctx, h); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("queue handoff %s: %w", h.ID, err)
	}
	return nil
}

// CloseHandoff closes the queue entry id if it is still waiting — the customer left the queue
// ("customer_left"), or nobody took it in time ("expired") — recording why, and reports whether it
// did. The status is the update's guard (updateIf: by _id alone on the embedded server).
func (s *Store) CloseHandoff(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	did, err := s.updateIf(ctx, s.handoffs, id, bson.D{{Key: "status", Value: complaintbot.HandoffWaiting}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.HandoffClosed},
			{Key: "closed_at", Value: at}, {Key: "closed_reason", Value: reason}}}})
	if err != nil {
		return false, fmt.Errorf("close handoff %s: %w", id, err)
	}
	return did, nil
}

// The lists below filter on more than _id, which on the embedded server reads the whole
// collection: they read on the scan connection, never the one customers' messages wait on.

// WaitingHandoffs returns the queued requests, oldest first.
func (s *Store) WaitingHandoffs(ctx context.Context, limit int) ([]complaintbot.Handoff, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("handoffs").Find(ctx, bson.D{{Key: "status", Value: complaintbot.HandoffWaiting}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	var out []complaintbot.Handoff
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	return out, nil
}

// ActiveHandoffs returns the requests waiting or held by an agent, oldest first.
func (s *Store) ActiveHandoffs(ctx context.Context, limit int) ([]complaintbot.Handoff, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.HandoffWaiting, complaintbot.HandoffClaimed}}}}}
	cur, err := s.ScanCollection("handoffs").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	out := []complaintbot.Handoff{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	return out, nil
}

// HandoffByID returns the queue entry id, or ErrNotFound. It reads on the scan connection (the
// console's view of a conversation's sessions).
func (s *Store) HandoffByID(ctx context.Context, id string) (*complaintbot.Handoff, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var h complaintbot.Handoff
	if err := s.ScanCollection("handoffs").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&h); err != nil {
		return nil, fmt.Errorf("load handoff %s: %w", id, notFound(err))
	}
	return &h, nil
}

// ActiveHandoffOf returns the customer's newest waiting or held request, or ErrNotFound.
func (s *Store) ActiveHandoffOf(ctx context.Context, openID string) (*complaintbot.Handoff, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.HandoffWaiting, complaintbot.HandoffClaimed}}}}}
	var h complaintbot.Handoff
	if err := s.ScanCollection("handoffs").FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "at", Value: -1}})).Decode(&h); err != nil {
		return nil, fmt.Errorf("find active handoff: %w", notFound(err))
	}
	return &h, nil
}

// AddHandoffEvent inserts the change; when change e.N of the handoff exists already it returns
// an error for which IsDuplicate is true: someone else changed it first.
func (s *Store) AddHandoffEvent(ctx context.Context, e *complaintbot.HandoffEvent) error {
	e.ID = complaintbot.HandoffEventID(e.Handoff, e.N)
	if _, err := s.db.Collection("handoff_events").InsertOne(ctx, e); err != nil {
		if IsDuplicate(err) {
			return err
		}
		return fmt.Errorf("record handoff change: %w", err)
	}
	return nil
}

// HandoffEventAt returns change n of the handoff, or ErrNotFound.
func (s *Store) HandoffEventAt(ctx context.Context, handoff string, n int) (*complaintbot.HandoffEvent, error) {
	var e complaintbot.HandoffEvent
	if err := s.db.Collection("handoff_events").FindOne(ctx, bson.D{{Key: "_id", Value: complaintbot.HandoffEventID(handoff, n)}}).Decode(&e); err != nil {
		return nil, fmt.Errorf("load handoff change: %w", notFound(err))
	}
	return &e, nil
}

// HandoffUpdate is the new cached ownership of a request; nil fields stay as they are.
type HandoffUpdate struct {
	Status     *complaintbot.HandoffStatus
	Agent      *string
	Seq        *int
	BranchCode *string
	ActiveAt   *time.Time
	Mode       *string
}

// UpdateHandoff stores the request's new cached ownership.
func (s *Store) UpdateHandoff(ctx context.Context, id string, u HandoffUpdate) error {
	set := bson.D{}
	if u.Status != nil {
		set = append(set, bson.E{Key: "status", Value: *u.Status})
	}
	if u.Agent != nil {
		set = append(set, bson.E{Key: "agent", Value: *u.Agent})
	}
	if u.Seq != nil {
		set = append(set, bson.E{Key: "seq", Value: *u.Seq})
	}
	if u.BranchCode != nil {
		set = append(set, bson.E{Key: "branch_code", Value: *u.BranchCode})
	}
	if u.ActiveAt != nil {
		set = append(set, bson.E{Key: "active_at", Value: *u.ActiveAt})
	}
	if u.Mode != nil {
		set = append(set, bson.E{Key: "mode", Value: *u.Mode})
	}
	if len(set) == 0 {
		return nil
	}
	if _, err := s.handoffs.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("update handoff: %w", err)
	}
	return nil
}
