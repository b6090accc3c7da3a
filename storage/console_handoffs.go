package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// HandoffRecord is a queued request for a person with what the console adds to it: the branch it
// is routed to, who holds it, and the count of ownership changes. The handoffs collection is the
// console's cache of the ownership; the truth is the HandoffEvent log (one insert per change).
type HandoffRecord struct {
	Handoff `bson:",inline"`
	// BranchCode routes the request: nil until the console first worked it out, "" when no branch
	// is known (head office only).
	BranchCode *string `bson:"branch_code,omitempty"`
	BranchName string  `bson:"branch_name,omitempty"`
	// Seq is the number of the last ownership change (HandoffEvent.N).
	Seq int `bson:"seq,omitempty"`
	// ActiveAt is the agent's last action on the conversation (claim, reply).
	ActiveAt time.Time `bson:"active_at,omitempty"`
	// Mode is "wechat_kf" when the customer was handed to WeChat's own customer-service system.
	Mode string `bson:"mode,omitempty"`
}

// HandoffEvent is one change of who holds a queued conversation. Its id is the handoff's id and
// the change's number, so when two agents act at once exactly one insert succeeds.
type HandoffEvent struct {
	ID      string `bson:"_id"`
	Handoff string `bson:"handoff"`
	OpenID  string `bson:"openid"`
	N       int    `bson:"n"`
	// Kind is claim, transfer, requeue, release, end, idle or wechat_kf.
	Kind string `bson:"kind"`
	// Agent is who holds the conversation after the change ("" when nobody).
	Agent string `bson:"agent,omitempty"`
	// Branch is the branch the request is routed to after a transfer to a branch.
	Branch string    `bson:"branch,omitempty"`
	By     string    `bson:"by"`
	At     time.Time `bson:"at"`
}

// HandoffEventID returns the id of change n of the handoff.
func HandoffEventID(handoff string, n int) string { return fmt.Sprintf("%s#claim#%d", handoff, n) }

func init() {
	addIndex("handoffs", false, "openid", 1, "at", -1)
	addIndex("handoff_events", false, "handoff", 1, "n", 1)
}

// ActiveHandoffs returns the requests waiting or held by an agent, oldest first.
func (s *Store) ActiveHandoffs(ctx context.Context, limit int) ([]HandoffRecord, error) {
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{HandoffWaiting, HandoffClaimed}}}}}
	cur, err := s.handoffs.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	out := []HandoffRecord{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	return out, nil
}

// ActiveHandoffOf returns the customer's newest waiting or held request, or ErrNotFound.
func (s *Store) ActiveHandoffOf(ctx context.Context, openID string) (*HandoffRecord, error) {
	filter := bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{HandoffWaiting, HandoffClaimed}}}}}
	var h HandoffRecord
	if err := s.handoffs.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "at", Value: -1}})).Decode(&h); err != nil {
		return nil, fmt.Errorf("find active handoff: %w", notFound(err))
	}
	return &h, nil
}

// HandoffRecordByID returns the request, or ErrNotFound.
func (s *Store) HandoffRecordByID(ctx context.Context, id string) (*HandoffRecord, error) {
	var h HandoffRecord
	if err := s.handoffs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&h); err != nil {
		return nil, fmt.Errorf("load handoff: %w", notFound(err))
	}
	return &h, nil
}

// AddHandoffEvent inserts the change; when change e.N of the handoff exists already it returns
// an error for which IsDuplicate is true: someone else changed it first.
func (s *Store) AddHandoffEvent(ctx context.Context, e *HandoffEvent) error {
	e.ID = HandoffEventID(e.Handoff, e.N)
	if _, err := s.db.Collection("handoff_events").InsertOne(ctx, e); err != nil {
		if IsDuplicate(err) {
			return err
		}
		return fmt.Errorf("record handoff change: %w", err)
	}
	return nil
}

// HandoffEventAt returns change n of the handoff, or ErrNotFound.
func (s *Store) HandoffEventAt(ctx context.Context, handoff string, n int) (*HandoffEvent, error) {
	var e HandoffEvent
	if err := s.db.Collection("handoff_events").FindOne(ctx, bson.D{{Key: "_id", Value: HandoffEventID(handoff, n)}}).Decode(&e); err != nil {
		return nil, fmt.Errorf("load handoff change: %w", notFound(err))
	}
	return &e, nil
}

// HandoffUpdate is the new cached ownership of a request; nil fields stay as they are.
type HandoffUpdate struct {
	Status     *HandoffStatus
	Agent      *string
	Seq        *int
	BranchCode *string
	BranchName *string
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
	if u.BranchName != nil {
		set = append(set, bson.E{Key: "branch_name", Value: *u.BranchName})
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
