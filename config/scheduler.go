package config

import "time"

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
	// ProgressInterval: an open case with nothing new for this long gets a "still working on it" notice.
	ProgressInterval Duration `yaml:"progress_interval"`
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
	// Templates are the template message ids by notice kind (progress, survey); empty = none, and a
	// notice that cannot go as a customer-service message is marked for a phone call.
	Templates map[string]string `yaml:"templates"`
}

func defaultScheduler() Scheduler {
	return Scheduler{
		Lease:                     Duration(2 * time.Minute),
		NoticesSpec:               "@every 1m",
		DeadlinesSpec:             "*/10 * * * *",
		SurveysSpec:               "@every 5m",
		HousekeepingSpec:          "30 3 * * *",
		ProgressInterval:          Duration(72 * time.Hour),
		RemindBefore:              Duration(24 * time.Hour),
		EscalateOverdue:           true,
		PauseWhileWaitingCustomer: true,
		SurveyDelay:               Duration(2 * time.Hour),
		SurveyReminder:            Duration(24 * time.Hour),
		SurveyExpiry:              Duration(72 * time.Hour),
		Templates:                 map[string]string{},
	}
}

func (s Scheduler) validate() []string {
	var p []string
	if s.Lease < Duration(10*time.Second) {
		p = append(p, "scheduler.lease must be at least 10s")
	}
	for key, spec := range map[string]string{"scheduler.notices_spec": s.NoticesSpec, "scheduler.deadlines_spec": s.DeadlinesSpec,
		"scheduler.surveys_spec": s.SurveysSpec, "scheduler.housekeeping_spec": s.HousekeepingSpec} {
		if spec == "" {
			p = append(p, key+" must be a cron spec such as \"*/10 * * * *\" or \"@every 1m\"")
		}
	}
	if s.ProgressInterval <= 0 || s.RemindBefore <= 0 || s.SurveyDelay < 0 || s.SurveyReminder <= 0 {
		p = append(p, "scheduler.progress_interval, remind_before and survey_reminder must be above 0, survey_delay not negative")
	}
	if s.SurveyExpiry <= s.SurveyReminder {
		p = append(p, "scheduler.survey_expiry must be longer than scheduler.survey_reminder")
	}
	return p
}
