package complaintbot

import "time"

// Turn is one step of a customer's conversation: the message that came in, what the bot answered,
// and the conversation state after it. Turns are append-only; a turn is written with a single
// insert, and its two unique keys make that insert both the optimistic-concurrency check (the id
// holds the version) and the dedupe record (a retried WeChat message has the same dedupe key).
// Storage writes and reads it in its own stored form (see State and Effects).
type Turn struct {
	ID      string    `bson:"_id"`
	OpenID  string    `bson:"openid"`
	Version int64     `bson:"version"`
	Dedupe  string    `bson:"dedupe"`
	At      time.Time `bson:"at"`
	In      Input     `bson:"in"`
	Replies []string  `bson:"replies,omitempty"`
	// State is the conversation state after this turn. It is stored without its LastActive when
	// that is the turn's own time (after every customer message), and not at all when nothing else
	// is set: a greeting's turn then carries no state, which keeps the one insert per message small
	// (the embedded server's cost grows with every field). Read back, a LastActive left out is the
	// turn's time again.
	State ConversationState `bson:"-"`
	// Effects are what this turn caused (a case, a queue entry), complete enough to be carried out
	// again after a crash; stored as {list: [...]}, and not at all when there are none.
	Effects []TurnEffect `bson:"-"`
	// Cases are the numbers of the customer's cases as of this turn, oldest first: carried from
	// turn to turn so that the conversation finds them by _id, without a query.
	Cases []string `bson:"cases,omitempty"`
}

// TurnEffect is one effect of a turn as stored with it: the engine's effect and, for a new case,
// the case registered (whose number the effect's draft became).
type TurnEffect struct {
	Effect `bson:",inline"`
	Case   *Case `bson:"case,omitempty"`
}
