package complaintbot

import (
	"slices"
	"time"
)

// Role says what a console user may do.
type Role string

// The console roles, from the least to the most rights.
const (
	RoleAgent      Role = "agent"      // works conversations and cases of their branches
	RoleSupervisor Role = "supervisor" // also reads their branches' reports and the audit trail
	RoleAdmin      Role = "admin"      // also manages users
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin }

// AtLeast reports whether r has the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Label returns the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case RoleAgent:
		return "坐席"
	case RoleSupervisor:
		return "主管"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// HeadOffice is the branch code that binds a user to head office (总行): they see every branch,
// and the conversations and cases that concern no branch.
const HeadOffice = "HQ"

// User is a console account.
type User struct {
	// Name is the login name; it is also the document id.
	Name        string `bson:"_id" json:"username"`
	DisplayName string `bson:"display_name" json:"display_name"`
	Role        Role   `bson:"role" json:"role"`
	// Branches lists the branch codes the user works for; HeadOffice means all of them.
	Branches     []string `bson:"branches" json:"branches"`
	PasswordHash string   `bson:"password_hash" json:"-"`
	// MustChangePassword is set when someone else (an admin, the command line) chose the
	// password: the user must set their own before any other page works.
	MustChangePassword bool      `bson:"must_change_password,omitempty" json:"must_change_password"`
	Disabled           bool      `bson:"disabled" json:"disabled"`
	Created            time.Time `bson:"created_at" json:"created_at"`
	Updated            time.Time `bson:"updated_at" json:"updated_at"`
}

// HeadOffice reports whether the user works for head office (sees every branch).
func (u *User) HeadOffice() bool { return slices.Contains(u.Branches, HeadOffice) }

// Covers reports whether the user may see what concerns the branch code; "" (no branch known)
// and NoBranchCode are head office's only.
func (u *User) Covers(branch string) bool {
	if u.HeadOffice() {
		return true
	}
	return branch != "" && branch != HeadOffice && branch != NoBranchCode && slices.Contains(u.Branches, branch)
}

// CanHandle reports whether the user may be given work that concerns the branch: an account in
// use that covers it.
func (u *User) CanHandle(branch string) bool { return !u.Disabled && u.Covers(branch) }

// Label returns the name to show for the user.
func (u *User) Label() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}
