package flows

import (
	"strconv"
	"strings"
)

// answer validates an answer to a step and stores it, or explains what is wrong.
func (t *turn) answer(s *stepDef, text string, cmd command) {
	st, m := t.st, t.msgs()
	if s.Type == stepBranch && len(st.Choices) > 0 {
		t.pickBranch(s, text)
		return
	}
	if cmd == cmdSkip && !(s.Type == stepBranch && t.d.isNoBranch(text)) {
		if !s.Optional {
			t.fail(m.Required)
			return
		}
		t.unset(s)
		t.accept(s)
		return
	}
	switch s.Type {
	case stepChoice:
		t.answerChoice(s, text)
	case stepBranch:
		t.answerBranch(s, text)
	case stepDateTime:
		t.answerWhen(s, text)
	case stepPhone:
		p, ok := parsePhone(text)
		if !ok {
			t.fail(m.PhoneInvalid)
			return
		}
		t.draftFields()[s.Field] = p
		t.accept(s)
	default:
		t.answerText(s, text)
	}
}

func (t *turn) answerText(s *stepDef, text string) {
	m := t.msgs()
	switch n := runes(text); {
	case n == 0:
		t.fail(m.Required)
	case n < s.Min:
		t.fail(fill(m.TextTooShort, "min", strconv.Itoa(s.Min)))
	case n > s.Max:
		t.fail(fill(m.TextTooLong, "max", strconv.Itoa(s.Max)))
	default:
		t.draftFields()[s.Field] = text
		t.accept(s)
	}
}

func (t *turn) answerChoice(s *stepDef, text string) {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	i, ok := matchChoice(text, t.categoryNames())
	if !ok {
		i, ok = t.d.keywordCategory(t.st.Draft.Kind, text)
	}
	if !ok {
		t.fail(t.msgs().ChoiceInvalid)
		return
	}
	c := cats[i].Category
	t.st.Draft.Category = &c
	t.accept(s)
}

func (t *turn) answerWhen(s *stepDef, text string) {
	m := t.msgs()
	w, problem := parseWhen(text, t.now)
	switch problem {
	case dateMissing:
		t.fail(m.DateInvalid)
	case dateFuture:
		t.fail(fill(m.DateFuture, "date", formatWhen(w.t, w.period)))
	case dateBadDay:
		t.fail(m.DateBadDay)
	case dateTooOld:
		t.fail(m.DateTooOld)
	default:
		t.setWhen(w)
		t.accept(s)
	}
}

// setWhen stores a moment in the draft.
func (t *turn) setWhen(w when) {
	at := w.t
	t.st.Draft.OccurredAt = &at
	if w.period != "" {
		t.draftFields()[FieldOccurredPeriod] = w.period
	} else {
		delete(t.st.Draft.Fields, FieldOccurredPeriod)
	}
}

func (t *turn) answerBranch(s *stepDef, text string) {
	st := t.st
	none, found := t.d.matchBranch(text)
	switch {
	case none:
		b := t.d.noBranch()
		st.Draft.Branch = &b
		t.accept(s)
	case len(found) == 1:
		b := copyBranch(found[0])
		st.Draft.Branch = &b
		t.accept(s)
	case len(found) > 1:
		st.Choices = st.Choices[:0]
		for _, b := range found {
			st.Choices = append(st.Choices, b.Code)
		}
		t.add(t.branchQuestion())
	default:
		names := make([]string, 0, len(t.d.file.Branches))
		for _, b := range t.d.file.Branches {
			names = append(names, b.Name)
		}
		t.fail(fill(t.msgs().BranchNone, "input", clean(text), "names", strings.Join(names, "、")))
	}
}

// pickBranch reads the answer to "which of these branches?".
func (t *turn) pickBranch(s *stepDef, text string) {
	st := t.st
	if n, ok := choiceNumber(text); ok {
		if n >= 1 && n <= len(st.Choices) {
			if b, ok := t.d.branchByCode(st.Choices[n-1]); ok {
				st.Draft.Branch = &b
				t.accept(s)
				return
			}
		}
		t.fail(t.msgs().ChoiceInvalid)
		return
	}
	none, found := t.d.matchBranch(text)
	if none || len(found) > 0 {
		st.Choices = nil
		t.answerBranch(s, text)
		return
	}
	t.fail(t.msgs().ChoiceInvalid)
}

// branchQuestion lists the candidate branches by number.
func (t *turn) branchQuestion() string {
	names := make([]string, 0, len(t.st.Choices))
	for _, code := range t.st.Choices {
		if b, ok := t.d.branchByCode(code); ok {
			names = append(names, b.Name)
		}
	}
	return fill(t.msgs().BranchWhich, "list", numbered(names))
}

// unset forgets a skipped optional answer.
func (t *turn) unset(s *stepDef) {
	d := t.st.Draft
	switch s.Field {
	case fieldCategory:
		d.Category = nil
	case fieldBranch:
		d.Branch = nil
	case fieldOccurredAt:
		d.OccurredAt = nil
		delete(d.Fields, FieldOccurredPeriod)
	default:
		delete(d.Fields, s.Field)
	}
}

// draftFields returns the draft's free-text fields, creating the map if needed.
func (t *turn) draftFields() map[string]string {
	if t.st.Draft.Fields == nil {
		t.st.Draft.Fields = map[string]string{}
	}
	return t.st.Draft.Fields
}

// categoryNames lists the names of the draft kind's categories.
func (t *turn) categoryNames() []string {
	cats := t.d.file.Categories[string(t.st.Draft.Kind)]
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.Name
	}
	return names
}

// value renders a step's answer for the customer, "" when unanswered.
func (t *turn) value(s *stepDef) string {
	d := t.st.Draft
	switch s.Field {
	case fieldCategory:
		if d.Category != nil {
			return d.Category.Name
		}
	case fieldBranch:
		if d.Branch != nil {
			return d.Branch.Name
		}
	case fieldOccurredAt:
		if d.OccurredAt != nil {
			return formatWhen(*d.OccurredAt, d.Fields[FieldOccurredPeriod])
		}
	default:
		return d.Fields[s.Field]
	}
	return ""
}
