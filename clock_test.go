package complaintbot_test

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

func TestTravelClockOnlyMovesForward(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, complaintbot.Shanghai)
	base := complaintbot.NewManualClock(start)
	c := complaintbot.NewTravelClock(base)
	if !c.Now().Equal(start) {
		t.Fatalf("a new travel clock says %v, want %v", c.Now(), start)
	}
	c.Advance(72 * time.Hour)
	c.Advance(-24 * time.Hour) // refused: time travel goes forward only
	base.Advance(time.Minute)  // the clock it stands ahead of keeps going
	if want := start.Add(72*time.Hour + time.Minute); !c.Now().Equal(want) || c.Offset() != 72*time.Hour {
		t.Fatalf("after +72h and a minute: %v (offset %v), want %v", c.Now(), c.Offset(), want)
	}
}
