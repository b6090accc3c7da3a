package conversations_test

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
)

// A customer asking for a person after hours is told, once, that agents are off duty and when
// they are back (Service.AgentsBack, worded by the engine); within hours they are not.
func TestAskingForAPersonAfterHoursSaysWhenAgentsAreBack(t *testing.T) {
	h := apptest.New(t, nil)
	h.Clock.Set(apptest.Start.Add(10 * time.Hour)) // Friday 20:00
	got := h.Say("oHours0001", "人工")
	if !strings.Contains(got, "起上班") || !strings.Contains(got, "周一）09:00") || strings.Count(got, "不在班") != 1 {
		t.Fatalf("after hours: %s", got)
	}
	h.Clock.Set(apptest.Start) // Friday 10:00
	if got := h.Say("oHours0002", "人工"); strings.Contains(got, "起上班") || strings.Contains(got, "不在班") {
		t.Fatalf("within hours: %s", got)
	}
}
