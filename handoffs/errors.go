package handoffs

import (
	"errors"
	"fmt"
)

// Errors of the handoff workflow: the action was refused and nothing changed. The console tells
// the agent each one in plain words.
var (
	// ErrNotQueued: the customer is not waiting in the queue (nothing to claim).
	ErrNotQueued = errors.New("handoffs: the customer is not in the queue")
	// ErrAlreadyQueued: the customer is waiting or held by an agent already.
	ErrAlreadyQueued = errors.New("handoffs: the customer is in the queue or with an agent already")
	// ErrNotHeld: no agent holds the conversation.
	ErrNotHeld = errors.New("handoffs: no agent holds the conversation")
	// ErrEmptyReply: the reply has no text.
	ErrEmptyReply = errors.New("handoffs: the reply is empty")
	// ErrReplyTooLong: the reply is longer than MaxReply characters.
	ErrReplyTooLong = fmt.Errorf("handoffs: the reply is longer than %d characters", MaxReply)
	// ErrBadClientID: the reply's client id is malformed.
	ErrBadClientID = errors.New("handoffs: malformed client id")
	// ErrNoTarget: a transfer names neither an agent nor a branch.
	ErrNoTarget = errors.New("handoffs: a transfer needs an agent or a branch")
	// ErrBadTarget: the agent to transfer to does not exist, is disabled or does not cover the
	// customer's branch.
	ErrBadTarget = errors.New("handoffs: the agent does not exist, is disabled or does not cover the customer's branch")
	// ErrSameAgent: the agent to transfer to holds the conversation already.
	ErrSameAgent = errors.New("handoffs: the agent holds the conversation already")
	// ErrUnknownBranch: the branch to transfer to is not one of the bank's.
	ErrUnknownBranch = errors.New("handoffs: unknown branch")
	// ErrWindowClosed: the customer wrote last more than 48 hours ago (or never): WeChat takes no
	// customer-service message.
	ErrWindowClosed = errors.New("handoffs: the customer's 48-hour customer-service window is closed")
	// ErrAudit: the audit entry could not be written, so the action was not carried out (the
	// error wraps the cause).
	ErrAudit = errors.New("handoffs: the audit entry could not be written: action not carried out")
)

// MaxReply is the longest agent reply, in characters.
const MaxReply = 600

// TakenError says that someone else changed who holds the conversation first (or holds it).
type TakenError struct {
	// By is the user name of who did; "" when it could not be read.
	By string
	// Claimed is set when By took the conversation (a claim or a transfer to them); otherwise By
	// handed it on, back, or to the queue.
	Claimed bool
}

func (e *TakenError) Error() string {
	if e.Claimed {
		return "handoffs: " + e.By + " holds the conversation"
	}
	return "handoffs: " + e.By + " changed the conversation first"
}

// HeldError says that another agent holds the conversation: claim it first.
type HeldError struct {
	// Holder is the user name of the agent holding it.
	Holder string
}

func (e *HeldError) Error() string { return "handoffs: held by " + e.Holder }

// AllowanceError says that the customer-service messages WeChat allows since the customer's last
// message are used up (storage.WindowAllowance), counting those still queued.
type AllowanceError struct {
	// Used is how many were sent or are queued.
	Used int
}

func (e *AllowanceError) Error() string {
	return fmt.Sprintf("handoffs: %d customer-service messages sent or queued since the customer's last message: the allowance is used up", e.Used)
}
