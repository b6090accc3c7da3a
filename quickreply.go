package complaintbot

import "time"

// QuickReply is a ready answer an agent picks in the reply box (快捷回复), managed in the console
// by supervisors for their branches and by admins for every branch. Its text may hold the
// placeholders QuickReplyCase and QuickReplyAgent, filled in for the conversation it is used in.
type QuickReply struct {
	ID string `bson:"_id" json:"id"`
	// Branch is the branch code whose agents are offered it; "" offers it to every branch.
	Branch string `bson:"branch" json:"branch"`
	Title  string `bson:"title" json:"title"`
	Text   string `bson:"text" json:"text"`
	// By is the user name of who wrote or last changed it.
	By      string    `bson:"by" json:"by"`
	Updated time.Time `bson:"updated_at" json:"updated_at"`
}

// The placeholders of a quick reply's text.
const (
	// QuickReplyCase is the customer's newest case the agent may see.
	QuickReplyCase = "{案件编号}"
	// QuickReplyAgent is the agent's display name.
	QuickReplyAgent = "{坐席}"
)
