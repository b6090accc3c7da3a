package conversations_test

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
)

// A customer asking for a person after hours is told when agents are back (Service.QueueNote);
// within hours they are not.
func TestAskingForAPersonAfterHoursSaysWhenAgentsAreBack(t *testing.T) {
	h := apptest.New(t, nil)
	h.Clock.Set(apptest.Start.Add(10 * time.Hour)) // Friday 20:00
	got := h.Say("oHours0001", "人工")
	if !strings.Contains(got, "非工作时间") {
		t.Fatalf("after hours: %s", got)
	}
	h.Clock.Set(apptest.Start) // Friday 10:00
	if got := h.Say("oHours0002", "人工"); strings.Contains(got, "非工作时间") {
		t.Fatalf("within hours: %s", got)
	}
}
