package flows

import (
	"regexp"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
)

// command is a word the customer may say at any point.
type command int

const (
	cmdNone command = iota
	cmdCancel
	cmdBack
	cmdAgent
	cmdHelp
	cmdSkip
	cmdConfirm
	cmdResume
	cmdRestart
	cmdProgress
	cmdGreeting
)

// Menu actions other than the kinds.
const (
	menuProgress = "progress"
	menuAgent    = "agent"
)

// command returns the command a whole message is, or cmdNone. A message made only of
// punctuation ("？") asks for help.
func (d *Definition) command(text string) command {
	k := key(text)
	if k == "" {
		if strings.TrimSpace(text) != "" {
			return cmdHelp
		}
		return cmdNone
	}
	if cmd, ok := d.commands[k]; ok {
		return cmd
	}
	if d.u != nil {
		for _, w := range d.u.asking {
			if rest, ok := strings.CutPrefix(k, w); ok {
				if cmd, ok := d.commands[rest]; ok {
					return cmd // "我要找人工", "帮我转人工"
				}
			}
		}
	}
	if d.u != nil && onlyWith(k, d.cancels, d.u.polite) {
		return cmdCancel // "算了不投诉了", "不填了取消吧": only words for cancelling
	}
	return cmdNone
}

// caseNumberRe finds a case number, tolerant of case, spaces and a missing dash.
var caseNumberRe = regexp.MustCompile(`(?i)\b(TS|JY|BY)\s*(\d{8})\s*-?\s*(\d{4,})\b`)

// caseQuery returns the case number a message asks about: "查询 TS20261128-0007", "进度TS…" or a
// bare number. A story that merely mentions a number is not a query.
func (d *Definition) caseQuery(text string) (string, bool) {
	t := textnorm.HalfWidth(text)
	m := caseNumberRe.FindStringSubmatchIndex(t)
	if m == nil {
		return "", false
	}
	number := strings.ToUpper(t[m[2]:m[3]]) + t[m[4]:m[5]] + "-" + t[m[6]:m[7]]
	rest := t[:m[0]] + t[m[1]:]
	k := key(rest)
	if k == "" || d.command(rest) == cmdProgress {
		return number, true
	}
	if d.u != nil && runes(k) <= 10 && (d.u.askBot.in(k) || d.u.progress.in(k) || d.question(rest) || only(k, d.u.polite, d.u.noContent)) {
		return number, true // "查一下TS…", "请问TS…处理得怎么样了"
	}
	return "", false
}

// kindWord returns the kind a whole message names ("投诉", "2", "我要表扬").
func (d *Definition) kindWord(text string) (complaintbot.Kind, bool) {
	k := key(text)
	for _, kind := range kindOrder {
		for _, w := range d.kind(kind).Words {
			if key(w) == k {
				return kind, true
			}
		}
	}
	return "", false
}
