package complaintbot

import (
	"regexp"
	"time"
)

// Kind says what a customer registered: a complaint, a suggestion or praise.
type Kind string

// The kinds of case a customer can register.
const (
	KindComplaint  Kind = "complaint"
	KindSuggestion Kind = "suggestion"
	KindPraise     Kind = "praise"
)

// Prefix returns the two-letter prefix of the kind's case numbers (TS 投诉, JY 建议, BY 表扬).
func (k Kind) Prefix() string {
	switch k {
	case KindSuggestion:
		return "JY"
	case KindPraise:
		return "BY"
	default:
		return "TS"
	}
}

// Label returns the kind's Chinese name as staff read it (the console, exports, the audit trail).
// What a customer reads for a kind is the flow file's name for it (flows.Definition.KindName).
func (k Kind) Label() string {
	switch k {
	case KindSuggestion:
		return "建议"
	case KindPraise:
		return "表扬"
	default:
		return "投诉"
	}
}

// Status is where a case stands in its handling.
type Status string

// The statuses of a case, in the order a case normally moves through them.
const (
	StatusReceived      Status = "received"
	StatusInvestigating Status = "investigating"
	StatusEscalated     Status = "escalated"
	StatusResolved      Status = "resolved"
	StatusClosed        Status = "closed"
	StatusReopened      Status = "reopened"
	// StatusWithdrawn is a case the customer withdrew (撤回): it ended without a decision and
	// counts as withdrawn in the figures.
	StatusWithdrawn Status = "withdrawn"
)

// Statuses are all the statuses of a case, in the order of the constants above.
var Statuses = []Status{StatusReceived, StatusInvestigating, StatusEscalated, StatusResolved, StatusClosed, StatusReopened, StatusWithdrawn}

// Label returns the status's Chinese name as staff read it (the console, exports, the audit
// trail). What a customer reads is the flow file's statuses: (flows.Definition.StatusName).
func (s Status) Label() string {
	switch s {
	case StatusReceived:
		return "已受理"
	case StatusInvestigating:
		return "调查处理中"
	case StatusEscalated:
		return "已提交总行处理"
	case StatusResolved:
		return "已处理完毕"
	case StatusClosed:
		return "已办结"
	case StatusReopened:
		return "重新处理中"
	case StatusWithdrawn:
		return "已撤回"
	}
	return string(s)
}

// Open reports whether the case still awaits handling.
func (s Status) Open() bool {
	return s != StatusResolved && s != StatusClosed && s != StatusWithdrawn
}

// Category is a complaint category with its JR/T 0169-2018 codes.
type Category struct {
	Code     string `bson:"code" json:"code" yaml:"code"`
	Name     string `bson:"name" json:"name" yaml:"name"`
	Channel  string `bson:"jr_channel,omitempty" json:"jr_channel,omitempty" yaml:"jr_channel"`
	Business string `bson:"jr_business,omitempty" json:"jr_business,omitempty" yaml:"jr_business"`
	Reason   string `bson:"jr_reason,omitempty" json:"jr_reason,omitempty" yaml:"jr_reason"`
}

// Branch is a bank branch (网点) a case can be about.
type Branch struct {
	Code    string   `bson:"code" json:"code" yaml:"code"`
	Name    string   `bson:"name" json:"name" yaml:"name"`
	Aliases []string `bson:"aliases,omitempty" json:"aliases,omitempty" yaml:"aliases"`
}

// NoBranchCode is the branch code of a case that concerns no particular branch (不涉及网点).
const NoBranchCode = "NONE"

// Evidence is a picture (or other media) the customer sent while telling their story.
type Evidence struct {
	MediaID string    `bson:"media_id" json:"media_id"`
	Type    string    `bson:"type" json:"type"`
	At      time.Time `bson:"at" json:"at"`
}

// Draft is what the intake conversation has collected so far; it becomes a Case on confirmation.
type Draft struct {
	Kind     Kind      `bson:"kind" json:"kind"`
	Category *Category `bson:"category,omitempty" json:"category,omitempty"`
	Branch   *Branch   `bson:"branch,omitempty" json:"branch,omitempty"`
	// OccurredAt is when the event complained about happened (Asia/Shanghai), if known; with an
	// OccurredPrecision other than OccurredExact, the start of the period the customer named.
	OccurredAt *time.Time `bson:"occurred_at,omitempty" json:"occurred_at,omitempty"`
	// OccurredPrecision says how precisely OccurredAt is known (OccurredExact, OccurredWeek, ...).
	OccurredPrecision string `bson:"occurred_precision,omitempty" json:"occurred_precision,omitempty"`
	// Urgent names the money-at-risk matter the customer reported (UrgentTheft, ...), "" for none:
	// the customer was told to call the hotline at once, and the branch supervisor should look first.
	Urgent string `bson:"urgent,omitempty" json:"urgent,omitempty"`
	// Fields holds the free-text answers by field name: description, request, phone, name, person...
	Fields   map[string]string `bson:"fields,omitempty" json:"fields,omitempty"`
	Evidence []Evidence        `bson:"evidence,omitempty" json:"evidence,omitempty"`
	// Prefilled names the fields that were taken from the customer's opening story.
	Prefilled []string  `bson:"prefilled,omitempty" json:"prefilled,omitempty"`
	StartedAt time.Time `bson:"started_at" json:"started_at"`
}

// How precisely the time of an event is known (Draft.OccurredPrecision, Case.Occurred).
const (
	// OccurredExact: the day, with the hour (or the part of the day) when the customer gave one.
	OccurredExact = ""
	// OccurredWeek: some day of the seven starting at OccurredAt ("上周", "最近一个星期").
	OccurredWeek = "week"
	// OccurredPartOfMonth: early, middle or late in the month of OccurredAt ("11月中旬"); the
	// draft's occurred_period field says which (上旬, 中旬, 下旬, 初, 底).
	OccurredPartOfMonth = "part_of_month"
	// OccurredThirtyDays: some day of the thirty starting at OccurredAt ("最近一个月").
	OccurredThirtyDays = "30_days"
	// OccurredMonth: some day of the month of OccurredAt ("上个月").
	OccurredMonth = "month"
	// OccurredYear: some day of the year of OccurredAt ("去年").
	OccurredYear = "year"
	// OccurredUnknown: the customer does not remember; OccurredAt is nil.
	OccurredUnknown = "unknown"
)

// The money-at-risk matters of Draft.Urgent (the codes of the flow file's urgent section).
const (
	UrgentCardSwallowed = "card_swallowed"
	UrgentCardLost      = "card_lost"
	UrgentTheft         = "theft"
	UrgentFraud         = "fraud"
	UrgentWrongTransfer = "wrong_transfer"
)

// Field names used in Draft.Fields and Case.Fields.
const (
	FieldDescription = "description"
	FieldRequest     = "request"
	FieldPhone       = "phone"
	FieldName        = "name"
	FieldPerson      = "person"
)

// Case is a registered complaint, suggestion or praise.
type Case struct {
	// Number is the readable case number, e.g. TS20261128-0007; it is also the document id.
	Number string `bson:"_id" json:"number"`
	Kind   Kind   `bson:"kind" json:"kind"`
	Status Status `bson:"status" json:"status"`
	OpenID string `bson:"openid" json:"-"`
	// Channel is the receiving channel (受理渠道) the complaint reached the bank through, one of
	// the Received* constants; it is not the JR/T 0169 channel the complaint is about (Coding.Channel).
	Channel string `bson:"channel" json:"channel"`
	// Referral is the regulator's referral (监管转办) of a case forwarded by a regulator (Channel
	// ReceivedRegulator): who forwarded it, its number and the reply date it set; nil otherwise.
	// The case's DecisionDue is never later than the referral's ReplyBy.
	Referral *Referral `bson:"referral,omitempty" json:"referral,omitempty"`
	// Coding is the case's JR/T 0169 codes on the three axes: proposed at registration, confirmed
	// or changed by an agent. A case is resolved only when it is completely and validly coded.
	Coding   Coding     `bson:"coding,omitempty" json:"coding"`
	Category *Category  `bson:"category,omitempty" json:"category,omitempty"`
	Branch   Branch     `bson:"branch" json:"branch"`
	Occurred *time.Time `bson:"occurred_at,omitempty" json:"occurred_at,omitempty"`
	// OccurredPrecision says how precisely Occurred is known (see Draft.OccurredPrecision).
	OccurredPrecision string `bson:"occurred_precision,omitempty" json:"occurred_precision,omitempty"`
	// Urgent names the money-at-risk matter the customer reported (see Draft.Urgent), "" for none.
	Urgent string `bson:"urgent,omitempty" json:"urgent,omitempty"`
	// Level is the case's level (案件等级): LevelNormal (""), LevelComplex or LevelMajor, set by an
	// agent (cases.SetLevel).
	Level string `bson:"level,omitempty" json:"level,omitempty"`
	// Risk is the case's risk flag (风险提示), nil when none: raised by the customer's words, by a
	// repeat complaint or by an agent; the branch supervisor is alerted when it is raised.
	Risk     *Risk             `bson:"risk,omitempty" json:"risk,omitempty"`
	Fields   map[string]string `bson:"fields,omitempty" json:"fields,omitempty"`
	Evidence []Evidence        `bson:"evidence,omitempty" json:"evidence,omitempty"`
	// Received is when the customer confirmed the case.
	Received time.Time `bson:"received_at" json:"received_at"`
	// ReplyDue is the promised reply date; DecisionDue the regulatory decision deadline.
	ReplyDue    time.Time `bson:"reply_due" json:"reply_due"`
	DecisionDue time.Time `bson:"decision_due" json:"decision_due"`
	// SourceTurn is the conversation turn that registered the case; unique, so a retry cannot
	// register a second case.
	SourceTurn string `bson:"source_turn" json:"-"`
	// Report dimensions, fixed at registration in Asia/Shanghai.
	Day   string `bson:"day" json:"day"`
	Month string `bson:"month" json:"month"`
	// Updated is the time of the last change to the case.
	Updated time.Time `bson:"updated_at" json:"updated_at"`

	// Decided is when the case was last decided (its resolution recorded): the review window runs
	// from it. Kept at the top of the document, beside the resolution, for the customer's summary.
	Decided *time.Time `bson:"decided_at,omitempty" json:"decided_at,omitempty"`
	// Review is the customer's latest request for a review (核查) of the decision, nil when none.
	Review *Review `bson:"review,omitempty" json:"review,omitempty"`

	// Additions are the further stories the customer added to the case while it was open.
	Additions []Addition `bson:"additions,omitempty" json:"additions,omitempty"`
	// Work is what agents added while working the case (absent from the document until then).
	Work CaseWork `bson:"work,omitempty" json:"work"`

	// The scheduler's tracking fields (never shown in the console's JSON).

	// RepliedAt is when the customer first got a reply about the case from a person (an agent's
	// message sent through the outbox); the reply deadline is met then.
	RepliedAt *time.Time `bson:"replied_at,omitempty" json:"-"`
	// WaitingSince is set while the case waits on the customer (the deadline clock may pause).
	WaitingSince *time.Time `bson:"waiting_since,omitempty" json:"-"`
	// Paused is how long the deadlines were pushed back for waits on the customer, in total.
	Paused time.Duration `bson:"paused_ns,omitempty" json:"-"`
	// Missed holds when each deadline ("reply", "decision") was found missed.
	Missed map[string]time.Time `bson:"overdue,omitempty" json:"-"`
	// Escalated is when the scheduler escalated the case because a deadline was missed, and
	// Escalation why.
	Escalated  *time.Time `bson:"escalated_at,omitempty" json:"-"`
	Escalation Escalation `bson:"escalation,omitempty" json:"-"`
	// ReopenedAt, ReopenReason ("low_rating") and ReopenedFor (what prompted it, e.g. the survey)
	// say what reopened the case last on the service's own initiative.
	ReopenedAt   *time.Time `bson:"reopened_at,omitempty" json:"-"`
	ReopenReason string     `bson:"reopen_reason,omitempty" json:"-"`
	ReopenedFor  string     `bson:"reopened_for,omitempty" json:"-"`
	// Satisfaction is the customer's latest survey answer about the case.
	Satisfaction *Satisfaction `bson:"satisfaction,omitempty" json:"-"`

	// AnonymisedAt is when the case was anonymised (retention or an erasure, package storage): its
	// customer's data and free texts are gone, its figures stay; nil while it keeps them.
	AnonymisedAt *time.Time `bson:"anonymised_at,omitempty" json:"-"`
}

// CaseSummary is what a customer sees of one of their cases when asking for progress.
type CaseSummary struct {
	Number   string    `bson:"_id" json:"number"`
	Kind     Kind      `bson:"kind" json:"kind"`
	Status   Status    `bson:"status" json:"status"`
	Category *Category `bson:"category,omitempty" json:"category,omitempty"`
	Branch   Branch    `bson:"branch" json:"branch"`
	Received time.Time `bson:"received_at" json:"received_at"`
	ReplyDue time.Time `bson:"reply_due" json:"reply_due"`
	// Decided is when the case was last decided (Case.Decided), Review its latest review.
	Decided *time.Time `bson:"decided_at,omitempty" json:"decided_at,omitempty"`
	Review  *Review    `bson:"review,omitempty" json:"review,omitempty"`
}

// caseNumberRe is the form of a case number: the kind's prefix, the day, and its number of the
// day in four digits or more (TS20261128-0007, TS20261128-10124).
var caseNumberRe = regexp.MustCompile(`^(TS|JY|BY)\d{8}-\d{4,}$`)

// IsCaseNumber reports whether s is written exactly as a case number is.
func IsCaseNumber(s string) bool { return caseNumberRe.MatchString(s) }

// The receiving channels (受理渠道) a case can reach the bank through (Case.Channel).
const (
	ReceivedWeChat    = "wechat"    // the Official Account, registered by the bot
	ReceivedPhone     = "phone"     // by telephone, registered by an agent
	ReceivedCounter   = "counter"   // at a branch's counter
	ReceivedLetter    = "letter"    // by letter
	ReceivedEmail     = "email"     // by e-mail
	ReceivedRegulator = "regulator" // forwarded by a regulator (转办), with a Referral
)

// Referral is a complaint forwarded to the bank by a regulator (转办), with the regulator's own
// number for it and the date the regulator wants the bank's reply by.
type Referral struct {
	// Authority is who forwarded it, one of the Referral* constants.
	Authority string `bson:"authority" json:"authority"`
	// Number is the regulator's number of the referral (转办单号).
	Number string `bson:"number" json:"number"`
	// ReplyBy is the end of the day the regulator wants the reply by (Asia/Shanghai).
	ReplyBy time.Time `bson:"reply_by" json:"reply_by"`
}

// The regulators that forward complaints (Referral.Authority).
const (
	ReferralPBOC  = "pboc"  // 中国人民银行 (and its branches)
	ReferralNFRA  = "nfra"  // 国家金融监督管理总局 (and its local offices)
	Referral12378 = "12378" // the 12378 consumer hotline's 转办
)

// ReferralAuthorityLabel returns the Chinese name of a referral's authority as agents read it.
func ReferralAuthorityLabel(a string) string {
	switch a {
	case ReferralPBOC:
		return "人民银行"
	case ReferralNFRA:
		return "金融监管"
	case Referral12378:
		return "12378 转办"
	}
	return a
}

// ReceivedLabel returns the Chinese name of a receiving channel (Case.Channel) as agents and
// reports read it; a case stored before channels were recorded ("") came through WeChat.
func ReceivedLabel(channel string) string {
	switch channel {
	case ReceivedWeChat, "":
		return "微信公众号"
	case ReceivedPhone:
		return "电话"
	case ReceivedCounter:
		return "柜面"
	case ReceivedLetter:
		return "信函"
	case ReceivedEmail:
		return "电子邮件"
	case ReceivedRegulator:
		return "监管转办"
	}
	return channel
}

// The levels of a case (Case.Level): 普通 is the empty value.
const (
	LevelNormal  = ""
	LevelComplex = "complex"
	LevelMajor   = "major"
)

// LevelLabel returns the Chinese name of a case level (普通 / 复杂 / 重大); an unknown level is
// returned as it is.
func LevelLabel(level string) string {
	switch level {
	case LevelNormal:
		return "普通"
	case LevelComplex:
		return "复杂"
	case LevelMajor:
		return "重大"
	}
	return level
}

// ValidLevel reports whether level is one of the case levels.
func ValidLevel(level string) bool {
	return level == LevelNormal || level == LevelComplex || level == LevelMajor
}

// Why a risk flag was raised (Risk.Reason).
const (
	// RiskWords: the customer's messages used words that signal escalation (媒体, 起诉, 12378 …).
	RiskWords = "words"
	// RiskRepeat: the customer registered several complaints within 30 days.
	RiskRepeat = "repeat"
	// RiskAgent: an agent raised the flag in the console.
	RiskAgent = "agent"
	// RiskMoney: the customer's money is at risk (Case.Urgent: a swallowed or lost card, theft,
	// fraud, a wrong transfer): the branch supervisor must act at once.
	RiskMoney = "money"
)

// Risk is a case's risk flag (风险提示): the customer may escalate (the media, a lawsuit, the
// regulator) and the branch supervisor should look at once.
type Risk struct {
	// Reason is RiskWords, RiskRepeat, RiskAgent or RiskMoney.
	Reason string `bson:"reason" json:"reason"`
	// Words are the escalation words found (RiskWords).
	Words []string `bson:"words,omitempty" json:"words,omitempty"`
	// Note is the agent's reason (RiskAgent) or what the repeat rule counted (RiskRepeat).
	Note string    `bson:"note,omitempty" json:"note,omitempty"`
	By   string    `bson:"by" json:"by"`
	At   time.Time `bson:"at" json:"at"`
}

// RiskLabel returns the Chinese name of why a risk flag was raised.
func RiskLabel(reason string) string {
	switch reason {
	case RiskWords:
		return "客户提及升级投诉"
	case RiskRepeat:
		return "重复投诉"
	case RiskAgent:
		return "人工标记"
	case RiskMoney:
		return "资金风险"
	}
	return reason
}

// UrgentLabel returns the Chinese name of a money-at-risk matter (Case.Urgent), for staff.
func UrgentLabel(code string) string {
	switch code {
	case UrgentCardSwallowed:
		return "银行卡被吞"
	case UrgentCardLost:
		return "银行卡丢失"
	case UrgentTheft:
		return "资金被盗用"
	case UrgentFraud:
		return "电信诈骗"
	case UrgentWrongTransfer:
		return "转错账"
	}
	return code
}
