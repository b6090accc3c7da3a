package complaintbot_test

import (
	"testing"

	"github.com/complaintbot/complaintbot"
)

// Case numbers go past 9,999 a day (storage hands out TS20261128-10124 then): every check of a
// number's form takes them, and nothing else.
func TestIsCaseNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"TS20261128-0007": true, "TS20261128-10124": true, "JY20261128-0001": true, "BY20261128-0001": true,
		"TS20261128-007": false, "ts20261128-0007": false, "TS2026112-0007": false, "XX20261128-0007": false,
		"TS20261128-0007x": false, " TS20261128-0007": false, "": false,
	} {
		if got := complaintbot.IsCaseNumber(s); got != want {
			t.Errorf("IsCaseNumber(%q) = %v, want %v", s, got, want)
		}
	}
}
