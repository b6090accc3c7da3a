package flows

import (
	"strconv"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// progressShown is how many cases a progress answer lists.
const progressShown = 10

// progress lists the customer's own cases, newest first.
func (t *turn) progress() {
	cases, ok := t.customerCases()
	if !ok {
		return
	}
	m := t.msgs()
	if len(cases) == 0 {
		t.add(m.ProgressNone)
		return
	}
	lines := []string{m.ProgressHeader}
	for i, c := range cases {
		if i == progressShown {
			lines = append(lines, fill(m.ProgressMore, "shown", strconv.Itoa(progressShown)))
			break
		}
		lines = append(lines, fill(m.ProgressLine, "number", c.Number, "kind", t.d.kindName(c.Kind),
			"status", t.d.statusName(c.Status), "due", t.due(c)))
	}
	lines = append(lines, m.ProgressFooter)
	t.add(strings.Join(lines, "\n"))
}

// caseDetail shows one case, only if it is the customer's own.
func (t *turn) caseDetail(number string) {
	cases, ok := t.customerCases()
	if !ok {
		return
	}
	m := t.msgs()
	for _, c := range cases {
		if !strings.EqualFold(c.Number, number) {
			continue
		}
		category := t.d.file.Readback.Unset
		if c.Category != nil {
			category = c.Category.Name
		}
		branch := c.Branch.Name
		if branch == "" {
			branch = t.d.file.Readback.Unset
		}
		t.add(fill(m.CaseDetail, "number", c.Number, "kind", t.d.kindName(c.Kind), "category", category,
			"branch", branch, "received", formatWhen(c.Received, ""), "status", t.d.statusName(c.Status), "due", t.due(c)))
		return
	}
	t.add(fill(m.CaseNotFound, "number", number))
}

// due is the promised reply date of an open case, "" for a closed one.
func (t *turn) due(c complaintbot.CaseSummary) string {
	if !c.Status.Open() || c.ReplyDue.IsZero() {
		return ""
	}
	return fill(t.msgs().ProgressDue, "date", formatDate(c.ReplyDue))
}
