package console

import (
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
)

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// AfterHoursNote is what to add to the "you are in the queue" message outside
// console.working_hours: when agents are back, and that the customer may leave a message. It is
// "" within working hours.
func (c *Console) AfterHoursNote(now time.Time) string {
	local := now.In(complaintbot.Shanghai)
	minute := local.Hour()*60 + local.Minute()
	if c.cal.IsWorkday(local) && minute >= c.hoursFrom && minute < c.hoursTo {
		return ""
	}
	day := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, complaintbot.Shanghai)
	if !c.cal.IsWorkday(day) || minute >= c.hoursTo {
		day = day.AddDate(0, 0, 1)
		for i := 0; i < 60 && !c.cal.IsWorkday(day); i++ {
			day = day.AddDate(0, 0, 1)
		}
	}
	when := fmt.Sprintf("%d月%d日（%s）%02d:%02d", day.Month(), day.Day(), weekdays[day.Weekday()], c.hoursFrom/60, c.hoursFrom%60)
	if day.YearDay() == local.YearDay() && day.Year() == local.Year() {
		when = fmt.Sprintf("今天 %02d:%02d", c.hoursFrom/60, c.hoursFrom%60)
	}
	return fmt.Sprintf("\n现在是非工作时间，人工客服将于%s起为您服务。您可以先留言，客服上班后会按顺序回复您。", when)
}
