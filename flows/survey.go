package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
)

// SurveyFacts is an optional extension of Facts: a Facts that also implements it lets the engine
// understand a satisfaction rating in the chat. The engine asks only when the conversation is idle
// and the message could be a rating, so a lookup per message is rare.
type SurveyFacts interface {
	// OpenSurvey returns the survey waiting for this customer's rating, or nil when there is none.
	OpenSurvey() (*OpenSurvey, error)
}

// OpenSurvey is a satisfaction survey the customer was asked and has not answered.
type OpenSurvey struct {
	// ID identifies the survey; the engine passes it back in its effects.
	ID string
	// CaseNumber is the case the survey is about; empty for a conversation an agent handled.
	CaseNumber string
}

// surveyDef is the survey section of the definition file.
type surveyDef struct {
	Question             string         `yaml:"question"`
	ConversationQuestion string         `yaml:"conversation_question"`
	Reminder             string         `yaml:"reminder"`
	Invalid              string         `yaml:"invalid"`
	Thanks               string         `yaml:"thanks"`
	ThanksLow            string         `yaml:"thanks_low"`
	CommentThanks        string         `yaml:"comment_thanks"`
	CommentSkipped       string         `yaml:"comment_skipped"`
	CommentWindow        string         `yaml:"comment_window"`
	LowAtMost            int            `yaml:"low_at_most"`
	Scale                []ratingDef    `yaml:"scale"`
	commentWindow        time.Duration  // parsed CommentWindow
	words                map[string]int // normalised word → rating
	labels               map[int]string // rating → label
	rng                  [2]int         // lowest and highest rating
}

// ratingDef is one point of the scale.
type ratingDef struct {
	Rating int      `yaml:"rating"`
	Label  string   `yaml:"label"`
	Words  []string `yaml:"words"`
}

func (s *surveyDef) empty() bool { return s.Question == "" && len(s.Scale) == 0 }

// validate checks the survey section and prepares its lookups.
func (s *surveyDef) validate() error {
	for _, f := range []struct{ key, v string }{
		{"question", s.Question}, {"conversation_question", s.ConversationQuestion}, {"reminder", s.Reminder},
		{"invalid", s.Invalid}, {"thanks", s.Thanks}, {"thanks_low", s.ThanksLow},
		{"comment_thanks", s.CommentThanks}, {"comment_skipped", s.CommentSkipped}, {"comment_window", s.CommentWindow},
	} {
		if err := required("survey."+f.key, f.v); err != nil {
			return err
		}
	}
	d, err := time.ParseDuration(strings.TrimSpace(s.CommentWindow))
	if err != nil || d <= 0 {
		return fmt.Errorf("survey.comment_window: %q is not a positive duration like 2h", s.CommentWindow)
	}
	s.commentWindow = d
	if len(s.Scale) < 2 {
		return fmt.Errorf("survey.scale needs at least two ratings")
	}
	s.words, s.labels = map[string]int{}, map[int]string{}
	s.rng = [2]int{s.Scale[0].Rating, s.Scale[0].Rating}
	for i, r := range s.Scale {
		p := fmt.Sprintf("survey.scale[%d]", i)
		if r.Rating < 1 || r.Rating > 10 {
			return fmt.Errorf("%s.rating must be between 1 and 10", p)
		}
		if _, dup := s.labels[r.Rating]; dup {
			return fmt.Errorf("%s.rating: %d is listed twice", p, r.Rating)
		}
		if err := required(p+".label", r.Label); err != nil {
			return err
		}
		s.labels[r.Rating] = r.Label
		s.rng[0], s.rng[1] = min(s.rng[0], r.Rating), max(s.rng[1], r.Rating)
		for j, w := range append([]string{r.Label}, r.Words...) {
			k := key(w)
			if k == "" {
				return fmt.Errorf("%s.words[%d]: %q has no letters or digits", p, j-1, w)
			}
			if other, taken := s.words[k]; taken && other != r.Rating {
				return fmt.Errorf("%s.words: %q already means %d", p, w, other)
			}
			s.words[k] = r.Rating
		}
	}
	if s.rng[1]-s.rng[0]+1 != len(s.Scale) {
		return fmt.Errorf("survey.scale must list every rating from %d to %d", s.rng[0], s.rng[1])
	}
	if s.LowAtMost < s.rng[0]-1 || s.LowAtMost >= s.rng[1] {
		return fmt.Errorf("survey.low_at_most must be below the highest rating %d", s.rng[1])
	}
	return nil
}

var (
	// ratingNumberRe is a whole message giving a number: "5", "5分", "5星", "五", "五分", "打5分".
	ratingNumberRe = regexp.MustCompile(`^(?:打|给|评)?(\d{1,2}|[一二两三四五六七八九十])(?:分|星|颗星|星星)?(?:吧|的)?$`)
	// ratingInTextRe finds a rating given inside a short message: "5分，很好", "给4星".
	ratingInTextRe = regexp.MustCompile(`(\d{1,2}|[一二两三四五六七八九十])(?:分|星|颗星)`)
)

// maxRatingMessage is the longest message searched for a rating inside other words.
const maxRatingMessage = 15

// parseRating reads a rating from a message. number is true when the message is a number, even
// one outside the scale (rating 0 then).
func (s *surveyDef) parseRating(text string) (rating int, number bool) {
	if stars := strings.Count(text, "⭐") + strings.Count(text, "★"); stars > 0 && strings.Trim(text, "⭐★ \u3000") == "" {
		return s.inScale(stars), true
	}
	k := key(text)
	if k == "" {
		return 0, false
	}
	if r, ok := s.words[k]; ok {
		return r, true
	}
	if m := ratingNumberRe.FindStringSubmatch(k); m != nil {
		return s.inScale(numberOf(m[1])), true
	}
	if utf8.RuneCountInString(k) <= maxRatingMessage {
		if ms := ratingInTextRe.FindAllStringSubmatch(k, -1); len(ms) == 1 {
			if r := s.inScale(numberOf(ms[0][1])); r > 0 {
				return r, true
			}
		}
	}
	return 0, false
}

func (s *surveyDef) inScale(n int) int {
	if n < s.rng[0] || n > s.rng[1] {
		return 0
	}
	return n
}

func numberOf(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if s == "十" {
		return 10
	}
	return cnDigitOf[[]rune(s)[0]]
}

// scaleText renders the scale best first, one rating a line: "5 非常满意".
func (s *surveyDef) scaleText() string {
	sc := slices.Clone(s.Scale)
	slices.SortFunc(sc, func(a, b ratingDef) int { return b.Rating - a.Rating })
	lines := make([]string, len(sc))
	for i, r := range sc {
		lines[i] = strconv.Itoa(r.Rating) + " " + r.Label
	}
	return strings.Join(lines, "\n")
}

// survey handles a message that may answer a survey; it reports whether it did.
func (t *turn) survey(text string, cmd command) bool {
	st, sv := t.st, &t.d.file.Survey
	if st.Survey != nil {
		pending := *st.Survey
		st.Survey = nil
		if st.Flow == complaintbot.FlowIdle && t.now.Sub(pending.Rated) <= sv.commentWindow {
			switch {
			case cmd == cmdSkip || cmd == cmdCancel || cmd == cmdConfirm:
				t.add(sv.CommentSkipped)
				return true
			case cmd != cmdNone:
				return false // a command ends the survey and is carried out
			}
			if _, ok := t.d.kindWord(text); ok {
				return false
			}
			comment := []rune(t.orig) // as the customer wrote it
			if len(comment) > 500 {
				comment = comment[:500]
			}
			t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectSurveyComment, SurveyID: pending.ID, CaseNumber: pending.CaseNumber, Comment: string(comment)})
			t.add(sv.CommentThanks)
			return true
		}
	}
	if st.Flow != complaintbot.FlowIdle || cmd == cmdAgent {
		return false
	}
	rating, number := sv.parseRating(text)
	if !number {
		return false
	}
	sf, ok := t.facts.(SurveyFacts)
	if !ok || t.facts == nil {
		return false
	}
	open, err := sf.OpenSurvey()
	if err != nil {
		t.err = fmt.Errorf("flows: reading the customer's open survey: %w", err)
		return true
	}
	if open == nil {
		return false
	}
	if rating == 0 {
		t.add(fill(sv.Invalid, "scale", sv.scaleText()))
		return true
	}
	low := rating <= sv.LowAtMost
	t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectSurveyAnswered, SurveyID: open.ID, CaseNumber: open.CaseNumber, Rating: rating, Low: low})
	st.Survey = &complaintbot.SurveyState{ID: open.ID, CaseNumber: open.CaseNumber, Rated: t.now}
	thanks := sv.Thanks
	if low {
		thanks = sv.ThanksLow
	}
	t.add(fill(thanks, "label", sv.labels[rating], "rating", strconv.Itoa(rating)))
	return true
}

// SurveyQuestion is what to ask the customer in a satisfaction survey: about case c, or, when c
// is nil, about a conversation an agent handled. reminder asks the second time.
func (e *Engine) SurveyQuestion(c *complaintbot.CaseSummary, reminder bool) string {
	sv := &e.def.file.Survey
	number, kind := "", ""
	if c != nil {
		number, kind = c.Number, e.def.kindName(c.Kind)
	}
	tmpl := sv.Question
	switch {
	case reminder:
		tmpl = sv.Reminder
	case c == nil:
		tmpl = sv.ConversationQuestion
	}
	return fill(tmpl, "number", number, "kind", kind, "scale", sv.scaleText())
}

// LowRating reports whether a rating is low enough to call for a follow-up (survey.low_at_most).
func (e *Engine) LowRating(rating int) bool { return rating <= e.def.file.Survey.LowAtMost }

// RatingLabel returns the scale's label of a rating, "" for one outside the scale.
func (e *Engine) RatingLabel(rating int) string { return e.def.file.Survey.labels[rating] }
