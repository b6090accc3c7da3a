package complaintbot

// EffectType says what the caller of the conversation engine must do after a turn.
type EffectType string

// The effects a turn can ask for.
const (
	// EffectCreateCase: Draft is set; register it as a new case and append the engine's
	// Registered(case) to the replies (the engine says nothing else on that turn).
	EffectCreateCase EffectType = "create_case"
	// EffectAttachToCase: CaseNumber and Draft are set; add this story and evidence to the
	// customer's existing case. The engine has already told the customer.
	EffectAttachToCase EffectType = "attach_to_case"
	// EffectQueueForAgent: Reason is ReasonCustomerAsked or ReasonRepeatedFailures; put the
	// customer in the queue for a person. ConversationState.Handoff is already ConversationWaiting.
	EffectQueueForAgent EffectType = "queue_for_agent"
	// EffectUnsubscribed: the customer unfollowed the account; there is no reply.
	EffectUnsubscribed EffectType = "unsubscribed"
	// EffectSurveyAnswered: SurveyID, Rating and Low are set (CaseNumber too for a case's survey);
	// record the rating, and when Low raise a follow-up. The engine has already thanked the customer.
	EffectSurveyAnswered EffectType = "survey_answered"
	// EffectSurveyComment: SurveyID and Comment are set; add the comment to the rated survey.
	EffectSurveyComment EffectType = "survey_comment"
	// EffectLeaveQueue: the waiting customer left the queue for a person (取消, 不要人工了, 继续, or
	// went on with the bot: 我要投诉); close their waiting queue entry — HandoffID when the caller
	// had set ConversationState.HandoffID. ConversationState.Handoff is already "".
	EffectLeaveQueue EffectType = "leave_queue"
	// EffectWithdrawCase: CaseNumber is set; withdraw the customer's open case (the customer
	// confirmed, and was told).
	EffectWithdrawCase EffectType = "withdraw_case"
	// EffectRequestReview: CaseNumber is set, Comment holds what the customer wrote; register a
	// review of the decision for head office and tell the customer its number and date (notice
	// review_requested). The engine has acknowledged the request.
	EffectRequestReview EffectType = "request_review"
)

// The reasons of EffectQueueForAgent (Effect.Reason).
const (
	ReasonCustomerAsked    = "customer_asked"
	ReasonRepeatedFailures = "repeated_failures"
)

// Effect is one thing the caller of the conversation engine must do after a turn. Its Draft is the
// caller's to keep: it is not shared with the turn's new ConversationState.
type Effect struct {
	Type       EffectType `bson:"type"`
	Draft      *Draft     `bson:"draft,omitempty"`
	CaseNumber string     `bson:"case_number,omitempty"`
	Reason     string     `bson:"reason,omitempty"`
	SurveyID   string     `bson:"survey_id,omitempty"`
	Rating     int        `bson:"rating,omitempty"`
	Low        bool       `bson:"low,omitempty"`
	Comment    string     `bson:"comment,omitempty"`
	HandoffID  string     `bson:"handoff_id,omitempty"`
}
