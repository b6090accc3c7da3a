package flows

import "github.com/complaintbot/complaintbot"

// fileDef is the shape of the definition file; see default.yaml for the meaning of each key.
type fileDef struct {
	Hotline       string            `yaml:"hotline"`
	Welcome       string            `yaml:"welcome"`
	Menu          map[string]string `yaml:"menu"`
	Commands      commandsDef       `yaml:"commands"`
	Messages      messagesDef       `yaml:"messages"`
	Readback      readbackDef       `yaml:"readback"`
	Registered    registeredDef     `yaml:"registered"`
	StoryMinChars int               `yaml:"story_min_chars"`
	Kinds         kindsDef          `yaml:"kinds"`
	NoBranch      noBranchDef       `yaml:"no_branch"`
	QuickReplies  []string          `yaml:"quick_replies"`
	// Statuses are the case statuses as customers read them; one missing is taken from the
	// embedded default.
	Statuses   map[complaintbot.Status]string `yaml:"statuses"`
	Branches   []complaintbot.Branch          `yaml:"branches"`
	Categories map[string][]categoryDef       `yaml:"categories"`
	Survey     surveyDef                      `yaml:"survey"`
	Notices    noticesDef                     `yaml:"notices"`
	// CaseRequests are the texts and words of withdrawals and reviews in the chat (withdraw.go).
	CaseRequests  caseRequestsDef  `yaml:"case_requests"`
	Understanding understandingDef `yaml:"understanding"`
	FAQ           []faqDef         `yaml:"faq"`
	Urgent        []urgentDef      `yaml:"urgent"`
	// CategoryExamples are customers' stories by kind and category code (likely.go).
	CategoryExamples map[string]map[string][]string `yaml:"category_examples"`
}

type commandsDef struct {
	Cancel   []string `yaml:"cancel"`
	Back     []string `yaml:"back"`
	Agent    []string `yaml:"agent"`
	Help     []string `yaml:"help"`
	Skip     []string `yaml:"skip"`
	Confirm  []string `yaml:"confirm"`
	Resume   []string `yaml:"resume"`
	Restart  []string `yaml:"restart"`
	Progress []string `yaml:"progress"`
	Greeting []string `yaml:"greeting"`
}

// messagesDef holds every fixed text; all of them are required.
type messagesDef struct {
	ResumeOffer      string `yaml:"resume_offer"`
	Resumed          string `yaml:"resumed"`
	Restarted        string `yaml:"restarted"`
	NothingToResume  string `yaml:"nothing_to_resume"`
	Cancelled        string `yaml:"cancelled"`
	CancelledNothing string `yaml:"cancelled_nothing"`
	DraftExpired     string `yaml:"draft_expired"`
	BackFirst        string `yaml:"back_first"`
	BackDone         string `yaml:"back_done"`
	PreviousAnswer   string `yaml:"previous_answer"`
	HowTo            string `yaml:"how_to"`
	Discarded        string `yaml:"discarded"`
	Explain          string `yaml:"explain"`
	OfferAgent       string `yaml:"offer_agent"`
	Queued           string `yaml:"queued"`
	StillQueued      string `yaml:"still_queued"`
	WithAgent        string `yaml:"with_agent"`

	// The handoff texts (see HandoffText and AfterHoursNote in handoffs.go).
	AgentJoined        string `yaml:"agent_joined"`
	AgentReleased      string `yaml:"agent_released"`
	AgentEnded         string `yaml:"agent_ended"`
	AgentIdleReturn    string `yaml:"agent_idle_return"`
	QueuedByAgent      string `yaml:"queued_by_agent"`
	AfterHours         string `yaml:"after_hours"`
	AfterHoursToday    string `yaml:"after_hours_today"`
	AfterHoursDay      string `yaml:"after_hours_day"`
	AfterHoursWeekdays string `yaml:"after_hours_weekdays"`

	NotUnderstood    string `yaml:"not_understood"`
	ImageReceived    string `yaml:"image_received"`
	ImageIdle        string `yaml:"image_idle"`
	VoiceUnclear     string `yaml:"voice_unclear"`
	Location         string `yaml:"location"`
	SystemBusy       string `yaml:"system_busy"`
	Link             string `yaml:"link"`
	Video            string `yaml:"video"`
	Other            string `yaml:"other"`
	Reminder         string `yaml:"reminder"`
	ReminderReadback string `yaml:"reminder_readback"`
	ChooseKind       string `yaml:"choose_kind"`
	ChangeKind       string `yaml:"change_kind"`
	Prefilled        string `yaml:"prefilled"`
	BranchWhich      string `yaml:"branch_which"`
	BranchNone       string `yaml:"branch_none"`
	ChoiceInvalid    string `yaml:"choice_invalid"`
	TextTooShort     string `yaml:"text_too_short"`
	TextTooLong      string `yaml:"text_too_long"`
	Required         string `yaml:"required"`
	PhoneInvalid     string `yaml:"phone_invalid"`
	DateInvalid      string `yaml:"date_invalid"`
	DateFuture       string `yaml:"date_future"`
	DateBadDay       string `yaml:"date_bad_day"`
	DateTooOld       string `yaml:"date_too_old"`
	Duplicate        string `yaml:"duplicate"`
	Attached         string `yaml:"attached"`
	DailyCap         string `yaml:"daily_cap"`
	ProgressNone     string `yaml:"progress_none"`
	ProgressHeader   string `yaml:"progress_header"`
	ProgressLine     string `yaml:"progress_line"`
	ProgressDue      string `yaml:"progress_due"`
	ProgressMore     string `yaml:"progress_more"`
	ProgressFooter   string `yaml:"progress_footer"`
	CaseDetail       string `yaml:"case_detail"`
	CaseNotFound     string `yaml:"case_not_found"`
}

type readbackDef struct {
	Header    string `yaml:"header"`
	Line      string `yaml:"line"`
	TypeLabel string `yaml:"type_label"`
	Unset     string `yaml:"unset"`
	Evidence  string `yaml:"evidence"`
	Footer    string `yaml:"footer"`
}

type registeredDef struct {
	Complaint  string `yaml:"complaint"`
	Suggestion string `yaml:"suggestion"`
	Praise     string `yaml:"praise"`
}

type kindsDef struct {
	Complaint  *kindDef `yaml:"complaint"`
	Suggestion *kindDef `yaml:"suggestion"`
	Praise     *kindDef `yaml:"praise"`
}

// kindDef is the flow of one kind: the words that start it and its questions in order.
type kindDef struct {
	// Name is what customers read for the kind; "" reads complaintbot.Kind.Label.
	Name       string    `yaml:"name"`
	Words      []string  `yaml:"words"`
	StoryWords []string  `yaml:"story_words"`
	Intro      string    `yaml:"intro"`
	Steps      []stepDef `yaml:"steps"`
}

// step returns the kind's step for a field, or nil.
func (k *kindDef) step(field string) *stepDef {
	for i := range k.Steps {
		if k.Steps[i].Field == field {
			return &k.Steps[i]
		}
	}
	return nil
}

// stepDef is one question.
type stepDef struct {
	Field  string `yaml:"field"`
	Type   string `yaml:"type"`
	Label  string `yaml:"label"`
	Prompt string `yaml:"prompt"`
	// NoStory is the choice question asked while nothing of what happened is told (an opening of
	// only 投诉): what happened, first; a category (its number or name) is still an answer.
	NoStory string `yaml:"no_story"`
	// NoStoryAtBranch is NoStory for an opening that names the branch only ("我要投诉城东支行"):
	// {branch} is its name, and the branch is not asked for again. Without it, NoStory is asked.
	NoStoryAtBranch string `yaml:"no_story_at_branch"`
	Help            string `yaml:"help"`
	Example         string `yaml:"example"`
	Optional        bool   `yaml:"optional"`
	// IfTold marks an optional question that is never asked: its answer is kept when the
	// customer gives it unasked (the branch a suggestion names), shown and changeable at the
	// read-back.
	IfTold bool `yaml:"if_told"`
	Min    int  `yaml:"min"`
	Max    int  `yaml:"max"`
}

// Step types.
const (
	stepChoice   = "choice"
	stepText     = "text"
	stepBranch   = "branch"
	stepDateTime = "datetime"
	stepPhone    = "phone"
)

// Fields with a dedicated place in the Draft rather than in Draft.Fields.
const (
	fieldCategory   = "category"
	fieldBranch     = "branch"
	fieldOccurredAt = "occurred_at"
)

type noBranchDef struct {
	Name       string   `yaml:"name"`
	Words      []string `yaml:"words"`
	StoryWords []string `yaml:"story_words"`
	// Unrelated are words that say the matter has nothing to do with a branch ("跟网点没关系"):
	// no branch, even when the message names the one where the card was opened.
	Unrelated []string `yaml:"unrelated"`
	// AtBranch are words that show the matter happened at a branch ("开户", "柜台"): a story with
	// one of them is not taken for no branch by its story words ("开户 逼我办信用卡").
	AtBranch []string `yaml:"at_branch"`
}

// categoryDef is a category as written in the file: the domain category (with the regulator's
// name, kept for reports), the customer's words for it, and the story keywords that point to it.
type categoryDef struct {
	complaintbot.Category `yaml:",inline"`
	Label                 string   `yaml:"label"`
	Keywords              []string `yaml:"keywords"`
	// Answers pick the category only as the whole answer to the category question ("别的", "都不
	// 是"): inside a story they mean something else ("别的银行").
	Answers []string `yaml:"answers"`
	// Minor marks a category that mostly comes with another one ("没人告诉我" with a fee): when
	// a message's words point at it and at others, it is not one of the candidates.
	Minor bool `yaml:"minor"`
	// MajorWith are words that keep a minor category among the candidates ("保本": what was not
	// told is what the complaint is about).
	MajorWith []string `yaml:"major_with"`
	majorWith words    // MajorWith, filled when the file is loaded
	// Unless are words that make the category's keywords not count in a message ("催收", "欠你们":
	// the calls are a debt collector's, not sales calls).
	Unless []string `yaml:"unless"`
	unless words    // Unless, filled when the file is loaded
	// keys are the keywords as found in a message's key (key of each), "" for one written with a
	// gap (understanding.keywordGaps); filled when the file is loaded.
	keys []string
	// looseKeys are the keys without intensifiers ("手续太麻烦" holds 手续麻烦), "" where that
	// leaves less than two characters.
	looseKeys []string
}

// shown is what the customer reads for the category: its label, else its name.
func (c *categoryDef) shown() string {
	if c.Label != "" {
		return c.Label
	}
	return c.Name
}
