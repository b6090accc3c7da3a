package flows

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
)

// FieldOccurredPeriod is the Draft.Fields key that keeps the part of the day ("下午") when the
// customer gave a date and a part of the day but no hour; Draft.OccurredAt then holds a
// representative hour (下午 → 15:00) and read-backs show "2026年11月27日下午". With
// complaintbot.OccurredPartOfMonth it keeps the part of the month instead (上旬, 中旬, 下旬; 月初 is
// 上旬 and 月底 下旬).
const FieldOccurredPeriod = "occurred_period"

// when is a moment (or a period) a customer named.
type when struct {
	t         time.Time // Asia/Shanghai; the start of the period for an approximate time
	clock     bool      // an hour was given (or "刚才")
	period    string    // the part of the day when no hour was given; the part of the month
	dated     bool      // a date was given, not just a time of today
	precision string    // complaintbot.OccurredExact, OccurredWeek, ... OccurredUnknown
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
			`|(上上个?|上个?|这个?|本)?\s*(?:周|星期|礼拜)\s*([1-7日天])` + // 7-8 week day
			`|(上上个?月|上个?月|这个?月|本月)\s*(\d{1,2})\s*[日号]?` + // 9-10 a day of a month named relatively
			`|(\d{1,2})\s*[./]\s*(\d{1,2})` + // 11-12 m.d, m/d
			`|(\d{1,2})\s*[日号]`) // 13 day of this month (answers only)
	// approxRe is a time named only approximately: a month (and its part), a week, the last few
	// days, a year.
	approxRe = regexp.MustCompile(
		`(去年|前年|今年)?\s*(上上个?月|上个?月|这个?月|本月|(\d{1,2})\s*月份?)\s*(上旬|中旬|下旬|初|底|末|中)?` + // 1-4 month
			`|(上上个?|上个?|这个?|本)\s*(?:周|星期|礼拜)` + // 5 week
			`|(最近\s*(?:1\s*)?个?\s*月|近\s*1\s*个?\s*月|这\s*1\s*个?\s*月|(?:最近|近|这)\s*[2-4]\s*个?\s*(?:星期|礼拜|周)|(?:最近|近|这)\s*(?:[89]|[1-3]\d)\s*天)` + // 6 recent month (and 2-4 weeks, 8-39 days: the 30 days)
			`|(最近\s*(?:1\s*)?个?\s*(?:星期|礼拜|周)|(?:最近|近)\s*[2-7]\s*天|近\s*1\s*(?:周|星期)|这\s*1\s*个?\s*(?:星期|礼拜|周)|好几天|几天了|这几天|前几天|最近几天|这\s*2\s*天|前\s*2\s*天|近几天|前些天|最近)` + // 7 recent days
			`|(去年|前年|今年)`) // 8 year
	// clockRangeRe is the end of a range of hours after an hour ("九点到下午五点"): opening hours.
	clockRangeRe = regexp.MustCompile(`^\s*(?:到|至|-|—|~)\s*(?:凌晨|早上|上午|中午|下午|晚上)?\s*\d{1,2}\s*[点:时]`)
	// yearMonthRe is a month with its year and no day ("2024年6月", "2024年6月份").
	yearMonthRe = regexp.MustCompile(`(\d{4})\s*年\s*(\d{1,2})\s*月份?(?:[^\d日号]|$)`)
	// agoRe is a time counted back from today: "3天前", "半个月前", "两周前", "1年前", and how long
	// something has gone on, counted ("申请房贷一个多月了": since a month ago; not "好几个月了").
	agoRe     = regexp.MustCompile(`(\d{1,2}|半|几)\s*个?\s*多?\s*(半)?\s*(天|日|周|星期|礼拜|月|年)\s*多?\s*(?:之前|以前|前)|(\d{1,2}|半)\s*个?\s*多?\s*(半)?\s*(天|日|周|星期|礼拜|月|年)\s*多?\s*了`)
	clockRe   = regexp.MustCompile(`(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜)?\s*(\d{1,2})\s*(?::\s*(\d{2})|[点时](?:\s*(半)|\s*([123])\s*刻|\s*(\d{1,2})\s*分?)?)`)
	periodRe  = regexp.MustCompile(`凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜`)
	cnRunRe   = regexp.MustCompile(`[零〇一二两三四五六七八九十幺]+`)
	cnDigitOf = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9, '幺': 1}
)

// periodHour is the representative hour of a part of the day.
var periodHour = map[string]int{
	"凌晨": 3, "早上": 8, "早晨": 8, "上午": 10, "中午": 12, "下午": 15, "傍晚": 18,
	"晚上": 20, "夜里": 22, "夜间": 22, "半夜": 0,
}

// parseWhen reads an answer to "when did it happen?" relative to now: "昨天下午3点", "今天上午10点半",
// "11月20日", "11.20", "2026-11-20 15:00", "上周五", "前天", "刚才", "下午3点"; approximately:
// "上个月", "11月中旬", "上周", "最近一个星期", "去年"; or not at all: "不知道", "记不清了" (an unknown
// time is an answer). A moment in the future, a date that does not exist, or one more than five
// years back is refused.
func (d *Definition) parseWhen(text string, now time.Time) (when, dateProblem) {
	return d.scanWhen(text, now, false)
}

// findWhen looks for a moment inside a story; it wants a date, a part of the day or a named
// period, so that "好一点" or "3号窗口" is not read as a time; "时间记不清了" is an unknown time.
// Only acceptable moments are returned.
func (d *Definition) findWhen(text string, now time.Time) (when, bool) {
	w, p := d.scanWhen(text, now, true)
	return w, p == dateOK
}

// bareMonthPart is a part of the month named with no month ("月初", "月底"): this month's.
var bareMonthPart = regexp.MustCompile(`(^|[^\d上这本个年])月(初|底|末)`)

func (d *Definition) scanWhen(text string, now time.Time, story bool) (when, dateProblem) {
	if d.u != nil {
		text = d.u.notTime.strip(text) // "这周一直这样": this week, not Monday
	}
	s := cnNumerals(textnorm.HalfWidth(text))
	now = now.In(complaintbot.Shanghai)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, complaintbot.Shanghai)
	if d.u != nil {
		s = d.u.referBack.strip(s) // "接着刚才的": the conversation, not the time
	}
	s = bareMonthPart.ReplaceAllString(s, "${1}这个月$2") // "从月初开始": this month's
	w := when{t: today}
	rest := s
	dateEnd := -1 // where the date found ends in rest
	dates := dateRe.FindAllStringSubmatchIndex(s, -1)
	for i, m := range dates {
		if m[0] > 0 && isDigit(s[m[0]-1]) && isDigit(s[m[0]]) { // ("尾号5129上周三": a weekday after a number is one)
			continue
		}
		if m[12] >= 0 && s[m[12]:m[13]] == "后天" && m[0] > 0 && strings.ContainsAny(lastRunes(s[:m[0]], 1), "之以然过最") {
			continue // "之后天天有人打电话": after that, every day
		}
		if (m[16] >= 0 || m[26] >= 0) && orNext(s[m[1]:]) {
			if nx := i + 1; nx < len(dates) && dates[nx][16] >= 0 && dates[nx][0]-m[1] <= len("还是 ") {
				// "这周三还是周四来着": one of two days, the week they fall in.
				day, _, ok := dateOf(s, dates[nx], now, today)
				if ok {
					return when{t: day.AddDate(0, 0, 1-isoWeekday(day)), dated: true, precision: complaintbot.OccurredWeek}, dateOK
				}
			}
		}
		if justNow(s, m) && i+1 < len(dates) {
			continue // "刚才太激动了，…昨天晚上九点": 刚才 is seldom the event when another day is named
		}
		if m[26] >= 0 && ((story && !d.dayFollows(s[m[1]:])) || numberedThing(s[m[1]:])) {
			continue // a bare "5号" in a story is more often a counter than a date; "2号线" is a line
		}
		if m[22] >= 0 && !dotDate(s, m) {
			continue // "3.5万", "1/2"
		}
		if m[16] >= 0 && m[14] < 0 && d.openingHours(s[m[1]:]) {
			continue // "周六到底开不开门", "写的周六9点到17点营业": the opening hours, not a day it happened
		}
		if m[16] >= 0 && m[14] < 0 && prefixedWeekdayIn(dates[i+1:]) {
			continue // "写着周六正常营业，我上周六…", "不是周五，是上周四": the week named decides
		}
		if m[16] >= 0 && m[14] < 0 && duration(s[:m[0]]) {
			continue // "一个星期天天都打": a week long, not a Sunday
		}
		if m[16] >= 0 && (s[m[16]:m[17]] == "天" || s[m[16]:m[17]] == "日") && strings.HasPrefix(s[m[1]:], "天") {
			continue // "这个礼拜天天打": every day of this week (the week, read below), not its Sunday
		}
		if (m[26] >= 0 || m[8] >= 0) && d.u != nil && d.u.dontKnow.in(key(s)) && approxAfter(s[m[1]:]) {
			if a, p, ok := approxOf(s, now, today, story); ok && p == dateOK && a.precision == complaintbot.OccurredPartOfMonth {
				// "这个月中旬的事，具体哪天忘了，十五号左右吧": the part of the month is what the
				// customer knows; the day is a guess.
				return a, p
			}
		}
		if m[0] > 0 && d.u != nil && !yearAttached(s[:m[0]]) && ((story && !d.laterEvent(s, m)) || d.u.discovery.in(key(s[m[1]:]))) {
			// (In an answer too when the day is when it was found out: "上个月扣的 今天看账单才发现".)
			if a, p, ok := approxOf(s[:m[0]], now, today, story); ok && p == dateOK &&
				(a.precision == complaintbot.OccurredMonth || a.precision == complaintbot.OccurredYear || a.period != "") {
				// "上个月在营业部存钱……今儿个俺孙子一看": a story names its event's time first; a
				// day named after it is when something later happened.
				return a, p
			}
		}
		day, period, ok := dateOf(s, m, now, today)
		if !ok {
			return w, dateBadDay
		}
		if period == "刚才" {
			if !clockRe.MatchString(s[:m[0]] + " " + s[m[1]:]) {
				return when{t: now.Truncate(time.Minute), clock: true, dated: true}, dateOK
			}
			day, period = today, "" // "刚才九点半": today, at the hour given
		}
		w.t, w.period, w.dated = day, period, true
		end := len(s)
		if i+1 < len(dates) && dates[i+1][0]-m[1] > len(" ") { // ("昨天礼拜天下午" is one time)
			// "从本周一开始…周二下午那个…": the part of the day or the hour said with a later day is
			// that day's, not the event's (the same day named again is the same time: "昨天…昨天上午").
			if next, _, ok := dateOf(s, dates[i+1], now, today); !ok || !sameDay(next, day) {
				end = dates[i+1][0]
			}
		}
		rest = s[:m[0]] + " " + s[m[1]:end]
		dateEnd = m[0] + 1
		break
	}
	if !w.dated {
		if a, at, ok := agoOf(s, today); ok {
			if a.precision != complaintbot.OccurredExact {
				return a, a.check(now, today)
			}
			w, rest = a, s[:at[0]]+" "+s[at[1]:] // "3天前下午": the day; the part of the day or the hour below
		}
	}
	if !w.dated {
		if a, p, ok := approxOf(s, now, today, story); ok {
			return a, p
		}
	}
	clockFound := false
	if story && w.dated && w.period == "" && dateEnd >= 0 {
		// "11月21日上午我到…，最后下午三点才取到钱": the part of the day said with the date is
		// the event's; a later hour in the story is something else.
		after := strings.TrimLeft(rest[dateEnd:], " ")
		if p := periodRe.FindString(after); p != "" && strings.HasPrefix(after, p) {
			if c := clockRe.FindStringIndex(after); c == nil || c[0] != 0 {
				w.period, rest = p, ""
			}
		}
	}
	for _, m := range clockRe.FindAllStringSubmatchIndex(rest, -1) {
		if m[4] > 0 && isDigit(rest[m[4]-1]) {
			continue
		}
		if story && m[2] < 0 && !w.dated {
			continue // a bare "1点" in a story is not enough
		}
		if clockRangeRe.MatchString(rest[m[1]:]) {
			continue // "上午九点到下午五点营业": opening hours, not when it happened
		}
		if w.dated && d.u != nil && d.u.habit.in(lastRunes(rest[:m[0]], 6)) {
			continue // "从十号开始的……有时候晚上十点多还打": the day, not an hour that recurs
		}
		h, mi, nextDay, ok := clockOf(rest, m, w.period)
		if !ok {
			if story {
				continue
			}
			return w, dateMissing
		}
		w.t = w.t.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute)
		if m[2] < 0 && w.period == "" && h >= 1 && h < 12 && w.t.Equal(today.Add(time.Duration(h)*time.Hour+time.Duration(mi)*time.Minute)) &&
			!w.t.Add(12*time.Hour).After(now) {
			w.t = w.t.Add(12 * time.Hour) // "十一点左右" said at 23:40 today: the last eleven o'clock, not the morning's
		}
		if nextDay && w.dated {
			w.t = w.t.AddDate(0, 0, 1) // "昨晚2点", "11月20日夜里1点": the small hours after that evening
		}
		w.clock, w.period, clockFound = true, "", true
		break
	}
	if !clockFound && w.period == "" {
		for _, m := range periodRe.FindAllStringIndex(rest, -1) {
			if w.dated && d.u != nil && d.u.habit.in(lastRunes(rest[:m[0]], 6)) {
				continue // "有时候晚上还打": a part of the day that recurs
			}
			w.period = rest[m[0]:m[1]]
			break
		}
	}
	if !w.dated && !clockFound && w.period == "" {
		if d.unknownTime(text, story) {
			return when{precision: complaintbot.OccurredUnknown}, dateOK
		}
		return w, dateMissing
	}
	if !clockFound && w.period != "" {
		w.t = w.t.Add(time.Duration(periodHour[w.period]) * time.Hour)
	}
	return w, w.check(now, today)
}

// prefixedWeekdayIn reports whether one of the date matches is a weekday with its week named
// ("上周四", "这个礼拜三").
func prefixedWeekdayIn(dates [][]int) bool {
	for _, m := range dates {
		if m[16] >= 0 && m[14] >= 0 {
			return true
		}
	}
	return false
}

// keepPartOfDay is w with the part of the day the draft's time holds when w names only another day
// ("昨天下午", then "不对，是前天"): the afternoon of the day before.
func (t *turn) keepPartOfDay(w when) when {
	d := t.st.Draft
	if !t.st.Answered(fieldOccurredAt) || d.OccurredAt == nil || d.OccurredPrecision != complaintbot.OccurredExact ||
		!w.dated || w.clock || w.period != "" || w.precision != complaintbot.OccurredExact {
		return w
	}
	day, held := w.t.In(complaintbot.Shanghai), d.OccurredAt.In(complaintbot.Shanghai)
	switch old := d.Fields[FieldOccurredPeriod]; {
	case old != "":
		w.t = time.Date(day.Year(), day.Month(), day.Day(), periodHour[old], 0, 0, 0, complaintbot.Shanghai)
		w.period = old
	case held.Hour() != 0 || held.Minute() != 0:
		// "上周五下午两点多", then "不是周五，是上周四": Thursday at two.
		w.t = time.Date(day.Year(), day.Month(), day.Day(), held.Hour(), held.Minute(), 0, 0, complaintbot.Shanghai)
		w.clock = true
	}
	return w
}

// dayFollows reports whether after, the text right after a bare "N号" in a story, makes it a day
// of the month ("15号就发了", "20号那天").
func (d *Definition) dayFollows(after string) bool {
	if d.u == nil {
		return false
	}
	after = strings.TrimLeft(after, " ")
	for _, w := range d.u.dayWords {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	return false
}

// numberedThing reports whether what follows a bare "N号" makes it the number of a thing, not a day
// ("2号线", "3号楼", "5号窗口", "1号机").
func numberedThing(after string) bool {
	for _, w := range []string{"线", "楼", "窗", "柜", "机", "门", "口", "台", "车厢", "房", "位"} {
		if strings.HasPrefix(after, w) {
			return true
		}
	}
	return false
}

// justNow reports whether a dateRe match is 刚才 (or 刚刚, 方才).
func justNow(s string, m []int) bool {
	if m[12] < 0 {
		return false
	}
	switch s[m[12]:m[13]] {
	case "刚才", "刚刚", "方才":
		return true
	}
	return false
}

// check refuses a moment in the future or too long ago.
func (w when) check(now, today time.Time) dateProblem {
	switch {
	case (w.clock || w.period != "") && w.precision == "" && w.t.After(now.Add(time.Minute)):
		return dateFuture
	case w.t.After(now) && w.t.Sub(today) >= 24*time.Hour:
		return dateFuture
	case w.t.Before(now.AddDate(-maxAgeYears, 0, 0)):
		return dateTooOld
	}
	return dateOK
}

// unknownTime reports whether a message says the customer does not know when: a short answer
// with a "don't know" word, or (in a story, or a long answer) a clause with both a "don't know"
// word and a word for the time; "我都不知道他借钱的时候填了我的电话" is more of the story.
func (d *Definition) unknownTime(text string, story bool) bool {
	if d.u == nil {
		return false
	}
	if !story && d.u.dontKnow.in(key(text)) && d.content(d.normalize(text)) < 2*d.file.Understanding.StoryContent {
		return true
	}
	for _, c := range clauses(text) {
		if k := key(c); d.u.dontKnow.in(k) && d.u.timeWords.in(k) {
			return true
		}
	}
	return false
}

// dotDate accepts "11.20" or "11/20" as a date only when it is not a number of something.
func dotDate(s string, m []int) bool {
	if m[0] > 0 && (isDigit(s[m[0]-1]) || s[m[0]-1] == '.') {
		return false
	}
	after := s[m[1]:]
	if after != "" && (isDigit(after[0]) || after[0] == '.' || after[0] == '%') {
		return false
	}
	for _, unit := range []string{"元", "块", "万", "千", "倍", "公", "米", "斤", "折", "个"} {
		if strings.HasPrefix(strings.TrimSpace(after), unit) {
			return false
		}
	}
	return true
}

// laterEvent reports whether the day a story names at m, after a time named approximately before
// it, is the event's: it is recent (this week or last, yesterday…) and the story tells no finding
// out ("才发现", "一看才"): "去年在你们人民路支行办的房贷，上周三去…要交违约金", "母亲去年中风…上周六上午
// 我…去", not "上个月在营业部存钱……今儿个俺孙子一看才知道".
func (d *Definition) laterEvent(s string, m []int) bool {
	if d.u.discovery.in(key(s)) {
		return false
	}
	if m[12] >= 0 {
		rel := s[m[12]:m[13]] // 昨天, 前天 … (today is more often when it was found out: "今儿个俺孙子一看")
		return !strings.HasPrefix(rel, "今") && !strings.HasPrefix(rel, "刚") && rel != "方才"
	}
	return m[14] >= 0 // 上周三, 这个礼拜一
}

// openingHours reports whether the text right after a bare weekday tells opening hours
// (understanding.opening_hours_words: "营业", "开不开门").
func (d *Definition) openingHours(after string) bool {
	return d.u != nil && d.u.openingHours.in(key(firstRunes(after, 15)))
}

// yearBefore reads the year a text right before a date names ("去年3月12号": one year back; 今年: 0);
// named is false when it names none.
func yearBefore(before string) (back int, named bool) {
	b := strings.TrimRight(before, " ")
	for word, n := range map[string]int{"今年": 0, "去年": 1, "前年": 2} {
		if strings.HasSuffix(b, word) {
			return n, true
		}
	}
	return 0, false
}

// yearAttached reports whether the text before a date ends with the year it is in ("去年3月12号"):
// one time, not a time named before the day.
func yearAttached(before string) bool {
	_, named := yearBefore(before)
	return named
}

// orNext reports whether the text after a day offers another ("还是周四", "或者周四").
func orNext(after string) bool {
	after = strings.TrimLeft(after, " ")
	return strings.HasPrefix(after, "还是") || strings.HasPrefix(after, "或者") || strings.HasPrefix(after, "或")
}

// approxAfter reports whether the text after a day says it is a guess ("左右", "前后").
func approxAfter(after string) bool {
	after = strings.TrimLeft(after, " ")
	return strings.HasPrefix(after, "左右") || strings.HasPrefix(after, "前后")
}

// duration reports whether the text before "星期…" makes it a length of time ("1个", "几个", "每个").
func duration(before string) bool {
	b := strings.TrimRight(before, " ")
	return strings.HasSuffix(b, "个") || strings.HasSuffix(b, "几") || (b != "" && isDigit(b[len(b)-1]))
}

// approxOf reads a time named only approximately.
func approxOf(s string, now, today time.Time, story bool) (when, dateProblem, bool) {
	if ym := yearMonthRe.FindStringSubmatch(s); ym != nil {
		// "2024年6月": the month of the year named.
		y, _ := strconv.Atoi(ym[1])
		mo, _ := strconv.Atoi(ym[2])
		if mo < 1 || mo > 12 {
			return when{}, dateBadDay, true
		}
		w := when{dated: true, precision: complaintbot.OccurredMonth, t: time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, complaintbot.Shanghai)}
		return w, w.check(now, today), true
	}
	all := approxRe.FindAllStringSubmatchIndex(s, -1)
	if all == nil {
		return when{}, dateOK, false
	}
	m := all[0]
	if len(all) > 1 && strings.TrimSpace(s[m[0]:m[1]]) == "今年" {
		m = all[1] // "我今年刷了二十多次，这个月上旬还是被扣了": this year is no time of the event
	}
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	w := when{dated: true}
	monday := today.AddDate(0, 0, 1-isoWeekday(today))
	switch {
	case group(2) != "":
		y, mo := now.Year(), int(now.Month())
		switch g := group(2); {
		case strings.HasPrefix(g, "上上"):
			mo -= 2
		case strings.HasPrefix(g, "上"):
			mo--
		case group(3) != "":
			mo, _ = strconv.Atoi(group(3))
			if mo < 1 || mo > 12 {
				return when{}, dateBadDay, true
			}
			switch group(1) {
			case "去年":
				y--
			case "前年":
				y -= 2
			case "":
				if mo > int(now.Month()) {
					y--
				}
			}
		}
		day := 1
		w.precision = complaintbot.OccurredMonth
		switch part := group(4); part {
		case "上旬", "初":
			w.precision, w.period = complaintbot.OccurredPartOfMonth, "上旬" // 月初 is its first ten days
		case "中旬", "中":
			w.precision, w.period, day = complaintbot.OccurredPartOfMonth, "中旬", 11
		case "下旬":
			w.precision, w.period, day = complaintbot.OccurredPartOfMonth, part, 21
		case "底", "末":
			w.precision, w.period, day = complaintbot.OccurredPartOfMonth, "下旬", 21 // 月底 is its last ten days
		}
		w.t = time.Date(y, time.Month(mo), day, 0, 0, 0, 0, complaintbot.Shanghai)
	case group(5) != "":
		w.precision, w.t = complaintbot.OccurredWeek, monday
		switch p := group(5); {
		case strings.HasPrefix(p, "上上"):
			w.t = monday.AddDate(0, 0, -14)
		case strings.HasPrefix(p, "上"):
			w.t = monday.AddDate(0, 0, -7)
		}
	case group(6) != "":
		w.precision, w.t = complaintbot.OccurredThirtyDays, today.AddDate(0, 0, -29)
	case group(7) != "":
		if story && group(7) == "最近" {
			return when{}, dateOK, false
		}
		w.precision, w.t = complaintbot.OccurredWeek, today.AddDate(0, 0, -6)
	default:
		y := now.Year()
		switch group(8) {
		case "去年":
			y--
		case "前年":
			y -= 2
		default:
			if story {
				return when{}, dateOK, false
			}
		}
		w.precision, w.t = complaintbot.OccurredYear, time.Date(y, 1, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	}
	return w, w.check(now, today), true
}

// isoWeekday numbers the days of the week from Monday (1) to Sunday (7).
func isoWeekday(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
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
	// monthDay is a month and day without a year: this year's, or last year's if that is still to
	// come; "去年12月5日" says the year.
	monthDay := func(mo, d int) (time.Time, string, bool) {
		y := now.Year()
		back, named := yearBefore(s[:m[0]])
		if named && back > 0 {
			return mkDate(y-back, mo, d)
		}
		t, _, ok := mkDate(y, mo, d)
		if ok && t.After(today) && !named {
			t, _, ok = mkDate(y-1, mo, d)
		}
		return t, "", ok
	}
	switch {
	case group(1) != "":
		return mkDate(num(1), num(2), num(3))
	case group(4) != "":
		return monthDay(num(4), num(5))
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
		monday := today.AddDate(0, 0, 1-isoWeekday(today))
		d := monday.AddDate(0, 0, wd-1)
		switch p := group(7); {
		case strings.HasPrefix(p, "上上"):
			d = d.AddDate(0, 0, -14)
		case strings.HasPrefix(p, "上"):
			d = d.AddDate(0, 0, -7)
		case p == "":
			if d.After(today) {
				d = d.AddDate(0, 0, -7)
			}
		}
		return d, "", true
	case group(9) != "":
		mo := int(now.Month())
		switch p := group(9); {
		case strings.HasPrefix(p, "上上"):
			mo -= 2
		case strings.HasPrefix(p, "上"):
			mo--
		}
		y := now.Year()
		if mo < 1 {
			y, mo = y-1, mo+12
		}
		return mkDate(y, mo, num(10))
	case group(11) != "":
		return monthDay(num(11), num(12))
	default:
		d, _, ok := mkDate(now.Year(), int(now.Month()), num(13))
		if ok && d.After(today) {
			d, _, ok = mkDate(now.Year(), int(now.Month())-1, num(13))
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
// (昨晚8点 is 20:00). nextDay says the hour is in the small hours after the evening named
// (昨晚2点, 昨晚凌晨3点, 昨天半夜1点).
func clockOf(s string, m []int, datePeriod string) (hour, minute int, nextDay, ok bool) {
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	own := group(1)
	period := own
	if period == "" {
		period = datePeriod
	}
	evening := datePeriod == "晚上" || datePeriod == "夜里" || datePeriod == "夜间" || datePeriod == "半夜"
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
	case "下午", "傍晚":
		if hour < 12 {
			hour += 12
		}
	case "晚上", "夜里", "夜间":
		switch {
		case hour == 12:
			hour, nextDay = 0, true
		case hour < 5:
			nextDay = true
		case hour < 12:
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
		nextDay = hour < 6 && (period == "半夜" || (own == "凌晨" && evening))
	}
	return hour, minute, nextDay, hour <= 23 && minute <= 59
}

// agoOf reads a time counted back from today ("3天前", "半个月前", "两周前", "几天前", "1年前"): a
// number of days is that day; weeks, months and years are the week (Monday to Sunday), month or
// year it falls in; half a month is fifteen days. A count of days wins over a longer one in the
// same text. at is where it was found; ok is false when the text has none.
func agoOf(s string, today time.Time) (w when, at []int, ok bool) {
	all := agoRe.FindAllStringSubmatchIndex(s, -1)
	if len(all) == 0 {
		return when{}, nil, false
	}
	for i, a := range all {
		if a[2] < 0 { // the second form ("…了"): its groups moved to the first's places
			all[i] = append(a[:2:2], a[8:]...)
		}
	}
	at = all[0]
	for _, a := range all {
		if u := s[a[6]:a[7]]; u == "天" || u == "日" {
			at = a
			break
		}
	}
	m := make([]string, 4)
	for i := range m {
		if at[2*i] >= 0 {
			m[i] = s[at[2*i]:at[2*i+1]]
		}
	}
	n, half := 0, m[2] != "" // "1个半月前"
	switch m[1] {
	case "半":
		half = true
	case "几":
		n = -1
	default:
		n, _ = strconv.Atoi(m[1])
	}
	w = when{dated: true}
	switch unit := m[3]; {
	case unit == "天" || unit == "日":
		if n < 0 {
			w.precision, w.t = complaintbot.OccurredWeek, today.AddDate(0, 0, -6)
			break
		}
		w.t = today.AddDate(0, 0, -n)
	case unit == "月" && half && n <= 0:
		w.t = today.AddDate(0, 0, -15)
	case unit == "月":
		if n < 0 {
			return when{}, nil, false
		}
		t := today.AddDate(0, -n, 0)
		if half {
			t = t.AddDate(0, 0, -15)
		}
		w.precision, w.t = complaintbot.OccurredMonth, time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai)
	case unit == "年":
		switch {
		case n < 0:
			return when{}, nil, false
		case half && n == 0:
			t := today.AddDate(0, -6, 0)
			w.precision, w.t = complaintbot.OccurredMonth, time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai)
		default:
			w.precision, w.t = complaintbot.OccurredYear, time.Date(today.Year()-n, 1, 1, 0, 0, 0, 0, complaintbot.Shanghai)
		}
	default: // weeks
		if n < 0 {
			w.precision, w.t = complaintbot.OccurredThirtyDays, today.AddDate(0, 0, -29)
			break
		}
		days := 7 * n
		if half {
			days += 3
		}
		day := today.AddDate(0, 0, -days)
		w.precision, w.t = complaintbot.OccurredWeek, day.AddDate(0, 0, 1-isoWeekday(day))
	}
	return w, at[:2], true
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

// formatOccurred renders the time of a draft for the customer, by its precision: "2026年11月27日
// 15:00", "2026年11月中旬", "2026年10月", "2026年11月16日至11月22日之间", "记不清了".
func (d *Definition) formatOccurred(at *time.Time, precision, period string) string {
	m := &d.file.Understanding.Messages
	if precision == complaintbot.OccurredUnknown {
		return m.WhenUnknown
	}
	if at == nil {
		return ""
	}
	t := at.In(complaintbot.Shanghai)
	month := strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月"
	switch precision {
	case complaintbot.OccurredWeek, complaintbot.OccurredThirtyDays:
		end := t.AddDate(0, 0, 6)
		if precision == complaintbot.OccurredThirtyDays {
			end = t.AddDate(0, 0, 29)
		}
		to := strconv.Itoa(int(end.Month())) + "月" + strconv.Itoa(end.Day()) + "日"
		if end.Year() != t.Year() {
			to = formatDate(end)
		}
		return fill(m.WhenSpan, "from", formatDate(t), "to", to)
	case complaintbot.OccurredPartOfMonth:
		return month + period
	case complaintbot.OccurredMonth:
		return month
	case complaintbot.OccurredYear:
		return strconv.Itoa(t.Year()) + "年"
	}
	return formatWhen(t, period)
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

// refinesWhen reports whether a moment makes the draft's approximate time precise: a day (with or
// without the hour) inside the month, the part of the month, the week or the year held, an hour in
// the part of the day read from the story, or any time, a period too, when the time was unknown
// ("这个月" in the story, then "扣钱是这个月五号").
func (t *turn) refinesWhen(w when) bool {
	d := t.st.Draft
	if t.st.Answered(fieldOccurredAt) && d.OccurredPrecision == complaintbot.OccurredUnknown && w.precision != complaintbot.OccurredUnknown {
		return true // "不知道", then "从上周开始打的": a period is more than nothing
	}
	if t.st.Answered(fieldOccurredAt) && d.OccurredAt != nil && d.OccurredPrecision == complaintbot.OccurredMonth &&
		w.precision == complaintbot.OccurredPartOfMonth && w.t.Year() == d.OccurredAt.Year() && w.t.Month() == d.OccurredAt.Month() {
		return true // "这个月开始…", then "从月初开始的吧": the part of that month
	}
	if !t.st.Answered(fieldOccurredAt) || w.precision != complaintbot.OccurredExact || !w.dated {
		return false
	}
	if d.OccurredAt == nil {
		return false
	}
	old := d.OccurredAt.In(complaintbot.Shanghai)
	nw := w.t.In(complaintbot.Shanghai)
	if d.OccurredPrecision == complaintbot.OccurredExact && d.Fields[FieldOccurredPeriod] != "" {
		// "昨天下午" in the story, then "三点多钟": the hour in that part of that day.
		return w.clock && sameDay(old, nw)
	}
	switch d.OccurredPrecision {
	case complaintbot.OccurredMonth, complaintbot.OccurredPartOfMonth:
		return old.Year() == nw.Year() && old.Month() == nw.Month()
	case complaintbot.OccurredYear:
		return old.Year() == nw.Year()
	case complaintbot.OccurredWeek:
		if slices.Contains(d.Prefilled, fieldOccurredAt) {
			// "前几天" guessed from the story, then "这个月20号扣的": a day named is the event's,
			// also a little before the seven days the words were read as.
			old = old.AddDate(0, 0, -7)
		}
		return !nw.Before(old) && nw.Before(d.OccurredAt.In(complaintbot.Shanghai).AddDate(0, 0, 7))
	}
	return false
}

// sameDayOtherPart reports whether w names the day held with another part of the day or hour
// ("就是昨天下午" after "…弄到晚上" in the story): the customer puts the time right.
func (t *turn) sameDayOtherPart(w when) bool {
	d := t.st.Draft
	if !t.st.Answered(fieldOccurredAt) || d.OccurredAt == nil || d.OccurredPrecision != complaintbot.OccurredExact ||
		w.precision != complaintbot.OccurredExact || !w.dated || (w.period == "" && !w.clock) {
		return false
	}
	return sameDay(d.OccurredAt.In(complaintbot.Shanghai), w.t.In(complaintbot.Shanghai)) && !d.OccurredAt.Equal(w.t)
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// periodHours are the hours (from, to: to not included) a part of the day holds, for an hour said
// on its own after the part of the day was ("昨天下午", then "三点多钟").
var periodHours = map[string][2]int{
	"凌晨": {0, 6}, "早上": {5, 10}, "早晨": {5, 10}, "上午": {7, 12}, "中午": {11, 14}, "下午": {12, 19}, "傍晚": {16, 20},
	"晚上": {18, 24}, "夜里": {20, 24}, "夜间": {20, 24}, "半夜": {0, 4},
}

// clockInPeriod reads an hour said on its own ("三点多钟") as the hour of the draft's time when
// that was read from the story (not given as the answer to the time question) as a day with a
// part of the day and no hour ("昨天下午"), and the hour falls in that part; ok false otherwise.
func (t *turn) clockInPeriod(n string) (when, bool) {
	d := t.st.Draft
	if d == nil || d.OccurredAt == nil || d.OccurredPrecision != complaintbot.OccurredExact || slices.Contains(t.st.History, fieldOccurredAt) {
		return when{}, false // a time the customer gave as the answer stands ("前天早上", then "都九点十分了")
	}
	period := d.Fields[FieldOccurredPeriod]
	held := d.OccurredAt.In(complaintbot.Shanghai)
	dayOnly := period == "" && held.Hour() == 0 && held.Minute() == 0 // "昨天", then "大概下午三点半"
	hours, ok := periodHours[period]
	if !ok && !dayOnly {
		return when{}, false
	}
	s := cnNumerals(textnorm.HalfWidth(t.d.u.notTime.strip(n))) // "三点水那个汪": no three o'clock
	for _, m := range clockRe.FindAllStringSubmatchIndex(s, -1) {
		if m[4] > 0 && isDigit(s[m[4]-1]) {
			continue
		}
		if dayOnly {
			if m[2] < 0 {
				continue // a bare hour with only the day held: which part of it is not known
			}
		} else if m[2] >= 0 && s[m[2]:m[3]] != period {
			continue // another part of the day: another moment
		}
		p := period
		if dayOnly {
			p = s[m[2]:m[3]]
		}
		h, mi, nextDay, ok := clockOf(s, m, p)
		if !ok || nextDay || (!dayOnly && (h < hours[0] || h >= hours[1])) {
			continue
		}
		day := d.OccurredAt.In(complaintbot.Shanghai)
		at := time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, complaintbot.Shanghai)
		if at.After(t.now) {
			continue
		}
		return when{t: at, clock: true, dated: true}, true
	}
	return when{}, false
}
