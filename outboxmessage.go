package complaintbot

import "time"

// OutboxStatus is where an outgoing message stands.
type OutboxStatus string

// The statuses of an outgoing message.
const (
	OutboxPending       OutboxStatus = "pending"       // waiting for its next attempt
	OutboxSent          OutboxStatus = "sent"          // WeChat accepted it
	OutboxFailed        OutboxStatus = "failed"        // given up after the attempt limit or a permanent error
	OutboxUndeliverable OutboxStatus = "undeliverable" // no channel WeChat allows: call the customer
	OutboxUnknown       OutboxStatus = "unknown"       // an attempt was cut off mid-send: check before resending
	OutboxHandled       OutboxStatus = "handled"       // a person dealt with an undeliverable, failed or unknown message
)

// Purposes of outbox messages. The purpose decides the channels a message may take: a
// customer-service message while the customer's 48-hour window is open; for PurposeNotice and
// PurposeSurvey also a template message (templates "progress" and "survey") when it is closed;
// otherwise the message is marked undeliverable ("call the customer"). PurposeSystem messages
// (housekeeping) are not worth a call and are marked failed instead.
const (
	PurposeReply  = "reply"  // a late bot reply: the customer just wrote
	PurposeAgent  = "agent"  // an agent's reply: never a template
	PurposeNotice = "notice" // a notice about a case (status, progress, deadline)
	PurposeSurvey = "survey" // a satisfaction survey question or its reminder
	PurposeSystem = "system" // an informational message (an expired draft, the queue closed)
)

// OutboxMessage is a message the service sends on its own initiative, delivered by the outbox worker.
type OutboxMessage struct {
	// ID is the idempotency key: enqueueing the same ID twice sends once.
	ID     string `bson:"_id"`
	OpenID string `bson:"openid"`
	Text   string `bson:"text"`
	// Purpose says why it is sent (reply, agent, notice, survey); template delivery is chosen by it.
	Purpose    string       `bson:"purpose"`
	CaseNumber string       `bson:"case_number,omitempty"`
	Status     OutboxStatus `bson:"status"`
	Attempts   int          `bson:"attempts"`
	NextAt     time.Time    `bson:"next_at"`
	LastError  string       `bson:"last_error,omitempty"`
	Created    time.Time    `bson:"created_at"`
	Done       *time.Time   `bson:"done_at,omitempty"`
	// Channel records how it went out: "custom" (customer-service message) or "template".
	Channel string `bson:"channel,omitempty"`
	// By names who sent it: "bot", an agent's username, or "system".
	By string `bson:"by,omitempty"`
	// Unknowns counts the attempts whose outcome was unknown (they may have been delivered).
	Unknowns int `bson:"unknowns,omitempty"`
	// Handled notes who dealt with it after it could not be delivered, and how.
	HandledBy   string `bson:"handled_by,omitempty"`
	HandledNote string `bson:"handled_note,omitempty"`
}

// PurposeHandoff is the outbox purpose of a message about a conversation with a person that
// must reach the customer (the conversation went back to the bot while they waited for an agent's
// answer): a customer-service message only, never a template; when WeChat allows none it is
// undeliverable, and listed for a person to call the customer (UndeliverableOutbox).
const PurposeHandoff = "handoff"
