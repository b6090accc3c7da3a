package flows

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/complaintbot/complaintbot/textnorm"
)

// phoneRunRe is a run of digits with the separators people type inside phone numbers.
var phoneRunRe = regexp.MustCompile(`\+?\d[\d \-()（）]*\d`)

// parsePhone finds a mainland phone number in an answer and returns it normalised: a mobile as
// 11 digits ("13812345678"), a landline as area code, dash, number ("0571-88886666"). Full-width
// digits, spaces, dashes, brackets and +86/0086 are accepted.
func parsePhone(text string) (string, bool) {
	for _, run := range phoneRunRe.FindAllString(spokenDigits(textnorm.HalfWidth(text)), -1) {
		if p, ok := phoneDigits(run); ok {
			return p, true
		}
		// "2026-11-20 13812345678": try the pieces between spaces too.
		for _, piece := range strings.Fields(run) {
			if p, ok := phoneDigits(piece); ok {
				return p, true
			}
		}
	}
	return "", false
}

// withoutPhoneRuns blanks the phone numbers in a text, written in digits or read out in Chinese
// digits, in groups or not.
func withoutPhoneRuns(text string) string {
	s := spokenDigits(textnorm.HalfWidth(text))
	return phoneRunRe.ReplaceAllStringFunc(s, func(run string) string {
		if _, ok := phoneDigits(run); ok {
			return " "
		}
		return run
	})
}

// spokenDigits writes a long run of Chinese digits as digits ("幺三八一二三四五六七八", "一三九 五七一二
// 三四五六", as voice recognition writes a number read out in groups).
func spokenDigits(s string) string {
	return spokenRunRe.ReplaceAllStringFunc(s, func(run string) string {
		var b strings.Builder
		for _, r := range run {
			if d, ok := cnDigitOf[r]; ok {
				b.WriteString(strconv.Itoa(d))
			}
		}
		return b.String()
	})
}

// spokenRunRe is seven or more Chinese digits in a row, perhaps in groups apart by a space or a
// dash.
var spokenRunRe = regexp.MustCompile(`[零〇一二两三四五六七八九幺](?:[ \-]?[零〇一二两三四五六七八九幺]){6,}`)

// phoneDigits classifies one candidate.
func phoneDigits(s string) (string, bool) {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	plus := strings.HasPrefix(s, "+")
	switch {
	case strings.HasPrefix(d, "0086") && len(d) >= 14:
		d = d[4:]
	case strings.HasPrefix(d, "86") && (plus || len(d) == 13) && len(d) >= 12:
		d = d[2:]
		if d[0] != '0' && !(len(d) == 11 && d[0] == '1') {
			d = "0" + d // +86 571 88886666: the trunk 0 is dropped after the country code
		}
	}
	if len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' {
		return d, true
	}
	if len(d) < 10 || len(d) > 12 || d[0] != '0' || d[1] == '0' {
		return "", false
	}
	area := 4
	if d[1] == '1' || d[1] == '2' {
		area = 3 // 010, 020–029
	}
	local := d[area:]
	if len(local) < 7 || len(local) > 8 || local[0] == '0' || local[0] == '1' {
		return "", false
	}
	return d[:area] + "-" + local, true
}
