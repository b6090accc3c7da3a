package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// readback renders the read-back (首问责任制): every collected field, numbered, between the
// header and the footer that says how to confirm, correct or cancel.
func (t *turn) readback() string {
	rb := t.d.file.Readback
	return rb.Header + "\n" + strings.Join(t.readbackLines(), "\n") + "\n" + rb.Footer
}

// readbackLines are the numbered fields: 1 is the kind, then the kind's steps in order, then a
// line for pictures if any.
func (t *turn) readbackLines() []string {
	rb, draft := t.d.file.Readback, t.st.Draft
	line := func(n int, label, value string) string {
		if value == "" {
			value = rb.Unset
		}
		return fill(rb.Line, "n", strconv.Itoa(n), "label", label, "value", value)
	}
	lines := []string{line(1, rb.TypeLabel, t.d.kindName(draft.Kind))}
	for i := range t.d.kind(draft.Kind).Steps {
		s := &t.d.kind(draft.Kind).Steps[i]
		v := t.value(s)
		if v == "" && s.IfTold && !t.st.Answered(s.Field) {
			continue // never asked and not told (the last lines): nothing to read back
		}
		if max := t.d.file.Understanding.SummaryChars; s.Type == stepText && runes(v) > max+20 {
			// A long story is kept whole; the read-back shows its beginning and its length.
			v = fill(t.u().ReadbackLong, "start", string([]rune(v)[:max]), "count", strconv.Itoa(runes(v)))
		}
		lines = append(lines, line(i+2, s.Label, v))
	}
	if n := len(draft.Evidence); n > 0 {
		lines = append(lines, fill(rb.Evidence, "count", strconv.Itoa(n)))
	}
	return lines
}

// readbackAnswer handles the reply to the read-back: "确认" (or "对的，没问题，提交吧", "ok")
// submits; a correction in words ("网点写错了，是城西支行", "时间不对，是前天") takes the new value and
// reads back again; a number (or a field's label) re-asks that field; anything else is explained.
func (t *turn) readbackAnswer(text string, cmd command) {
	st := t.st
	if cmd == cmdConfirm || onlyWith(key(text), t.d.u.confirm, t.d.u.polite, t.d.u.urging, t.d.u.pieceDone) { // "没问题，就是这些"
		t.submit()
		return
	}
	if s, v := t.labelledAnswer(t.orig); s != nil {
		// "经过改一下：早上八点在…", "诉求改成：退钱并道歉", "经过补充一下：…": the same as choosing
		// the item's number and then answering its question, in one message.
		resetIntake(st)
		st.Step, st.Correcting = s.Field, true
		t.orig = v
		said := len(t.say)
		t.answer(s, t.d.normalize(v), cmdNone)
		if st.Step == stepReadback || st.Step == stepDuplicate { // taken: say so before the read-back
			note := fill(t.u().Corrected, "items", t.item(s))
			t.say = append(t.say[:said], append([]string{note}, t.say[said:]...)...)
		}
		return
	}
	if _, number := choiceNumber(text); !number {
		h := t.scan(text)
		h.story = false // the story is not retold at the read-back
		if filled, changed := t.absorb(h, t.orig, "", true); len(filled)+len(changed) > 0 {
			t.notes(nil, append(changed, filled...))
			resetIntake(st)
			t.advance(false) // everything is answered: the duplicate check, then the read-back again
			return
		}
		if t.restatesHeld(h, text) {
			// "不涉及网点" when the read-back says so: the customer agrees with it, nothing to change.
			t.add(t.u().ReadbackSame)
			t.add(t.question())
			return
		}
		if ph := t.d.kind(st.Draft.Kind).step(complaintbot.FieldPhone); ph != nil && t.draftFields()[complaintbot.FieldPhone] == "" &&
			(h.noPhone || cmd == cmdSkip) && h.when == nil && h.branch == nil && h.request == "" {
			// "不用留" / "不用了" when the read-back shows no phone: nothing to change.
			t.add(t.u().ReadbackSame)
			t.add(t.question())
			return
		}
	}
	steps := t.d.kind(st.Draft.Kind).Steps
	labels := []string{t.d.file.Readback.TypeLabel}
	for _, s := range steps {
		labels = append(labels, s.Label)
	}
	n, ok := choiceNumber(text)
	if !ok {
		k := strings.TrimPrefix(strings.TrimPrefix(key(text), "修改"), "改")
		if i, found := matchChoice(k, labels); found && k != "" {
			n, ok = i+1, true
		}
	}
	switch {
	case !ok || n < 1 || n > len(labels):
		t.fail(t.msgs().NotUnderstood)
	case n == 1:
		resetIntake(st)
		st.Step, st.Correcting = stepKind, true
		t.add(t.msgs().ChangeKind)
	default:
		resetIntake(st)
		st.Step, st.Correcting = steps[n-2].Field, true
		t.askAgain()
	}
}

// switchKind changes the draft's kind from the read-back, keeping the answers the new kind also
// asks for; categories belong to a kind and are asked again.
func (t *turn) switchKind(kind complaintbot.Kind) {
	t.changeKind(kind)
	t.advance(false)
}

// changeKind changes the draft's kind, keeping the answers the new kind also asks for.
func (t *turn) changeKind(kind complaintbot.Kind) {
	st := t.st
	draft := st.Draft
	resetIntake(st)
	if kind != draft.Kind {
		draft.Kind = kind
		steps := t.d.kind(kind).Steps
		has := func(f string) bool {
			return f != fieldCategory && slices.ContainsFunc(steps, func(s stepDef) bool { return s.Field == f })
		}
		drop := func(fs []string) []string { return slices.DeleteFunc(fs, func(f string) bool { return !has(f) }) }
		st.Done, st.History, draft.Prefilled = drop(st.Done), drop(st.History), drop(draft.Prefilled)
		draft.Category = nil
		if kind != complaintbot.KindComplaint {
			draft.Urgent = "" // money at risk flags a complaint ("本想投诉盗刷", then praise)
		}
		if !has(fieldBranch) {
			draft.Branch = nil
		}
		if ts := t.d.kind(kind).step(fieldOccurredAt); ts == nil || (ts.IfTold && draft.OccurredPrecision == complaintbot.OccurredUnknown) {
			// (A praise never asks the time: an unknown one, left so when it was a complaint, goes.)
			draft.OccurredAt, draft.OccurredPrecision = nil, ""
			delete(draft.Fields, FieldOccurredPeriod)
			st.Done = slices.DeleteFunc(st.Done, func(f string) bool { return f == fieldOccurredAt })
		}
		if r := draft.Fields[complaintbot.FieldRequest]; r != "" && !has(complaintbot.FieldRequest) && has(complaintbot.FieldDescription) &&
			!strings.Contains(draft.Fields[complaintbot.FieldDescription], r) && r != t.u().RequestUnstated {
			// A kind without a request (praise, a suggestion): what the customer said there is
			// kept with what they tell ("李经理主动打电话给我 帮我冻结了卡…" had been taken for a wish).
			draft.Fields[complaintbot.FieldDescription] += "，" + r
		}
		for f := range draft.Fields {
			if f != FieldOccurredPeriod && !has(f) {
				delete(draft.Fields, f)
			}
		}
		st.DupChecked = ""
	}
}

// labelledAnswer reads a new answer given in words at the read-back: an item's label, a word for
// changing it (or, for a free text, for adding to it), and the answer after a colon or comma
// ("经过改一下：…", "诉求改成：退钱并道歉", "经过补充一下：…"). It returns the step and the answer
// as its question would get it (for an addition, the text so far and the addition), or nil.
func (t *turn) labelledAnswer(orig string) (*stepDef, string) {
	steps := t.d.kind(t.st.Draft.Kind).Steps
	for i := range steps {
		s := &steps[i]
		if !strings.HasPrefix(orig, s.Label) {
			continue
		}
		rest := strings.TrimSpace(orig[len(s.Label):])
		changing, adding := false, false
		for _, w := range t.d.u.textChange {
			if strings.HasPrefix(rest, w) {
				rest, changing = strings.TrimSpace(rest[len(w):]), true
				break
			}
		}
		spaced := false // "诉求再加一条 那个经理…": a space after the word parts it from the answer too
		if !changing && s.Type == stepText {
			for _, w := range t.d.u.textAdd {
				if strings.HasPrefix(rest, w) {
					spaced = strings.HasPrefix(rest[len(w):], " ")
					rest, adding = strings.TrimSpace(rest[len(w):]), true
					break
				}
			}
		}
		if !changing && !adding {
			continue
		}
		cut := strings.IndexAny(rest, "：:，,")
		if cut < 0 && !spaced {
			continue
		}
		v := strings.TrimSpace(strings.TrimLeft(rest[max(cut, 0):], "：:，, "))
		if v == "" {
			continue
		}
		if old := t.st.Draft.Fields[s.Field]; adding && old != "" {
			v = old + "，" + v
		}
		return s, v
	}
	return nil, ""
}
