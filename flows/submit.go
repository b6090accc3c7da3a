package flows

import (
	"strconv"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// submit registers the confirmed draft, unless the customer reached the daily limit.
func (t *turn) submit() {
	st := t.st
	cases, ok := t.customerCases()
	if !ok {
		return
	}
	y, m, d := t.now.Date()
	today := 0
	for _, c := range cases {
		cy, cm, cd := c.Received.In(complaintbot.Shanghai).Date()
		if cy == y && cm == m && cd == d {
			today++
		}
	}
	if today >= t.e.cfg.DailyCaseCap {
		park(st, t.now)
		t.add(fill(t.msgs().DailyCap, "cap", strconv.Itoa(t.e.cfg.DailyCaseCap), "hotline", t.d.file.Hotline))
		return
	}
	t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectCreateCase, Draft: cloneDraft(st.Draft)})
	clearDraft(st)
	t.silent = true
}

// dupKey is what the duplicate check compares: branch and category codes.
func dupKey(d *complaintbot.Draft) string {
	b, c := "", ""
	if d.Branch != nil {
		b = d.Branch.Code
	}
	if d.Category != nil {
		c = d.Category.Code
	}
	return b + "|" + c
}

// duplicate asks, before the read-back of a new complaint, whether to add it to an open
// complaint of the customer's about the same branch and category received within
// DuplicateWindow. It reports whether it asked.
func (t *turn) duplicate() bool {
	st := t.st
	draft := st.Draft
	if draft.Kind != complaintbot.KindComplaint || dupKey(draft) == st.DupChecked {
		return false
	}
	cases, ok := t.customerCases()
	if !ok {
		return false
	}
	since := t.now.Add(-t.e.cfg.DuplicateWindow)
	for _, c := range cases {
		cat := ""
		if c.Category != nil {
			cat = c.Category.Code
		}
		if c.Kind == draft.Kind && c.Status.Open() && c.Branch.Code+"|"+cat == dupKey(draft) && !c.Received.Before(since) {
			st.Step, st.Choices = stepDuplicate, []string{c.Number}
			t.add(t.duplicateQuestion())
			return true
		}
	}
	st.DupChecked = dupKey(draft)
	return false
}

// duplicateQuestion renders the question about the earlier case.
func (t *turn) duplicateQuestion() string {
	st := t.st
	number := ""
	if len(st.Choices) > 0 {
		number = st.Choices[0]
	}
	cases, _ := t.customerCases()
	for _, c := range cases {
		if c.Number != number {
			continue
		}
		category := ""
		if c.Category != nil {
			category = c.Category.Name
		}
		return fill(t.msgs().Duplicate, "number", number, "date", formatDate(c.Received), "branch", c.Branch.Name,
			"category", category, "status", t.d.statusName(c.Status))
	}
	branch, category := "", ""
	if b := st.Draft.Branch; b != nil {
		branch = b.Name
	}
	if c := st.Draft.Category; c != nil {
		category = c.Name
	}
	return fill(t.msgs().Duplicate, "number", number, "date", "近期", "branch", branch,
		"category", category, "status", t.d.statusName(complaintbot.StatusReceived))
}

// duplicateAnswer handles "1 补充到 …" / "2 新建".
func (t *turn) duplicateAnswer(text string) {
	st := t.st
	n, ok := choiceNumber(text)
	if !ok {
		if i, found := matchChoice(text, []string{"补充", "新建"}); found {
			n, ok = i+1, true
		}
	}
	switch {
	case ok && n == 1:
		number := st.Choices[0]
		summary := t.readbackLines()
		t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectAttachToCase, CaseNumber: number, Draft: cloneDraft(st.Draft)})
		t.add(fill(t.msgs().Attached, "number", number, "summary", strings.Join(summary, "\n")))
		clearDraft(st)
	case ok && n == 2:
		resetIntake(st)
		st.DupChecked = dupKey(st.Draft)
		st.Step = stepReadback
		t.add(t.readback())
	default:
		t.fail(t.msgs().ChoiceInvalid)
	}
}
