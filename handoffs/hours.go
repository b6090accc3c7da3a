package handoffs

import (
	"time"

	"github.com/complaintbot/complaintbot"
)

// OnDuty reports whether agents are at work at t: within console.working_hours on a working day.
func (s *Service) OnDuty(t time.Time) bool {
	local := t.In(complaintbot.Shanghai)
	minute := local.Hour()*60 + local.Minute()
	return s.cal.IsWorkday(local) && minute >= s.hoursFrom && minute < s.hoursTo
}

// AfterHoursNote is what to add to the "you are in the queue" message outside
// console.working_hours: when agents are back, and that the customer may leave a message
// (messages.after_hours of the flow file). It is "" within working hours.
func (s *Service) AfterHoursNote(now time.Time) string {
	if s.OnDuty(now) {
		return ""
	}
	local := now.In(complaintbot.Shanghai)
	minute := local.Hour()*60 + local.Minute()
	day := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, complaintbot.Shanghai)
	if !s.cal.IsWorkday(day) || minute >= s.hoursTo {
		day = day.AddDate(0, 0, 1)
		for i := 0; i < 60 && !s.cal.IsWorkday(day); i++ {
			day = day.AddDate(0, 0, 1)
		}
	}
	back := time.Date(day.Year(), day.Month(), day.Day(), s.hoursFrom/60, s.hoursFrom%60, 0, 0, complaintbot.Shanghai)
	return s.def.AfterHoursNote(now, back)
}
