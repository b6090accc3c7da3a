package flows

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestHandoffTextsComeFromTheFlowFile(t *testing.T) {
	d := DefaultDefinition()
	if got := d.HandoffMessage(HandoffAgentJoined, "张伟"); !strings.Contains(got, "客服 张伟 为您服务") {
		t.Errorf("agent joined: %q", got)
	}
	for _, k := range []HandoffText{HandoffReleased, HandoffEnded, HandoffIdleReturn, HandoffQueuedByAgent} {
		if got := d.HandoffMessage(k, "张伟"); got == "" || strings.Contains(got, "{") {
			t.Errorf("%s: %q", k, got)
		}
	}
	// An operator's wording is what the customer reads.
	custom := strings.Replace(string(DefaultYAML()), `agent_joined: "您好，客服 {agent} 为您服务，请直接在这里留言。"`, `agent_joined: "{agent}来了"`, 1)
	cd, err := LoadDefinition([]byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	if got := cd.HandoffMessage(HandoffAgentJoined, "张伟"); got != "张伟来了" {
		t.Errorf("operator's text: %q", got)
	}
}

func TestAfterHoursNote(t *testing.T) {
	d := DefaultDefinition()
	friday := time.Date(2026, 11, 27, 18, 0, 0, 0, complaintbot.Shanghai)
	monday := time.Date(2026, 11, 30, 9, 0, 0, 0, complaintbot.Shanghai)
	if got := d.AfterHoursNote(friday, monday); !strings.HasPrefix(got, "\n") || !strings.Contains(got, "11月30日（周一）09:00") {
		t.Errorf("next day: %q", got)
	}
	early := time.Date(2026, 11, 27, 7, 0, 0, 0, complaintbot.Shanghai)
	if got := d.AfterHoursNote(early, early.Add(2*time.Hour)); !strings.Contains(got, "今天 09:00") {
		t.Errorf("same day: %q", got)
	}
}

// A flow file written before the handoff texts moved into it still loads, with the default
// texts; a broken weekday list is refused, naming the key.
func TestOldFlowFileGetsTheHandoffTexts(t *testing.T) {
	old := string(DefaultYAML())
	for _, key := range handoffTexts {
		re := regexp.MustCompile(`(?m)^  ` + key + `: .*\n`)
		if !re.MatchString(old) {
			t.Fatalf("messages.%s is not in default.yaml", key)
		}
		old = re.ReplaceAllString(old, "")
	}
	d, err := LoadDefinition([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.HandoffMessage(HandoffAgentJoined, "张伟"); !strings.Contains(got, "客服 张伟 为您服务") {
		t.Errorf("agent joined from the default: %q", got)
	}
	bad := strings.Replace(string(DefaultYAML()), `after_hours_weekdays: "周日 周一 周二 周三 周四 周五 周六"`, `after_hours_weekdays: "周日 周一"`, 1)
	if _, err := LoadDefinition([]byte(bad)); err == nil || !strings.Contains(err.Error(), "messages.after_hours_weekdays") {
		t.Errorf("short weekday list: %v", err)
	}
}
