package users

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// AuditQuery is what a reader of the audit trail asks for: a kind of target ("" any), one
// target, one user ("" any), as typed (surrounding spaces are dropped).
type AuditQuery struct {
	TargetType, Target, User string
}

// AuditLimit is how many entries one read of the audit trail returns, the newest first.
const AuditLimit = 200

// auditTypesOfBranches are the kinds of target whose entries carry a branch a supervisor may be
// shown: their branches' cases and conversations.
var auditTypesOfBranches = []string{"case", "conversation"}

// AuditFilter is who sees which audit entries (design.md §9, "who sees what"): admins see every
// entry; supervisors only the entries of cases and conversations of their branches (head office
// supervisors: of every branch and of none) and are refused (Forbidden) another kind of target;
// agents are refused the audit trail.
func (s *Service) AuditFilter(who complaintbot.Actor, q AuditQuery) (storage.AuditFilter, error) {
	u := who.User
	if u == nil || !u.Role.AtLeast(complaintbot.RoleSupervisor) {
		return storage.AuditFilter{}, errForbidden
	}
	f := storage.AuditFilter{TargetType: q.TargetType, Target: strings.TrimSpace(q.Target), User: strings.TrimSpace(q.User), Limit: AuditLimit}
	if u.Role == complaintbot.RoleAdmin {
		return f, nil
	}
	if f.TargetType != "" && !slices.Contains(auditTypesOfBranches, f.TargetType) {
		return f, errForbidden
	}
	if u.HeadOffice() { // every branch's entries and those of none, but not the accounts' and the like
		f.Branches = []string{""}
		for _, b := range s.branches {
			f.Branches = append(f.Branches, b.Code)
		}
		return f, nil
	}
	f.Branches = []string{}
	for _, b := range u.Branches {
		if b != complaintbot.HeadOffice {
			f.Branches = append(f.Branches, b)
		}
	}
	return f, nil
}

// AuditLog returns the newest entries of the audit trail matching q that who may see
// (AuditFilter), with the filter they were read with.
func (s *Service) AuditLog(ctx context.Context, who complaintbot.Actor, q AuditQuery) ([]storage.AuditEntry, storage.AuditFilter, error) {
	f, err := s.AuditFilter(who, q)
	if err != nil {
		return nil, f, err
	}
	entries, err := s.store.AuditLog(ctx, f)
	if err != nil {
		return nil, f, fmt.Errorf("read the audit trail: %w", err)
	}
	return entries, f, nil
}
