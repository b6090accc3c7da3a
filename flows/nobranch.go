package flows

import "github.com/complaintbot/complaintbot"

// NoBranch returns the branch recorded when a case concerns no particular branch: code
// complaintbot.NoBranchCode, named as the flow file's no_branch says.
func (d *Definition) NoBranch() complaintbot.Branch { return d.noBranch() }
