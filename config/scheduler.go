package config

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
)

// Scheduler configures the cron jobs (specs in Asia/Shanghai), the template messages used when the
// customer-service window is closed, and the satisfaction survey.
type Scheduler struct {
	// Lease is how long a job's lease lasts; a job whose holder died runs elsewhere after it.
	Lease Duration `yaml:"lease"`
	// NoticesSpec, DeadlinesSpec, SurveysSpec and HousekeepingSpec are the jobs' cron specs.
	NoticesSpec      string `yaml:"notices_spec"`
	DeadlinesSpec    string `yaml:"deadlines_spec"`
	SurveysSpec      string `yaml:"surveys_spec"`
	HousekeepingSpec string `yaml:"housekeeping_spec"`
	// BatchSize is how many due items a job reads and works on at a time.
	BatchSize int `yaml:"batch_size"`
	// SweepInterval: the deadlines job looks at every case changed since its last look this often,
	// for changes nobody announced with storage.CaseChanged (on the embedded server a look reads
	// every case).
	SweepInterval Duration `yaml:"sweep_interval"`
	// ProgressInterval: an open case with nothing new for this long gets a "still working on it" notice.
	ProgressInterval Duration `yaml:"progress_interval"`
	// NoticeBeforeDue: an open case gets a "still working on it, expected by ..." notice this long
	// before its promised reply date.
	NoticeBeforeDue Duration `yaml:"notice_before_due"`
	// RemindBefore: the agent and the branch supervisor are reminded this long before a deadline.
	RemindBefore Duration `yaml:"remind_before"`
	// EscalateOverdue marks an overdue case escalated one level up (to head office).
	EscalateOverdue bool `yaml:"escalate_overdue"`
	// PauseWhileWaitingCustomer stops the deadline clock while the case waits on the customer.
	PauseWhileWaitingCustomer bool `yaml:"pause_while_waiting_customer"`
	// WeComRobotURL, when set, also posts deadline reminders to a WeCom group robot.
	WeComRobotURL string `yaml:"wecom_robot_url"`
	// SurveyDelay is how long after resolution the satisfaction survey is sent.
	SurveyDelay Duration `yaml:"survey_delay"`
	// SurveyReminder is when an unanswered survey is asked once more; SurveyExpiry when it lapses.
	SurveyReminder Duration `yaml:"survey_reminder"`
	SurveyExpiry   Duration `yaml:"survey_expiry"`
	// ReopenOnLowRating reopens a case rated 1 or 2.
	ReopenOnLowRating bool `yaml:"reopen_on_low_rating"`
	// QueueExpiry: a customer waiting this long in the queue for a person, with no agent taking the
	// conversation, is taken out of the queue and told so.
	QueueExpiry Duration `yaml:"queue_expiry"`
	// Retention: finished outbox messages, delivery claims, job leases and processed schedule
	// entries older than this are deleted by the housekeeping job.
	Retention Duration `yaml:"retention"`
	// OutboxPerSecond caps how many messages the outbox worker sends per second.
	OutboxPerSecond int `yaml:"outbox_per_second"`
	// Templates are the template message ids by notice kind (progress, survey); empty = none, and a
	// notice that cannot go as a customer-service message is marked for a phone call.
	Templates map[string]string `yaml:"templates"`
	// TemplateData fills a template message's fields: field name → text with placeholders {text}
	// (the notice), {number} (case number), {kind}, {status}, {date} (expected reply date),
	// {branch}. WeChat shows no first or remark line and at most 20 characters of each value
	// since 2023-05-04: a setting that breaks that is refused; values are cut to fit, the case
	// number and the date never.
	TemplateData map[string]string `yaml:"template_data"`
	// MessageAPI says how Templates are sent outside the customer's window: "template"
	// (模板消息, the default) or "subscribe" (订阅通知, message/subscribe/bizsend).
	MessageAPI string `yaml:"message_api"`
}

// TemplateKinds are the notice kinds a template can be configured for.
var TemplateKinds = []string{"progress", "survey"}

func defaultScheduler() Scheduler {
	return Scheduler{
		Lease:                     Duration(2 * time.Minute),
		NoticesSpec:               "@every 1m",
		DeadlinesSpec:             "*/10 * * * *",
		SurveysSpec:               "@every 1m",
		HousekeepingSpec:          "30 3 * * *",
		BatchSize:                 500,
		SweepInterval:             Duration(time.Hour),
		ProgressInterval:          Duration(72 * time.Hour),
		NoticeBeforeDue:           Duration(24 * time.Hour),
		RemindBefore:              Duration(24 * time.Hour),
		EscalateOverdue:           true,
		PauseWhileWaitingCustomer: true,
		SurveyDelay:               Duration(2 * time.Hour),
		SurveyReminder:            Duration(24 * time.Hour),
		SurveyExpiry:              Duration(72 * time.Hour),
		QueueExpiry:               Duration(2 * time.Hour),
		Retention:                 Duration(30 * 24 * time.Hour),
		OutboxPerSecond:           20,
		Templates:                 map[string]string{},
		TemplateData: map[string]string{
			"keyword1": "{number}",
			"keyword2": "{status}",
			"keyword3": "{date}",
			"keyword4": "{text}",
		},
		MessageAPI: "template",
	}
}

func (s Scheduler) validate() []string {
	var p []string
	if s.Lease < Duration(10*time.Second) {
		p = append(p, "scheduler.lease must be at least 10s")
	}
	specs := map[string]string{"scheduler.notices_spec": s.NoticesSpec, "scheduler.deadlines_spec": s.DeadlinesSpec,
		"scheduler.surveys_spec": s.SurveysSpec, "scheduler.housekeeping_spec": s.HousekeepingSpec}
	for _, key := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[key]
		if spec == "" {
			p = append(p, key+" must be a cron spec such as \"*/10 * * * *\" or \"@every 1m\"")
			continue
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			p = append(p, fmt.Sprintf("%s: %q is not a cron spec (%v); write e.g. \"*/10 * * * *\" or \"@every 1m\"", key, spec, err))
		}
	}
	if s.BatchSize < 1 || s.BatchSize > 10000 {
		p = append(p, "scheduler.batch_size must be between 1 and 10000")
	}
	if s.ProgressInterval <= 0 || s.RemindBefore <= 0 || s.SurveyDelay < 0 || s.SurveyReminder <= 0 || s.NoticeBeforeDue <= 0 {
		p = append(p, "scheduler.progress_interval, notice_before_due, remind_before and survey_reminder must be above 0, survey_delay not negative")
	}
	if s.SurveyExpiry <= s.SurveyReminder {
		p = append(p, "scheduler.survey_expiry must be longer than scheduler.survey_reminder")
	}
	if s.SweepInterval <= 0 {
		p = append(p, "scheduler.sweep_interval must be above 0")
	}
	if s.QueueExpiry <= 0 {
		p = append(p, "scheduler.queue_expiry must be above 0")
	}
	if s.Retention < Duration(72*time.Hour) {
		p = append(p, "scheduler.retention must be at least 72h (the 48-hour messaging window is counted from the outbox)")
	}
	if s.OutboxPerSecond < 1 {
		p = append(p, "scheduler.outbox_per_second must be at least 1")
	}
	for _, kind := range slices.Sorted(maps.Keys(s.Templates)) {
		if !slices.Contains(TemplateKinds, kind) {
			p = append(p, fmt.Sprintf("scheduler.templates.%s: unknown notice kind (want progress or survey)", kind))
		}
	}
	if len(s.Templates) > 0 && len(s.TemplateData) == 0 {
		p = append(p, "scheduler.template_data must name at least one field when scheduler.templates is set")
	}
	if s.MessageAPI != "template" && s.MessageAPI != "subscribe" {
		p = append(p, fmt.Sprintf("scheduler.message_api: %q is not a way to send; write template (模板消息) or subscribe (订阅通知)", s.MessageAPI))
	}
	return p
}

// Validate returns one plain sentence per problem of the scheduler section, each naming the key.
func (s Scheduler) Validate() []string { return s.validate() }
