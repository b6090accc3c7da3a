package flows

import (
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// The intake as a form: an agent registers a complaint received by phone, at the counter, by
// letter, by e-mail or from a regulator with the same questions, the same rules and the same
// read-back as the bot's intake (the flow file's kinds, steps, messages and readback sections).

// FormField is one question of a kind's intake as a form shows it.
type FormField struct {
	// Field is the draft field: category, branch, occurred_at, or a key of Draft.Fields.
	Field string
	// Type is the step's type: choice, text, branch, datetime or phone.
	Type     string
	Label    string
	Help     string
	Example  string
	Optional bool
	// Min and Max bound a text answer, in characters (0 for other types).
	Min, Max int
}

// The fields of a form that have a place of their own in the draft (FormField.Field).
const (
	FieldCategory   = fieldCategory
	FieldBranch     = fieldBranch
	FieldOccurredAt = fieldOccurredAt
)

// FormFieldName is the form's field for the contact's name: no step of the chat asks it (the
// customer's WeChat account identifies them there), an agent writes it down.
const FormFieldName = complaintbot.FieldName

// FormNameMax is the most characters a contact's name may have.
const FormNameMax = 50

// FormFields returns the questions of the kind's intake in the chat's order; nil for a kind the
// flow file does not define.
func (d *Definition) FormFields(kind complaintbot.Kind) []FormField {
	k := d.kind(kind)
	if k == nil {
		return nil
	}
	out := make([]FormField, 0, len(k.Steps))
	for _, s := range k.Steps {
		f := FormField{Field: s.Field, Type: s.Type, Label: s.Label, Help: s.Help, Example: s.Example, Optional: s.Optional}
		if s.Type == stepText {
			f.Min, f.Max = s.Min, s.Max
		}
		out = append(out, f)
	}
	return out
}

// KindName is what customers read for a kind (the flow file's name for it).
func (d *Definition) KindName(kind complaintbot.Kind) string { return d.kindName(kind) }

// Form is what an agent wrote in the registration form, as typed.
type Form struct {
	Kind complaintbot.Kind
	// Category is the category's code; Branch the branch's code (complaintbot.NoBranchCode for
	// none).
	Category string
	Branch   string
	// Occurred is when it happened, in the words the bot understands ("昨天下午3点",
	// "2026-11-20 15:00", "上个月", "不记得").
	Occurred string
	// Fields are the text answers by field (description, request, phone, person, name).
	Fields map[string]string
}

// FormProblem is why one field of a form was refused, in the flow file's words.
type FormProblem struct {
	Field   string
	Label   string
	Message string
}

// CheckForm reads a registration form by the rules the bot applies to the same answers in the
// chat: the category and the branch from the flow file's lists, the time as the bot reads it
// (relative to now, nothing in the future or more than five years back), the phone number
// normalised, each text within its step's length. It returns the draft (StartedAt now) and the
// problems, one per refused field, in the form's order; the draft is only usable without problems.
func (e *Engine) CheckForm(f Form, now time.Time) (complaintbot.Draft, []FormProblem) {
	d := e.def
	draft := complaintbot.Draft{Kind: f.Kind, Fields: map[string]string{}, StartedAt: now}
	k := d.kind(f.Kind)
	if k == nil {
		return draft, []FormProblem{{Field: "kind", Label: d.file.Readback.TypeLabel, Message: d.file.Messages.ChoiceInvalid}}
	}
	t := &turn{e: e, d: d, st: &complaintbot.ConversationState{Draft: &draft}, now: now}
	m := &d.file.Messages
	var problems []FormProblem
	bad := func(s *stepDef, msg string) {
		problems = append(problems, FormProblem{Field: s.Field, Label: s.Label, Message: msg})
	}
	for i := range k.Steps {
		s := &k.Steps[i]
		switch s.Type {
		case stepChoice:
			code := strings.TrimSpace(f.Category)
			if code == "" {
				bad(s, m.Required)
				continue
			}
			found := false
			for _, c := range d.file.Categories[string(f.Kind)] {
				if c.Code == code {
					cat := c.Category
					draft.Category, found = &cat, true
					break
				}
			}
			if !found {
				bad(s, m.ChoiceInvalid)
			}
		case stepBranch:
			code := strings.TrimSpace(f.Branch)
			if code == "" {
				if !s.Optional {
					bad(s, m.Required)
				}
				continue
			}
			b, ok := d.branchByCode(code)
			if !ok {
				bad(s, m.ChoiceInvalid)
				continue
			}
			draft.Branch = &b
		case stepDateTime:
			text := clean(f.Occurred)
			if text == "" {
				if !s.Optional {
					bad(s, m.Required)
				}
				continue
			}
			if r := t.answerWhen(text); r.outcome == failed {
				bad(s, r.reason)
			}
		case stepPhone:
			text := clean(f.Fields[s.Field])
			if text == "" {
				if !s.Optional {
					bad(s, m.Required)
				}
				continue
			}
			p, ok := parsePhone(text)
			if !ok {
				bad(s, m.PhoneInvalid)
				continue
			}
			draft.Fields[s.Field] = p
		default:
			text := strings.TrimSpace(f.Fields[s.Field])
			switch n := runes(text); {
			case n == 0 && s.Optional:
			case n == 0:
				bad(s, m.Required)
			case n < s.Min && !(s.Field == complaintbot.FieldRequest && d.u != nil && d.u.requestShort.is(key(d.normalize(text)))):
				bad(s, fill(m.TextTooShort, "min", itoa(s.Min)))
			case n > s.Max:
				bad(s, fill(m.TextTooLong, "max", itoa(s.Max)))
			default:
				draft.Fields[s.Field] = text
			}
		}
	}
	if name := strings.TrimSpace(f.Fields[FormFieldName]); name != "" {
		if runes(name) > FormNameMax {
			problems = append(problems, FormProblem{Field: FormFieldName, Message: fill(m.TextTooLong, "max", itoa(FormNameMax))})
		} else {
			draft.Fields[FormFieldName] = name
		}
	}
	return draft, problems
}

// Readback returns the read-back of a draft exactly as the bot reads it to a customer in the chat
// (首问责任制): the header and the numbered fields, without the chat's footer on how to answer.
func (e *Engine) Readback(d complaintbot.Draft) (header string, lines []string) {
	t := &turn{e: e, d: e.def, st: &complaintbot.ConversationState{Draft: &d}}
	return e.def.file.Readback.Header, t.readbackLines()
}
