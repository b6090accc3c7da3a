package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// sh is a Shanghai wall-clock time.
func sh(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, complaintbot.Shanghai)
}

// eod is the expected deadline: the end of a Shanghai date.
func eod(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999_000_000, complaintbot.Shanghai)
}

func mustUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDueWorkingDays(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		{"normal week Mon->Thu", sh(2026, 3, 9, 10, 0), 3, eod(2026, 3, 12)},
		{"receipt not counted, late evening", sh(2026, 3, 9, 23, 59), 3, eod(2026, 3, 12)},
		{"over weekend Thu->Tue", sh(2026, 3, 12, 9, 0), 3, eod(2026, 3, 17)},
		{"over weekend Fri->Wed", sh(2026, 3, 13, 9, 0), 3, eod(2026, 3, 18)},
		{"received on Saturday", sh(2026, 3, 14, 9, 0), 3, eod(2026, 3, 18)},
		{"one working day", sh(2026, 3, 13, 9, 0), 1, eod(2026, 3, 16)},
		{"zero days is end of receipt day", sh(2026, 3, 13, 9, 0), 0, eod(2026, 3, 13)},
		// 2026 春节: 2/15-2/23 off, Sat 2/14 and Sat 2/28 worked.
		{"2026 spring festival, Sat 2/14 make-up counts", sh(2026, 2, 13, 15, 0), 3, eod(2026, 2, 25)},
		{"2026 spring festival from Thu", sh(2026, 2, 12, 15, 0), 3, eod(2026, 2, 24)},
		{"2026 spring festival, Sat 2/28 make-up counts", sh(2026, 2, 25, 15, 0), 3, eod(2026, 2, 28)},
		// 2025 春节: 1/28-2/4 off, Sun 1/26 and Sat 2/8 worked.
		{"2025 spring festival, Sun 1/26 make-up counts", sh(2025, 1, 24, 11, 0), 3, eod(2025, 2, 5)},
		// 2026 国庆: 10/1-10/7 off, Sun 9/20 and Sat 10/10 worked; 中秋 9/25-9/27 off.
		{"2026 national day, Sun 9/20 make-up counts", sh(2026, 9, 18, 11, 0), 3, eod(2026, 9, 22)},
		{"2026 national day, Sat 10/10 make-up is the 3rd day", sh(2026, 9, 30, 11, 0), 3, eod(2026, 10, 10)},
		{"2026 mid-autumn then national day", sh(2026, 9, 24, 11, 0), 3, eod(2026, 9, 30)},
		// 2025 国庆中秋: 10/1-10/8 off, Sat 10/11 worked.
		{"2025 national day, Sat 10/11 make-up", sh(2025, 9, 30, 11, 0), 3, eod(2025, 10, 11)},
		// 2024 国庆: 10/1-10/7 off, Sat 10/12 worked.
		{"2024 national day", sh(2024, 9, 30, 11, 0), 3, eod(2024, 10, 10)},
		// 15 working days across 2026 春节: 2/13 -> 2/14(1) 2/24..2/27(5) 2/28(6) 3/2..3/6(11) 3/9..3/12(15).
		{"15 working days over 2026 spring festival", sh(2026, 2, 13, 15, 0), 15, eod(2026, 3, 12)},
		// 2026 元旦: 1/1-1/3 off, Sun 1/4 worked.
		{"new year 2026", sh(2025, 12, 31, 15, 0), 1, eod(2026, 1, 4)},
		// 2027 is not covered: weekends only.
		{"uncovered year 2027", sh(2027, 1, 1, 9, 0), 3, eod(2027, 1, 6)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Due(tc.from, tc.n, WorkingDays)
			if !got.Equal(tc.want) {
				t.Fatalf("Due(%s, %d, working) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
			if got.Location() != complaintbot.Shanghai {
				t.Fatalf("Due returned location %v, want Asia/Shanghai", got.Location())
			}
		})
	}
}

func TestDueCalendarDays(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		from time.Time
		n    int
		unit Unit
		want time.Time
	}{
		{"3 days into a holiday", sh(2026, 2, 13, 15, 0), 3, CalendarDays, eod(2026, 2, 16)},
		{"15 days", sh(2026, 2, 13, 15, 0), 15, CalendarDays, eod(2026, 2, 28)},
		{"extended by 30", sh(2026, 2, 13, 15, 0), 45, CalendarDays, eod(2026, 3, 30)},
		{"month boundary", sh(2026, 1, 30, 8, 0), 3, CalendarDays, eod(2026, 2, 2)},
		{"leap year", sh(2024, 2, 27, 8, 0), 3, CalendarDays, eod(2024, 3, 1)},
		{"year boundary", sh(2026, 12, 30, 8, 0), 3, CalendarDays, eod(2027, 1, 2)},
		{"unknown unit counts calendar days", sh(2026, 2, 13, 15, 0), 3, Unit("workng"), eod(2026, 2, 16)},
		{"empty unit counts calendar days", sh(2026, 2, 13, 15, 0), 3, "", eod(2026, 2, 16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Due(tc.from, tc.n, tc.unit); !got.Equal(tc.want) {
				t.Fatalf("Due(%s, %d, %q) = %s, want %s", tc.from, tc.n, tc.unit, got, tc.want)
			}
		})
	}
}

// The date of receipt is the Shanghai date, not the UTC date nor the caller's zone.
func TestDueShanghaiDateBoundary(t *testing.T) {
	c := Default()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		from time.Time
		n    int
		unit Unit
		want time.Time
	}{
		// 2026-11-27T17:00Z is Sat 11-28 01:00 in Shanghai (Fri 11-27 in UTC).
		{"UTC Friday is Shanghai Saturday, calendar", mustUTC("2026-11-27T17:00:00Z"), 3, CalendarDays, eod(2026, 12, 1)},
		{"UTC Friday is Shanghai Saturday, working", mustUTC("2026-11-27T17:00:00Z"), 3, WorkingDays, eod(2026, 12, 2)},
		// 2026-11-26T17:00Z is Fri 11-27 01:00 in Shanghai (Thu 11-26 in UTC): UTC date would give 12-01.
		{"UTC Thursday is Shanghai Friday, working", mustUTC("2026-11-26T17:00:00Z"), 3, WorkingDays, eod(2026, 12, 2)},
		// One second before Shanghai midnight is still Thu 11-26.
		{"just before Shanghai midnight", mustUTC("2026-11-26T15:59:59Z"), 3, WorkingDays, eod(2026, 12, 1)},
		{"exactly Shanghai midnight", mustUTC("2026-11-26T16:00:00Z"), 3, WorkingDays, eod(2026, 12, 2)},
		// New York Thu 2026-11-26 12:30 is Fri 11-27 01:30 in Shanghai.
		{"caller in another zone", time.Date(2026, 11, 26, 12, 30, 0, 0, ny), 3, WorkingDays, eod(2026, 12, 2)},
		// 2026-02-13T16:30Z is Sat 2/14 00:30 Shanghai, a make-up working day: the receipt day itself is not counted.
		{"received on a make-up Saturday", mustUTC("2026-02-13T16:30:00Z"), 1, WorkingDays, eod(2026, 2, 24)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Due(tc.from, tc.n, tc.unit); !got.Equal(tc.want) {
				t.Fatalf("Due(%s, %d, %q) = %s, want %s", tc.from, tc.n, tc.unit, got, tc.want)
			}
		})
	}
}

func TestIsWorkday(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"plain Monday", sh(2026, 3, 9, 12, 0), true},
		{"plain Saturday", sh(2026, 3, 14, 12, 0), false},
		{"plain Sunday", sh(2026, 3, 15, 12, 0), false},
		{"2026 spring festival weekday", sh(2026, 2, 18, 12, 0), false},
		{"2026 make-up Saturday 2/14", sh(2026, 2, 14, 12, 0), true},
		{"2026 make-up Sunday 1/4", sh(2026, 1, 4, 12, 0), true},
		{"2026 make-up Sunday 9/20", sh(2026, 9, 20, 12, 0), true},
		{"2026 labour day Monday 5/4", sh(2026, 5, 4, 12, 0), false},
		{"2026 mid-autumn Friday 9/25", sh(2026, 9, 25, 12, 0), false},
		{"2025 make-up Sunday 4/27", sh(2025, 4, 27, 12, 0), true},
		{"2025 national day Wednesday 10/8", sh(2025, 10, 8, 12, 0), false},
		{"2024 make-up Sunday 2/4", sh(2024, 2, 4, 12, 0), true},
		{"2024 dragon boat Monday 6/10", sh(2024, 6, 10, 12, 0), false},
		{"UTC Friday evening is Shanghai Saturday", mustUTC("2026-11-27T17:00:00Z"), false},
		{"UTC Sunday evening is Shanghai Monday", mustUTC("2026-11-29T16:00:00Z"), true},
		{"uncovered 2027-01-01 Friday falls back to weekdays", sh(2027, 1, 1, 12, 0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.IsWorkday(tc.at); got != tc.want {
				t.Fatalf("IsWorkday(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	c := Default()
	extra, err := Load([]byte("years:\n  2027: {official: false, source: test}\n"))
	if err != nil {
		t.Fatal(err)
	}
	merged := c.Merge(extra)
	tests := []struct {
		cal  *Calendar
		name string
		year int
		want bool
	}{
		{c, "default 2023", 2023, false},
		{c, "default 2024", 2024, true},
		{c, "default 2025", 2025, true},
		{c, "default 2026", 2026, true},
		{c, "default 2027", 2027, false},
		{merged, "merged 2026", 2026, true},
		{merged, "merged 2027", 2027, true},
		{extra, "operator file alone 2026", 2026, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cal.Covers(tc.year); got != tc.want {
				t.Fatalf("Covers(%d) = %v, want %v", tc.year, got, tc.want)
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"same instant", sh(2026, 3, 9, 10, 0), sh(2026, 3, 9, 10, 0), 0},
		{"same date", sh(2026, 3, 9, 1, 0), sh(2026, 3, 9, 23, 0), 0},
		{"b before a", sh(2026, 3, 12, 10, 0), sh(2026, 3, 9, 10, 0), 0},
		{"Mon to Fri", sh(2026, 3, 9, 10, 0), sh(2026, 3, 13, 10, 0), 4},
		{"Fri to Mon", sh(2026, 3, 13, 10, 0), sh(2026, 3, 16, 10, 0), 1},
		{"Fri to Sun", sh(2026, 3, 13, 10, 0), sh(2026, 3, 15, 10, 0), 0},
		{"two full weeks", sh(2026, 3, 9, 10, 0), sh(2026, 3, 23, 10, 0), 10},
		{"over 2026 spring festival", sh(2026, 2, 13, 10, 0), sh(2026, 2, 25, 10, 0), 3},
		{"2026 spring festival to 2/28 make-up", sh(2026, 2, 13, 10, 0), sh(2026, 2, 28, 10, 0), 6},
		{"over 2026 national day", sh(2026, 9, 30, 10, 0), sh(2026, 10, 11, 10, 0), 3},
		// Sat 11-28 01:00 .. Tue 12-01 01:00 in Shanghai counts Mon 11-30 and Tue 12-01;
		// the UTC dates (Fri 11-27 .. Mon 11-30) would count only 11-30.
		{"Shanghai dates, not UTC", mustUTC("2026-11-27T17:00:00Z"), mustUTC("2026-11-30T17:00:00Z"), 2},
		// Whole year 2026: 261 weekdays, minus 19 weekday holidays, plus 6 make-up weekend days.
		{"whole 2026", sh(2025, 12, 31, 12, 0), sh(2026, 12, 31, 12, 0), 261 - 19 + 6},
		// Whole year 2025: 261 weekdays, minus 18 weekday holidays, plus 5 make-up weekend days.
		{"whole 2025", sh(2024, 12, 31, 12, 0), sh(2025, 12, 31, 12, 0), 261 - 18 + 5},
		// Whole year 2024 (leap, 262 weekdays): minus 19 weekday holidays, plus 8 make-up days.
		{"whole 2024", sh(2023, 12, 31, 12, 0), sh(2024, 12, 31, 12, 0), 262 - 19 + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(tc.a, tc.b); got != tc.want {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// Due and WorkingDaysBetween must agree: the n-th working day after receipt is a working day and
// exactly n working days lie between receipt and it.
func TestDueAgreesWithWorkingDaysBetween(t *testing.T) {
	c := Default()
	for day := sh(2023, 12, 1, 9, 0); day.Before(sh(2027, 1, 31, 0, 0)); day = day.AddDate(0, 0, 1) {
		for _, n := range []int{1, 3, 15, 45} {
			due := c.Due(day, n, WorkingDays)
			if !c.IsWorkday(due) {
				t.Fatalf("Due(%s, %d) = %s is not a working day", day.Format(time.DateOnly), n, due)
			}
			if got := c.WorkingDaysBetween(day, due); got != n {
				t.Fatalf("WorkingDaysBetween(%s, Due(..., %d)=%s) = %d", day.Format(time.DateOnly), n, due, got)
			}
		}
	}
}

func TestMerge(t *testing.T) {
	base := Default()
	op, err := Load([]byte(`
years:
  2026: {official: false, source: "branch schedule"}
holidays:
  - 2026-03-10 # typhoon closure
workdays:
  - 2026-03-14 # branch works this Saturday
  - 2026-10-07 # branch opens on the last day of National Day
`))
	if err != nil {
		t.Fatal(err)
	}
	merged := base.Merge(op)

	tests := []struct {
		name       string
		at         time.Time
		wantBase   bool
		wantMerged bool
	}{
		{"operator closure", sh(2026, 3, 10, 12, 0), true, false},
		{"operator Saturday", sh(2026, 3, 14, 12, 0), false, true},
		{"operator cancels a default holiday", sh(2026, 10, 7, 12, 0), false, true},
		{"default holiday kept", sh(2026, 10, 6, 12, 0), false, false},
		{"default make-up day kept", sh(2026, 10, 10, 12, 0), true, true},
		{"plain day", sh(2026, 3, 11, 12, 0), true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := base.IsWorkday(tc.at); got != tc.wantBase {
				t.Errorf("base.IsWorkday = %v, want %v (Merge must not modify its receiver)", got, tc.wantBase)
			}
			if got := merged.IsWorkday(tc.at); got != tc.wantMerged {
				t.Errorf("merged.IsWorkday = %v, want %v", got, tc.wantMerged)
			}
		})
	}

	// The operator's holiday on top of a default make-up day wins too.
	closeMakeup, err := Load([]byte("holidays: [2026-02-14]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if base.Merge(closeMakeup).IsWorkday(sh(2026, 2, 14, 12, 0)) {
		t.Error("operator holiday on a default make-up day: still a workday after Merge")
	}
	if !base.IsWorkday(sh(2026, 2, 14, 12, 0)) {
		t.Error("Merge modified the default calendar")
	}
	if got, want := merged.Due(sh(2026, 3, 9, 9, 0), 3, WorkingDays), eod(2026, 3, 13); !got.Equal(want) {
		t.Errorf("merged Due over the closure = %s, want %s", got, want)
	}
	if nilMerge := base.Merge(nil); !nilMerge.Covers(2026) || nilMerge.IsWorkday(sh(2026, 2, 18, 12, 0)) {
		t.Error("Merge(nil) is not a copy of the receiver")
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string // substrings; nil means success
	}{
		{"empty file", "", nil},
		{"only comments", "# nothing yet\n", nil},
		{"valid", "years:\n  2027: {official: true, source: x}\nholidays:\n  - 2027-01-01 # 元旦\nworkdays: [2027-02-06]\n", nil},
		{"month 13", "holidays:\n  - 2026-13-01\n", []string{"line 2", `"2026-13-01" is not a date`}},
		{"February 30", "holidays:\n  - 2026-02-30\n", []string{`"2026-02-30" is not a date`}},
		{"not a date", "workdays:\n  - next monday\n", []string{"workdays", `"next monday" is not a date`}},
		{"unpadded", "holidays: [2026-1-1]\n", []string{`"2026-1-1" is not a date`}},
		{"number", "holidays: [20260101]\n", []string{`"20260101" is not a date`}},
		{"both holiday and workday", "holidays:\n  - 2026-03-10\nworkdays:\n  - 2026-03-10\n",
			[]string{"line 4", "2026-03-10 is listed both as a holiday (line 2) and as a workday"}},
		{"all errors reported", "holidays: [2026-13-01, 2026-03-10]\nworkdays: [bad, 2026-03-10]\n",
			[]string{"2026-13-01", `"bad"`, "both"}},
		{"unknown key", "holiday:\n  - 2026-03-10\n", []string{"holiday"}},
		{"nested list", "holidays:\n  - [2026-03-10]\n", []string{"line 2", "got a list"}},
		{"implausible year", "years:\n  26: {official: true}\n", []string{"26 is not a plausible year"}},
		{"unknown year field", "years:\n  2026: {offical: true}\n", []string{"offical"}},
		{"malformed yaml", "holidays: [2026-03-10\n", []string{"calendar: holiday file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load([]byte(tc.yaml))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Load: unexpected error %v", err)
				}
				if c == nil {
					t.Fatal("Load returned nil calendar")
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.wantErr)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestLoadedCalendarIsUsed(t *testing.T) {
	c, err := Load([]byte("years:\n  2027: {official: true, source: x}\nholidays: [2027-01-01]\nworkdays: [2027-01-02]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{sh(2027, 1, 1, 12, 0), false}, // Friday, listed as holiday
		{sh(2027, 1, 2, 12, 0), true},  // Saturday, listed as workday
		{sh(2027, 1, 3, 12, 0), false}, // Sunday
	}
	for _, tc := range tests {
		if got := c.IsWorkday(tc.at); got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, want %v", tc.at.Format(time.DateOnly), got, tc.want)
		}
	}
}

// The embedded data must match the shape of the State Council notices.
func TestDefaultData(t *testing.T) {
	c := Default()
	for d := range c.workdays {
		if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
			t.Errorf("default workday %s is a %s; make-up working days are weekend dates", d, wd)
		}
		if !c.Covers(d.y) {
			t.Errorf("default workday %s is in a year not listed under years", d)
		}
	}
	perYear := map[int]int{}
	for d := range c.holidays {
		perYear[d.y]++
	}
	// Days off as announced: 2024 元旦1 春节8 清明3 劳动5 端午1 中秋3 国庆7; 2025 1+8+3+5+3+8;
	// 2026 元旦3 春节9 清明3 劳动5 端午3 中秋3 国庆7.
	want := map[int]int{2024: 28, 2025: 28, 2026: 33}
	for y, n := range want {
		if perYear[y] != n {
			t.Errorf("default %d has %d holiday dates, want %d", y, perYear[y], n)
		}
		if info := c.years[y]; !info.Official || info.Source == "" {
			t.Errorf("default %d: official=%v source=%q, want official with a source", y, info.Official, info.Source)
		}
	}
	if len(perYear) != len(want) || len(c.years) != len(want) {
		t.Errorf("default years %v / holiday years %v, want exactly %v", c.years, perYear, want)
	}
	if Default() != c {
		t.Error("Default() should return the same shared calendar")
	}
}
