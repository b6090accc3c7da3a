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

// AgentsBack returns when agents are next at work after t: the start of console.working_hours on
// the next working day (today, if t is before it on a working day); zero when agents are at work
// at t.
func (s *Service) AgentsBack(t time.Time) time.Time {
	if s.OnDuty(t) {
		return time.Time{}
	}
	local := t.In(complaintbot.Shanghai)
	minute := local.Hour()*60 + local.Minute()
	day := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, complaintbot.Shanghai)
	if !s.cal.IsWorkday(day) || minute >= s.hoursTo {
		day = day.AddDate(0, 0, 1)
		for i := 0; i < 60 && !s.cal.IsWorkday(day); i++ {
			day = day.AddDate(0, 0, 1)
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), s.hoursFrom/60, s.hoursFrom%60, 0, 0, complaintbot.Shanghai)
}

// AfterHoursNote is what to add to a "you are in the queue" message outside
// console.working_hours: when agents are back (messages.after_hours of the flow file). It is ""
// within working hours.
func (s *Service) AfterHoursNote(now time.Time) string {
	back := s.AgentsBack(now)
	if back.IsZero() {
		return ""
	}
	return s.def.AfterHoursNote(now, back)
}
