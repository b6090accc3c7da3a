package conversations

import "github.com/complaintbot/complaintbot/cases"

// Registry turns a confirmed draft into a case with its promised reply and decision dates. It is
// the case workflow's rule (cases.Registry), shared with the cases agents register.
type Registry = cases.Registry
