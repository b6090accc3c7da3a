package complaintbot

import "time"

// SurveyStatus is where a survey stands.
type SurveyStatus string

// The statuses of a survey.
const (
	SurveySent     SurveyStatus = "sent"     // asked, no rating yet
	SurveyAnswered SurveyStatus = "answered" // rated (a comment may follow)
	SurveyExpired  SurveyStatus = "expired"  // no rating within scheduler.survey_expiry
)

// The subjects of a survey.
const (
	SurveyOfCase         = "case"
	SurveyOfConversation = "conversation"
)

// Survey is one satisfaction survey asked of a customer.
type Survey struct {
	ID      string `bson:"_id" json:"id"`
	Subject string `bson:"subject" json:"subject"`
	Case    string `bson:"case" json:"case,omitempty"`
	Round   int    `bson:"round" json:"round,omitempty"`
	Handoff string `bson:"handoff" json:"handoff,omitempty"`
	OpenID  string `bson:"openid" json:"-"`
	// Report dimensions, fixed when the survey is asked.
	Kind         string `bson:"kind" json:"kind"`
	Branch       string `bson:"branch" json:"branch"`
	BranchName   string `bson:"branch_name" json:"branch_name"`
	Category     string `bson:"category" json:"category"`
	CategoryName string `bson:"category_name" json:"category_name"`
	Agent        string `bson:"agent" json:"agent"`
	Day          string `bson:"day" json:"day"`     // 2026-11-27
	Week         string `bson:"week" json:"week"`   // 2026-W48 (ISO week)
	Month        string `bson:"month" json:"month"` // 2026-11

	Status  SurveyStatus `bson:"status" json:"status"`
	Rating  int          `bson:"rating" json:"rating"` // 0 until rated
	Low     bool         `bson:"low" json:"low"`
	Comment string       `bson:"comment" json:"comment,omitempty"`
	// Manual is set for a survey sent by hand from the case page, By names who sent it ("system").
	Manual   bool       `bson:"manual" json:"manual"`
	By       string     `bson:"by" json:"by"`
	Sent     time.Time  `bson:"sent_at" json:"sent_at"`
	Expires  time.Time  `bson:"expires_at" json:"expires_at"`
	Answered *time.Time `bson:"answered_at,omitempty" json:"answered_at,omitempty"`
	Reminded *time.Time `bson:"reminded_at,omitempty" json:"reminded_at,omitempty"`
	Expired  *time.Time `bson:"expired_at,omitempty" json:"expired_at,omitempty"`
	// AnswerTurn is the conversation turn that brought the rating.
	AnswerTurn string `bson:"answer_turn,omitempty" json:"-"`
}

// SurveyUndeliverable is the status a report fact gives a survey still "sent" whose question (and
// reminder, if one was sent) the outbox marked undeliverable: the customer was never asked.
const SurveyUndeliverable SurveyStatus = "undeliverable"
