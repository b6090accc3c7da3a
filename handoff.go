package complaintbot

import (
	"fmt"
	"time"
)

// HandoffStatus is where a customer's request for a person stands.
type HandoffStatus string

// The statuses of a handoff request.
const (
	HandoffWaiting HandoffStatus = "waiting"
	HandoffClaimed HandoffStatus = "claimed"
	HandoffClosed  HandoffStatus = "closed"
)

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
