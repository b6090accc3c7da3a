package complaintbot

import "time"

// InputType says what kind of message a customer sent.
type InputType string

// The inputs the conversation engine understands.
const (
	InputText        InputType = "text"
	InputImage       InputType = "image"
	InputVoice       InputType = "voice"    // Text holds WeChat's recognition, empty when there is none
	InputVideo       InputType = "video"    // also short video
	InputLocation    InputType = "location" // Text holds the label
	InputLink        InputType = "link"     // Text holds the title
	InputSubscribe   InputType = "subscribe"
	InputUnsubscribe InputType = "unsubscribe"
	InputMenu        InputType = "menu"  // Text holds the CLICK key
	InputOther       InputType = "other" // anything else: a polite answer
	// InputControl is not from the customer: an agent or the system changed the conversation
	// (took it over, handed it back); Text says what happened.
	InputControl InputType = "control"
)

// Input is one message from a customer, normalised from WeChat's XML.
type Input struct {
	Type    InputType `bson:"type" json:"type"`
	Text    string    `bson:"text,omitempty" json:"text,omitempty"`
	MediaID string    `bson:"media_id,omitempty" json:"media_id,omitempty"`
	At      time.Time `bson:"at" json:"at"`
}
