// Package corpustest holds what the conversation corpus's tests share (flows' TestCorpus and the
// blind sets' replay through the webhook in app): how a corpus file writes a time.
package corpustest

import (
	"time"

	"github.com/complaintbot/complaintbot"
)

// When writes a time as the corpus files' "= when" lines do: "2026-11-27 15:00", "2026-11-27 下午",
// "2026-11-27", "week 2026-11-16", "30days 2026-10-30", "part 2026-11 中旬", "month 2026-10",
// "year 2025", "unknown", or "-" for none. period is the part of the day (or of the month) kept
// beside the time (flows.FieldOccurredPeriod).
func When(at *time.Time, precision, period string) string {
	if precision == complaintbot.OccurredUnknown {
		return "unknown"
	}
	if at == nil {
		return "-"
	}
	t := at.In(complaintbot.Shanghai)
	switch precision {
	case complaintbot.OccurredWeek:
		return "week " + t.Format("2006-01-02")
	case complaintbot.OccurredThirtyDays:
		return "30days " + t.Format("2006-01-02")
	case complaintbot.OccurredPartOfMonth:
		return "part " + t.Format("2006-01") + " " + period
	case complaintbot.OccurredMonth:
		return "month " + t.Format("2006-01")
	case complaintbot.OccurredYear:
		return "year " + t.Format("2006")
	}
	switch {
	case period != "":
		return t.Format("2006-01-02") + " " + period
	case t.Hour() == 0 && t.Minute() == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}
