package flows

import (
	"slices"

	"github.com/complaintbot/complaintbot"
)

// NoBranch returns the branch recorded when a case concerns no particular branch: code
// complaintbot.NoBranchCode, named as the flow file's no_branch says.
func (d *Definition) NoBranch() complaintbot.Branch { return d.noBranch() }

// QuickReplies returns the agents' ready answers a new database starts with (the flow file's
// quick_replies).
func (d *Definition) QuickReplies() []string { return slices.Clone(d.file.QuickReplies) }
