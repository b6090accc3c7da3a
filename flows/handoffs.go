package flows

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"gopkg.in/yaml.v3"
)

// HandoffText names a message the customer gets about their conversation with a person, sent
// when an agent acts on it in the console (or it goes back to the bot by itself). The texts are
// keys of the messages section of the definition.
type HandoffText string

// The handoff texts.
const (
	// HandoffAgentJoined: an agent took the conversation; {agent} is their display name.
	HandoffAgentJoined HandoffText = "agent_joined"
	// HandoffReleased: the agent handed the conversation back to the bot.
	HandoffReleased HandoffText = "agent_released"
	// HandoffEnded: the agent ended the service.
	HandoffEnded HandoffText = "agent_ended"
	// HandoffIdleReturn: nothing happened for console.agent_idle_timeout, back to the bot.
	HandoffIdleReturn HandoffText = "agent_idle_return"
	// HandoffQueuedByAgent: an agent put the customer in the queue.
	HandoffQueuedByAgent HandoffText = "queued_by_agent"
)

// HandoffMessage renders the handoff text kind; agent is the agent's display name ({agent}). It
// returns "" for an unknown kind.
func (d *Definition) HandoffMessage(kind HandoffText, agent string) string {
	m := &d.file.Messages
	var tmpl string
	switch kind {
	case HandoffAgentJoined:
		tmpl = m.AgentJoined
	case HandoffReleased:
		tmpl = m.AgentReleased
	case HandoffEnded:
		tmpl = m.AgentEnded
	case HandoffIdleReturn:
		tmpl = m.AgentIdleReturn
	case HandoffQueuedByAgent:
		tmpl = m.QueuedByAgent
	}
	return fill(tmpl, "agent", agent)
}

// AfterHoursNote renders messages.after_hours, the note added to a queued customer's message
// outside working hours, for agents back at back: after_hours_today when that is on the day of
// now, else after_hours_day (Asia/Shanghai).
func (d *Definition) AfterHoursNote(now, back time.Time) string {
	m := &d.file.Messages
	local, b := now.In(complaintbot.Shanghai), back.In(complaintbot.Shanghai)
	at := fmt.Sprintf("%02d:%02d", b.Hour(), b.Minute())
	when := fill(m.AfterHoursDay, "month", strconv.Itoa(int(b.Month())), "day", strconv.Itoa(b.Day()),
		"weekday", strings.Fields(m.AfterHoursWeekdays)[b.Weekday()], "time", at)
	if b.YearDay() == local.YearDay() && b.Year() == local.Year() {
		when = fill(m.AfterHoursToday, "time", at)
	}
	return fill(m.AfterHours, "when", when)
}

// handoffTexts are the fields of messagesDef that hold the handoff texts, by yaml key.
var handoffTexts = []string{"agent_joined", "agent_released", "agent_ended", "agent_idle_return", "queued_by_agent",
	"after_hours", "after_hours_today", "after_hours_day", "after_hours_weekdays"}

var (
	defaultMessagesOnce sync.Once
	defaultMessages     messagesDef
	defaultMessagesErr  error
)

// fillHandoffTexts takes each handoff text an operator's file lacks from the embedded default, so
// that files written before the console's texts moved into the flow file keep loading, and checks
// that after_hours_weekdays names seven days.
func (m *messagesDef) fillHandoffTexts() error {
	rv := reflect.ValueOf(m).Elem()
	index := map[string]int{}
	for i := range rv.NumField() {
		index[strings.Split(rv.Type().Field(i).Tag.Get("yaml"), ",")[0]] = i
	}
	for _, key := range handoffTexts {
		f := rv.Field(index[key])
		if f.String() != "" {
			continue
		}
		defaultMessagesOnce.Do(func() {
			var def struct {
				Messages messagesDef `yaml:"messages"`
			}
			defaultMessagesErr = yaml.Unmarshal(defaultYAML, &def)
			defaultMessages = def.Messages
		})
		if defaultMessagesErr != nil {
			return fmt.Errorf("embedded default.yaml: %w", defaultMessagesErr)
		}
		f.SetString(reflect.ValueOf(defaultMessages).Field(index[key]).String())
	}
	if n := len(strings.Fields(m.AfterHoursWeekdays)); n != 7 {
		return fmt.Errorf("messages.after_hours_weekdays: want the 7 weekdays from Sunday, separated by spaces, got %d", n)
	}
	return nil
}
