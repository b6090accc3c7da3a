package complaintbot_test

import (
	"testing"

	"github.com/complaintbot/complaintbot"
)

// A branch user sees their branches only; what concerns no branch (or no known branch) is head
// office's; a disabled account is given no work.
func TestCoversAndCanHandle(t *testing.T) {
	agent := &complaintbot.User{Name: "alice", Branches: []string{"0101"}}
	hq := &complaintbot.User{Name: "root", Branches: []string{complaintbot.HeadOffice}}
	for _, c := range []struct {
		u      *complaintbot.User
		branch string
		want   bool
	}{
		{agent, "0101", true}, {agent, "0201", false}, {agent, complaintbot.NoBranchCode, false}, {agent, "", false},
		{hq, "0101", true}, {hq, complaintbot.NoBranchCode, true}, {hq, "", true},
	} {
		if got := c.u.Covers(c.branch); got != c.want {
			t.Errorf("%s covers %q: %v, want %v", c.u.Name, c.branch, got, c.want)
		}
	}
	off := &complaintbot.User{Name: "bob", Branches: []string{"0101"}, Disabled: true}
	if off.CanHandle("0101") || !agent.CanHandle("0101") {
		t.Error("CanHandle: a disabled account handles work, or an active one does not")
	}
}
