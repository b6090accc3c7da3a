package storage

import (
	"context"
	"fmt"
	"time"

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

// HandoffStatus is where a customer's request for a person stands.
type HandoffStatus string

// The statuses of a handoff request.
const (
	HandoffWaiting HandoffStatus = "waiting"
	HandoffClaimed HandoffStatus = "claimed"
	HandoffClosed  HandoffStatus = "closed"
)

// PurposeHandoff is the outbox purpose of a message about a conversation with a person that
// must reach the customer (the conversation went back to the bot while they waited for an agent's
// answer): a customer-service message only, never a template; when WeChat allows none it is
// undeliverable, and listed for a person to call the customer (UndeliverableOutbox).
const PurposeHandoff = "handoff"

// Handoff is a customer's request to talk to a person: queued for the agents, then held by one
// of them until it is closed. The status, agent, sequence number and activity are the cache of
// the HandoffEvent log, which is the truth of who holds it.
type Handoff struct {
	// ID is the id of the turn that asked, so a retried request queues once.
	ID     string        `bson:"_id"`
	OpenID string        `bson:"openid"`
	Reason string        `bson:"reason"`
	Status HandoffStatus `bson:"status"`
	At     time.Time     `bson:"at"`
	Agent  string        `bson:"agent,omitempty"`
	// BranchCode routes the request: nil until it was first worked out, "" when no branch is known
	// (head office only).
	BranchCode *string `bson:"branch_code,omitempty"`
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

// QueueHandoff records the request; a request with an id queued already is not queued again.
func (s *Store) QueueHandoff(ctx context.Context, h *Handoff) error {
	if _, err := s.handoffs.InsertOne(ctx, h); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("queue handoff %s: %w", h.ID, err)
	}
	return nil
}

// CloseHandoff closes the queue entry id if it is still waiting — the customer left the queue
// ("customer_left"), or nobody took it in time ("expired") — recording why, and reports whether it
// did. It reads the entry by _id; on MongoDB the update is
// also conditional on the status (so an agent's claim at the same moment wins or loses whole), on
// the embedded server, which serves every request on one connection, by _id alone (any other
// filter would read the whole collection).
func (s *Store) CloseHandoff(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	var h Handoff
	err := s.handoffs.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&h)
	if notFound(err) == ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("close handoff %s: %w", id, err)
	}
	if h.Status != HandoffWaiting {
		return false, nil
	}
	filter := bson.D{{Key: "_id", Value: id}}
	if s.embedded == nil {
		filter = append(filter, bson.E{Key: "status", Value: HandoffWaiting})
	}
	r, err := s.handoffs.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: HandoffClosed},
		{Key: "closed_at", Value: at}, {Key: "closed_reason", Value: reason}}}})
	if err != nil {
		return false, fmt.Errorf("close handoff %s: %w", id, err)
	}
	return r.ModifiedCount > 0, nil
}

// The lists below filter on more than _id, which on the embedded server reads the whole
// collection: they read on the scan connection, never the one customers' messages wait on.

// WaitingHandoffs returns the queued requests, oldest first.
func (s *Store) WaitingHandoffs(ctx context.Context, limit int) ([]Handoff, error) {
	cur, err := s.ScanCollection("handoffs").Find(ctx, bson.D{{Key: "status", Value: HandoffWaiting}},
		options.Find().SetSort(bson.D{{Key: "at", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	var out []Handoff
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list waiting handoffs: %w", err)
	}
	return out, nil
}

// ActiveHandoffs returns the requests waiting or held by an agent, oldest first.
func (s *Store) ActiveHandoffs(ctx context.Context, limit int) ([]Handoff, error) {
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{HandoffWaiting, HandoffClaimed}}}}}
	cur, err := s.ScanCollection("handoffs").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	out := []Handoff{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list active handoffs: %w", err)
	}
	return out, nil
}

// ActiveHandoffOf returns the customer's newest waiting or held request, or ErrNotFound.
func (s *Store) ActiveHandoffOf(ctx context.Context, openID string) (*Handoff, error) {
	filter := bson.D{{Key: "openid", Value: openID}, {Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{HandoffWaiting, HandoffClaimed}}}}}
	var h Handoff
	if err := s.ScanCollection("handoffs").FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "at", Value: -1}})).Decode(&h); err != nil {
		return nil, fmt.Errorf("find active handoff: %w", notFound(err))
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
