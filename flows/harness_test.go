package flows

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// saturday is the fixed "now" of the tests: Saturday 2026-11-28 10:00 in Shanghai.
var saturday = time.Date(2026, 11, 28, 10, 0, 0, 0, complaintbot.Shanghai)

// memFacts is an in-memory Facts: one customer's cases, newest first.
type memFacts struct {
	cases []complaintbot.CaseSummary
	err   error
	// survey is the customer's open satisfaction survey; surveyAsks counts the lookups.
	survey     *OpenSurvey
	surveyAsks int
}

func (f *memFacts) OpenSurvey() (*OpenSurvey, error) {
	f.surveyAsks++
	if f.err != nil {
		return nil, f.err
	}
	return f.survey, nil
}

func (f *memFacts) Cases() ([]complaintbot.CaseSummary, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.cases, nil
}

// chat drives one customer's conversation as a transcript.
type chat struct {
	t       *testing.T
	e       *Engine
	st      complaintbot.ConversationState
	now     time.Time
	facts   *memFacts
	effects []complaintbot.Effect
	sent    int // customer messages so far
	last    Result
}

func newChat(t *testing.T) *chat {
	t.Helper()
	e, err := New(defaultDef(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &chat{t: t, e: e, now: saturday, facts: &memFacts{}}
}

// send hands one input to the engine, checks the invariants every turn must keep, and returns
// the reply text ("" when there is none).
func (c *chat) send(in complaintbot.Input) string {
	c.t.Helper()
	if in.At.IsZero() {
		in.At = c.now
	}
	before := cloneState(c.st)
	r, err := c.e.Handle(c.st, in, c.now, c.facts)
	if err != nil {
		c.t.Fatalf("Handle(%q): %v", in.Text, err)
	}
	if !reflect.DeepEqual(before, c.st) {
		c.t.Fatalf("Handle(%q) changed the state it was given", in.Text)
	}
	again, _ := c.e.Handle(c.st, in, c.now, c.facts)
	if !reflect.DeepEqual(r, again) {
		c.t.Fatalf("Handle(%q) is not deterministic:\n%#v\n%#v", in.Text, r, again)
	}
	silentOK := false
	for _, ef := range r.Effects {
		silentOK = silentOK || ef.Type == complaintbot.EffectCreateCase || ef.Type == complaintbot.EffectUnsubscribed
	}
	if len(r.Replies) == 0 && !silentOK {
		c.t.Fatalf("Handle(%q): no reply", in.Text)
	}
	for _, rep := range r.Replies {
		if strings.TrimSpace(rep) == "" {
			c.t.Fatalf("Handle(%q): empty reply", in.Text)
		}
	}
	c.sent++
	c.st, c.last = r.State, r
	c.effects = append(c.effects, r.Effects...)
	reply := strings.Join(r.Replies, "\n")
	if testing.Verbose() {
		c.t.Logf("客户: %s\n机器人: %s", describe(in), reply)
	}
	return reply
}

func describe(in complaintbot.Input) string {
	if in.Type == complaintbot.InputText {
		return in.Text
	}
	return "[" + string(in.Type) + "] " + in.Text
}

// say sends a text message and checks that the reply contains every want.
func (c *chat) say(text string, wants ...string) string {
	c.t.Helper()
	reply := c.send(complaintbot.Input{Type: complaintbot.InputText, Text: text})
	for _, w := range wants {
		if !strings.Contains(reply, w) {
			c.t.Fatalf("after %q: reply lacks %q:\n%s", text, w, reply)
		}
	}
	return reply
}

// sayNot sends a text message and checks that the reply contains none of the words.
func (c *chat) sayNot(text string, nots ...string) string {
	c.t.Helper()
	reply := c.say(text)
	for _, n := range nots {
		if strings.Contains(reply, n) {
			c.t.Fatalf("after %q: reply should not contain %q:\n%s", text, n, reply)
		}
	}
	return reply
}

// wait moves the clock.
func (c *chat) wait(d time.Duration) { c.now = c.now.Add(d) }

// effect returns the only effect of the last turn, failing if there is not exactly one.
func (c *chat) effect() complaintbot.Effect {
	c.t.Helper()
	if len(c.last.Effects) != 1 {
		c.t.Fatalf("want one effect, got %+v", c.last.Effects)
	}
	return c.last.Effects[0]
}

// noEffects fails if any turn so far asked for an effect.
func (c *chat) noEffects() {
	c.t.Helper()
	if len(c.effects) != 0 {
		c.t.Fatalf("want no effects, got %+v", c.effects)
	}
}

// summary is a case of the customer's for memFacts.
func summary(number string, kind complaintbot.Kind, status complaintbot.Status, branch, category string, received time.Time) complaintbot.CaseSummary {
	def := DefaultDefinition()
	cs := complaintbot.CaseSummary{Number: number, Kind: kind, Status: status, Received: received,
		ReplyDue: received.AddDate(0, 0, 3)}
	if b, ok := def.branchByCode(branch); ok {
		cs.Branch = b
	}
	for _, c := range def.Categories(kind) {
		if c.Code == category {
			cs.Category = &c
		}
	}
	return cs
}

var errFacts = errors.New("database down")
