package flows

import (
	"strings"

	"github.com/complaintbot/complaintbot"
)

// storyKind decides what an opening story is: a complaint when it has a complaint word
// (complaints win over the polite "谢谢" at their end), else praise, else a suggestion. clear is
// false when no kind's words occur.
func (d *Definition) storyKind(story string) (kind complaintbot.Kind, clear bool) {
	k := key(story)
	for _, kind := range kindOrder {
		for _, w := range d.kind(kind).StoryWords {
			if kw := key(w); kw != "" && strings.Contains(k, kw) {
				return kind, true
			}
		}
	}
	return "", false
}

// keywordCategory returns the one category of a kind whose keywords occur in the text.
func (d *Definition) keywordCategory(kind complaintbot.Kind, text string) (int, bool) {
	k := key(text)
	found := -1
	for i, c := range d.file.Categories[string(kind)] {
		for _, w := range c.Keywords {
			if kw := key(w); kw != "" && strings.Contains(k, kw) {
				if found >= 0 && found != i {
					return 0, false
				}
				found = i
			}
		}
	}
	return found, found >= 0
}

// prefill takes from the opening story every field it clearly contains, marks them answered and
// lists them in Draft.Prefilled, and tells the customer what was noted.
func (t *turn) prefill(story string) {
	st, d := t.st, t.d
	draft := st.Draft
	var items []string
	note := func(s *stepDef, show bool) {
		st.markDone(s.Field)
		draft.Prefilled = append(draft.Prefilled, s.Field)
		if show {
			items = append(items, s.Label+" "+t.value(s))
		} else {
			items = append(items, s.Label)
		}
	}
	for i := range d.kind(draft.Kind).Steps {
		s := &d.kind(draft.Kind).Steps[i]
		switch s.Type {
		case stepChoice:
			if ci, ok := d.keywordCategory(draft.Kind, story); ok {
				c := d.file.Categories[string(draft.Kind)][ci].Category
				draft.Category = &c
				note(s, true)
			}
		case stepBranch:
			if b, ok := d.findBranch(story); ok {
				draft.Branch = &b
				note(s, true)
			}
		case stepDateTime:
			if w, ok := findWhen(story, t.now); ok {
				t.setWhen(w)
				note(s, true)
			}
		case stepPhone:
			if p, ok := parsePhone(story); ok {
				t.draftFields()[s.Field] = p
				note(s, true)
			}
		case stepText:
			if s.Field == complaintbot.FieldDescription && runes(story) >= s.Min && runes(story) <= s.Max {
				t.draftFields()[s.Field] = story
				note(s, false)
			}
		}
	}
	if len(items) > 0 {
		t.add(fill(t.msgs().Prefilled, "items", strings.Join(items, "、")))
	}
}
