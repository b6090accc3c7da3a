// Package calendar computes complaint deadlines on China's official working-day calendar.
//
// A bank must reply to a complaint within a few days and decide within a longer period; either
// may be counted in calendar days or in working days. Working days follow the State Council's
// yearly holiday arrangement, which moves some weekend dates into working days (调休上班), so a
// working day is: a make-up working day, or otherwise a Monday-Friday that is not a holiday.
// Every date is the date in Asia/Shanghai, whatever the location of the time.Time passed in.
//
// A Calendar is immutable once built and safe for concurrent use.
package calendar

import (
	"time"

	"github.com/complaintbot/complaintbot"
)

// Unit says how a deadline's days are counted.
type Unit string

const (
	// CalendarDays counts every date.
	CalendarDays Unit = "calendar"
	// WorkingDays counts only working days: make-up working days and non-holiday Monday-Friday.
	WorkingDays Unit = "working"
)

// Calendar knows which dates are holidays and which weekend dates are make-up working days.
type Calendar struct {
	years    map[int]yearInfo
	holidays map[date]struct{}
	workdays map[date]struct{}
}

// yearInfo describes one year of holiday data.
type yearInfo struct {
	Official bool   `yaml:"official"`
	Source   string `yaml:"source"`
}

// date is a civil date with no time zone.
type date struct {
	y int
	m time.Month
	d int
}

// dateOf returns the Shanghai date of t.
func dateOf(t time.Time) date {
	y, m, d := t.In(complaintbot.Shanghai).Date()
	return date{y, m, d}
}

// addDays returns the date n days after d (n may be negative).
func (d date) addDays(n int) date {
	y, m, dd := time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC).Date()
	return date{y, m, dd}
}

// before reports whether d is earlier than o.
func (d date) before(o date) bool {
	if d.y != o.y {
		return d.y < o.y
	}
	if d.m != o.m {
		return d.m < o.m
	}
	return d.d < o.d
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Weekday()
}

// endOfDay is the last millisecond of d in Shanghai.
func (d date) endOfDay() time.Time {
	return time.Date(d.y, d.m, d.d, 23, 59, 59, int(999*time.Millisecond), complaintbot.Shanghai)
}

func (d date) String() string {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func newCalendar() *Calendar {
	return &Calendar{
		years:    map[int]yearInfo{},
		holidays: map[date]struct{}{},
		workdays: map[date]struct{}{},
	}
}

// Merge returns a new Calendar holding c with other laid on top: other's holidays and make-up
// working days win over c's for the same date (an operator can both add closures and cancel a
// default holiday by listing it as a workday), and the covered years are the union, other's
// description of a year replacing c's. Neither c nor other is changed; a nil other yields a copy of c.
func (c *Calendar) Merge(other *Calendar) *Calendar {
	out := newCalendar()
	for _, src := range []*Calendar{c, other} {
		if src == nil {
			continue
		}
		for y, info := range src.years {
			out.years[y] = info
		}
		for d := range src.holidays {
			delete(out.workdays, d)
			out.holidays[d] = struct{}{}
		}
		for d := range src.workdays {
			delete(out.holidays, d)
			out.workdays[d] = struct{}{}
		}
	}
	return out
}

// IsWorkday reports whether the Shanghai date of t is a working day: a make-up working day, or a
// Monday-Friday that is not a holiday. For a year the calendar does not cover, only weekends are off.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWorkday(dateOf(t))
}

func (c *Calendar) isWorkday(d date) bool {
	if _, ok := c.holidays[d]; ok {
		return false
	}
	if _, ok := c.workdays[d]; ok {
		return true
	}
	wd := d.weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Covers reports whether the calendar holds the holiday arrangement for year. For a year it does
// not cover, working days are simply Monday-Friday, which is wrong around that year's holidays.
func (c *Calendar) Covers(year int) bool {
	_, ok := c.years[year]
	return ok
}

// Due returns the end (23:59:59.999 Asia/Shanghai) of the date n days after the Shanghai date of from: n calendar days, or the n-th working day after that date (the day of receipt does not count).
//
// n <= 0 gives the end of the day of receipt. A unit other than WorkingDays is counted as
// CalendarDays, which never gives a later deadline than working days would.
func (c *Calendar) Due(from time.Time, n int, unit Unit) time.Time {
	d := dateOf(from)
	if n <= 0 {
		return d.endOfDay()
	}
	if unit != WorkingDays {
		return d.addDays(n).endOfDay()
	}
	for count := 0; count < n; {
		d = d.addDays(1)
		if c.isWorkday(d) {
			count++
		}
	}
	return d.endOfDay()
}

// WorkingDaysBetween counts working days strictly after a's date up to and including b's date (0 if b before a); used for reports and pausing clocks.
// Both dates are taken in Asia/Shanghai.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	da, db := dateOf(a), dateOf(b)
	n := 0
	for d := da.addDays(1); !db.before(d); d = d.addDays(1) {
		if c.isWorkday(d) {
			n++
		}
	}
	return n
}
