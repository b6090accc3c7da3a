package flows

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// FieldOccurredPeriod is the Draft.Fields key that keeps the part of the day ("下午") when the
// customer gave a date and a part of the day but no hour; Draft.OccurredAt then holds a
// representative hour (下午 → 15:00) and read-backs show "2026年11月27日下午".
const FieldOccurredPeriod = "occurred_period"

// when is a moment a customer named.
type when struct {
	t      time.Time // Asia/Shanghai
	clock  bool      // an hour was given (or "刚才")
	period string    // the part of the day, when no hour was given
	dated  bool      // a date was given, not just a time of today
}

// dateProblem says why an answer is not an acceptable moment.
type dateProblem int

const (
	dateOK dateProblem = iota
	dateMissing
	dateFuture
	dateBadDay
	dateTooOld
)

// maxAge is how far back an event may lie before the engine asks the customer to check the year.
const maxAgeYears = 5

var (
	dateRe = regexp.MustCompile(
		`(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?` + // 1-3 y m d
			`|(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?` + // 4-5 m d
			`|(大前天|前天|昨天|昨日|昨晚|昨夜|今天|今日|今早|今晚|刚才|刚刚|方才|明天|明日|后天)` + // 6 relative
			`|(上上|上|这|本)?\s*(?:周|星期|礼拜)\s*([1-7日天])` + // 7-8 week day
			`|(\d{1,2})\s*[日号]`) // 9 day of this month (answers only)
	clockRe   = regexp.MustCompile(`(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜)?\s*(\d{1,2})\s*(?::\s*(\d{2})|[点时](?:\s*(半)|\s*([123])\s*刻|\s*(\d{1,2})\s*分?)?)`)
	periodRe  = regexp.MustCompile(`凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜`)
	cnRunRe   = regexp.MustCompile(`[零〇一二两三四五六七八九十]+`)
	cnDigitOf = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
)

// periodHour is the representative hour of a part of the day.
var periodHour = map[string]int{
	"凌晨": 3, "早上": 8, "早晨": 8, "上午": 10, "中午": 12, "下午": 15, "傍晚": 18,
	"晚上": 20, "夜里": 22, "夜间": 22, "半夜": 0,
}

// parseWhen reads an answer to "when did it happen?" relative to now: "昨天下午3点", "今天上午10点半",
// "11月20日", "2026-11-20 15:00", "2026年11月20日", "上周五", "前天", "刚才", "下午3点". A moment in the
// future, a date that does not exist, or one more than five years back is refused.
func parseWhen(text string, now time.Time) (when, dateProblem) {
	return scanWhen(text, now, false)
}

// findWhen looks for a moment inside a story; it wants a date or a part of the day, so that "好一点"
// or "3号窗口" is not read as a time. Only acceptable moments are returned.
func findWhen(text string, now time.Time) (when, bool) {
	w, p := scanWhen(text, now, true)
	return w, p == dateOK
}

func scanWhen(text string, now time.Time, story bool) (when, dateProblem) {
	s := cnNumerals(halfWidth(text))
	now = now.In(complaintbot.Shanghai)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, complaintbot.Shanghai)
	w := when{t: today}
	rest := s
	for _, m := range dateRe.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > 0 && isDigit(s[m[0]-1]) {
			continue
		}
		if story && m[18] >= 0 {
			continue // a bare "5号" in a story is more often a counter than a date
		}
		day, period, ok := dateOf(s, m, now, today)
		if !ok {
			return w, dateBadDay
		}
		if period == "刚才" {
			return when{t: now.Truncate(time.Minute), clock: true, dated: true}, dateOK
		}
		w.t, w.period, w.dated = day, period, true
		rest = s[:m[0]] + " " + s[m[1]:]
		break
	}
	clockFound := false
	for _, m := range clockRe.FindAllStringSubmatchIndex(rest, -1) {
		if m[4] > 0 && isDigit(rest[m[4]-1]) {
			continue
		}
		if story && m[2] < 0 && !w.dated {
			continue // a bare "1点" in a story is not enough
		}
		h, mi, ok := clockOf(rest, m, w.period)
		if !ok {
			return w, dateMissing
		}
		w.t = w.t.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute)
		w.clock, w.period, clockFound = true, "", true
		break
	}
	if !clockFound && w.period == "" {
		w.period = periodRe.FindString(rest)
	}
	if !w.dated && !clockFound && w.period == "" {
		return w, dateMissing
	}
	if !clockFound && w.period != "" {
		w.t = w.t.Add(time.Duration(periodHour[w.period]) * time.Hour)
	}
	switch {
	case (w.clock || w.period != "") && w.t.After(now.Add(time.Minute)):
		return w, dateFuture
	case w.t.After(now) && w.t.Sub(today) >= 24*time.Hour:
		return w, dateFuture
	case w.t.Before(now.AddDate(-maxAgeYears, 0, 0)):
		return w, dateTooOld
	}
	return w, dateOK
}

// dateOf interprets one dateRe match. period is the part of the day some words carry (昨晚), or
// "刚才" for just now. ok is false for a day that does not exist (2月30日).
func dateOf(s string, m []int, now, today time.Time) (day time.Time, period string, ok bool) {
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	num := func(i int) int { n, _ := strconv.Atoi(group(i)); return n }
	switch {
	case group(1) != "":
		return mkDate(num(1), num(2), num(3))
	case group(4) != "":
		d, _, ok := mkDate(now.Year(), num(4), num(5))
		if ok && d.After(today) {
			d, _, ok = mkDate(now.Year()-1, num(4), num(5))
		}
		return d, "", ok
	case group(6) != "":
		switch group(6) {
		case "刚才", "刚刚", "方才":
			return today, "刚才", true
		case "今天", "今日":
			return today, "", true
		case "今早":
			return today, "早上", true
		case "今晚":
			return today, "晚上", true
		case "昨天", "昨日":
			return today.AddDate(0, 0, -1), "", true
		case "昨晚", "昨夜":
			return today.AddDate(0, 0, -1), "晚上", true
		case "前天":
			return today.AddDate(0, 0, -2), "", true
		case "明天", "明日":
			return today.AddDate(0, 0, 1), "", true // refused as future, with the date shown
		case "后天":
			return today.AddDate(0, 0, 2), "", true
		default: // 大前天
			return today.AddDate(0, 0, -3), "", true
		}
	case group(8) != "":
		wd := 7
		if n, err := strconv.Atoi(group(8)); err == nil {
			wd = n
		}
		cur := int(today.Weekday())
		if cur == 0 {
			cur = 7
		}
		monday := today.AddDate(0, 0, 1-cur)
		d := monday.AddDate(0, 0, wd-1)
		switch group(7) {
		case "上":
			d = d.AddDate(0, 0, -7)
		case "上上":
			d = d.AddDate(0, 0, -14)
		case "":
			if d.After(today) {
				d = d.AddDate(0, 0, -7)
			}
		}
		return d, "", true
	default:
		d, _, ok := mkDate(now.Year(), int(now.Month()), num(9))
		if ok && d.After(today) {
			d, _, ok = mkDate(now.Year(), int(now.Month())-1, num(9))
		}
		return d, "", ok
	}
}

// mkDate builds a Shanghai date, refusing days that do not exist. A month of 0 means December of
// the year before (as time.Date does).
func mkDate(y, mo, d int) (time.Time, string, bool) {
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, complaintbot.Shanghai)
	if mo < 1 {
		y, mo = y-1, mo+12
	}
	return t, "", mo >= 1 && mo <= 12 && t.Day() == d && int(t.Month()) == mo && t.Year() == y
}

// clockOf interprets one clockRe match; datePeriod is a part of the day the date already named
// (昨晚8点 is 20:00).
func clockOf(s string, m []int, datePeriod string) (hour, minute int, ok bool) {
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	period := group(1)
	if period == "" {
		period = datePeriod
	}
	hour, _ = strconv.Atoi(group(2))
	switch {
	case group(3) != "":
		minute, _ = strconv.Atoi(group(3))
	case group(4) != "":
		minute = 30
	case group(5) != "":
		q, _ := strconv.Atoi(group(5))
		minute = 15 * q
	case group(6) != "":
		minute, _ = strconv.Atoi(group(6))
	}
	switch period {
	case "下午", "傍晚", "晚上", "夜里", "夜间":
		if hour < 12 {
			hour += 12
		}
	case "中午":
		if hour < 11 {
			hour += 12
		}
	case "凌晨", "半夜":
		if hour == 12 {
			hour = 0
		}
	}
	return hour, minute, hour <= 23 && minute <= 59
}

// formatWhen renders a moment for the customer: "2026年11月27日 15:00", "2026年11月27日下午" or
// "2026年11月27日".
func formatWhen(t time.Time, period string) string {
	t = t.In(complaintbot.Shanghai)
	s := formatDate(t)
	switch {
	case period != "":
		return s + period
	case t.Hour() != 0 || t.Minute() != 0:
		return s + t.Format(" 15:04")
	}
	return s
}

// formatDate renders a date as the customer reads it: 2026年12月1日.
func formatDate(t time.Time) string {
	t = t.In(complaintbot.Shanghai)
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日"
}

// cnNumerals writes Chinese numerals as digits (十一月二十日 → 11月20日, 两点 → 2点), except a lone
// "一点" that means "a little" (好一点).
func cnNumerals(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range cnRunRe.FindAllStringIndex(s, -1) {
		run := s[m[0]:m[1]]
		if run == "一" && strings.HasPrefix(s[m[1]:], "点") && !clockContext(s[:m[0]], s[m[1]+len("点"):]) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(cnValue(run))
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// clockContext says whether "一点" between before and after is a time of day.
func clockContext(before, after string) bool {
	if periodRe.MatchString(strings.TrimSpace(lastRunes(before, 2))) {
		return true
	}
	for _, p := range []string{"钟", "半", "多", "左右", "前", "后", "一刻", "三刻"} {
		if strings.HasPrefix(after, p) {
			return true
		}
	}
	return after != "" && (isDigit(after[0]) || strings.ContainsRune("零一二三四五六七八九十", []rune(after)[0]))
}

func lastRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[len(r)-n:]
	}
	return string(r)
}

// cnValue converts one run of Chinese numerals: 二十五 → 25, 十 → 10, 二〇二六 → 2026.
func cnValue(run string) string {
	r := []rune(run)
	if i := strings.IndexRune(run, '十'); i >= 0 && len(r) <= 3 {
		left, right := 1, 0
		parts := strings.SplitN(run, "十", 2)
		if parts[0] != "" {
			left = cnDigitOf[[]rune(parts[0])[0]]
		}
		if parts[1] != "" {
			right = cnDigitOf[[]rune(parts[1])[0]]
		}
		return strconv.Itoa(left*10 + right)
	}
	var b strings.Builder
	for _, c := range r {
		if c == '十' {
			continue
		}
		b.WriteString(strconv.Itoa(cnDigitOf[c]))
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
