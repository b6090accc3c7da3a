package flows

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/complaintbot/complaintbot/textnorm"
)

// normalize is a message as the engine reads it: half-width, simplified, with the flow file's
// rewrites applied ("yesterday" → 昨天) and emoji and other symbols turned into spaces, white space
// collapsed. What the customer wrote is kept with clean; this is only for understanding.
func (d *Definition) normalize(s string) string {
	s = englishDate(englishClock(textnorm.Simplified(textnorm.HalfWidth(s))))
	if u := d.u; u != nil {
		if u.asciiRewrite != nil {
			s = u.asciiRewrite.ReplaceAllStringFunc(s, func(m string) string {
				return " " + u.asciiTo[strings.Join(strings.Fields(strings.ToLower(m)), " ")] + " "
			})
		}
		s = u.otherRewrite.Replace(s)
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u200d' || r == '\ufe0f' || r == '\ufe0e':
			return -1
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || unicode.Is(unicode.Cs, r) || unicode.Is(unicode.Co, r):
			return ' '
		}
		return r
	}, s)
	return clean(s)
}

var (
	// ampmRe is an hour written the English way: "3am", "8:30 p.m.".
	ampmRe = regexp.MustCompile(`(?i)\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?`)
	// aboutHourRe is a bare hour after "at", "around", "about" ("this morning around 9"), or with
	// "o'clock".
	aboutHourRe = regexp.MustCompile(`(?i)\b(?:at|around|about|approximately|approx\.?)\s+(\d{1,2})(?::(\d{2}))?\b|\b(\d{1,2})\s*o'?clock\b`)
	// monthDayRe is a date written the English way: "Nov 15", "November 15th", "15 Nov", "15th of
	// November".
	monthDayRe = regexp.MustCompile(`(?i)\b(?:(` + monthNames + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + monthNames + `))\b\.?`)
	// countedRe follows a number that counts something rather than naming an hour.
	countedRe = regexp.MustCompile(`(?i)^\s*(?:[%.,\d]|yuan|rmb|kuai|dollars?|people|persons?|hours?|hrs?|minutes?|mins?|times|days?|weeks?|months?|years?|[元块万千百个次分秒小天周月年人点时:])`)
)

// monthNames are the English month names and their abbreviations, January first.
const monthNames = `jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?`

// englishDate writes English dates the way the time grammar reads them: "Nov 15" → 11月15日.
func englishDate(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	return monthDayRe.ReplaceAllStringFunc(s, func(m string) string {
		g := monthDayRe.FindStringSubmatch(m)
		name, day := g[1], g[2]
		if name == "" {
			name, day = g[4], g[3]
		}
		mo := monthOf(name)
		if mo == 0 {
			return m
		}
		return " " + strconv.Itoa(mo) + "月" + day + "日 "
	})
}

// monthOf numbers an English month name or abbreviation, 0 for none.
func monthOf(name string) int {
	l := strings.ToLower(name)
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(l, m) {
			return i + 1
		}
	}
	return 0
}

// englishClock writes the hours of English text the way the time grammar reads them: "3am" →
// 凌晨3点, "8:30pm" → 晚上8点30分, "around 9" → 9点. A number after "about" that counts something
// ("about 500 yuan") is left alone.
func englishClock(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	s = ampmRe.ReplaceAllStringFunc(s, func(m string) string {
		g := ampmRe.FindStringSubmatch(m)
		h, _ := strconv.Atoi(g[1])
		if h < 1 || h > 12 {
			return m
		}
		var period string
		switch pm := strings.EqualFold(g[3], "p"); {
		case !pm && h == 12:
			period, h = "凌晨", 0
		case !pm && h < 6:
			period = "凌晨"
		case !pm:
			period = "上午"
		case h == 12:
			period = "中午"
		case h < 6:
			period = "下午"
		default:
			period = "晚上"
		}
		return " " + period + clockWords(h, g[2]) + " "
	})
	var b strings.Builder
	last := 0
	for _, m := range aboutHourRe.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		last = m[1]
		switch {
		case m[6] >= 0: // "9 o'clock"
			b.WriteString(" " + clockWords(atoiOr(s[m[6]:m[7]]), "") + " ")
		case countedRe.MatchString(s[m[1]:]) || atoiOr(s[m[2]:m[3]]) > 23: // "about 5 people", "at 3点"
			b.WriteString(s[m[0]:m[1]])
		default:
			minutes := ""
			if m[4] >= 0 {
				minutes = s[m[4]:m[5]]
			}
			b.WriteString(" " + clockWords(atoiOr(s[m[2]:m[3]]), minutes) + " ")
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// clockWords writes an hour (and minutes) as 9点 or 9点30分.
func clockWords(h int, minutes string) string {
	if minutes == "" || minutes == "00" {
		return strconv.Itoa(h) + "点"
	}
	return strconv.Itoa(h) + "点" + minutes + "分"
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// clean is what the engine keeps of a message: the customer's own characters (full-width
// punctuation stays as typed), trimmed, with runs of white space (the ideographic space too)
// collapsed to one space. Matching goes through key, parsing through halfWidth.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// key is a message reduced for matching words: half-width, lower case, with no white space,
// punctuation or symbols. "  确认。" and "确 认！" both give "确认".
func key(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(textnorm.HalfWidth(s)) {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// runes counts characters the way a customer does: 你好 is two.
func runes(s string) int { return len([]rune(s)) }

// fill replaces {name} placeholders in a text; pairs are name, value, name, value, ...
func fill(tmpl string, pairs ...string) string {
	if len(pairs) == 0 {
		return tmpl
	}
	args := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		args = append(args, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(args...).Replace(tmpl)
}
