package config

import (
	"fmt"

	"github.com/robfig/cron/v3"
)

// MinCaseYears is the shortest time cases and their records may be kept: the PBOC rule keeps
// complaint records for at least 3 years.
const MinCaseYears = 3

// Retention says how long customers' personal data is kept before the retention job removes it.
type Retention struct {
	// CaseYears: a case that ended (resolved, closed or withdrawn) and did not change for this many
	// years has the personal data in it and its records anonymised; its figures stay. At least 3.
	CaseYears int `yaml:"case_years"`
	// CaselessDays: a conversation that led to no case (or only to cases already anonymised) and
	// saw nothing for this many days is deleted.
	CaselessDays int `yaml:"caseless_days"`
	// Spec is when the retention job runs (cron, Asia/Shanghai).
	Spec string `yaml:"spec"`
}

func defaultRetention() Retention {
	return Retention{CaseYears: MinCaseYears, CaselessDays: 180, Spec: "45 3 * * *"}
}

func (r Retention) validate() []string {
	var p []string
	if r.CaseYears < MinCaseYears {
		p = append(p, fmt.Sprintf("retention.case_years is %d: cases and their records must be kept at least %d years (the PBOC rule); set %d or more",
			r.CaseYears, MinCaseYears, MinCaseYears))
	}
	if r.CaselessDays < 30 || r.CaselessDays > 365*r.CaseYears {
		p = append(p, "retention.caseless_days must be at least 30 and at most retention.case_years")
	}
	if _, err := cron.ParseStandard(r.Spec); err != nil {
		p = append(p, fmt.Sprintf("retention.spec: %q is not a cron spec (%v); write e.g. \"45 3 * * *\"", r.Spec, err))
	}
	return p
}
