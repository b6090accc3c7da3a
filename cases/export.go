package cases

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// scope is the branch codes whose cases u sees, as a storage.CaseFilter's Branches: nil for head
// office (every case), else u's branches (head office's code left out).
func scope(u *complaintbot.User) []string {
	if u.HeadOffice() {
		return nil
	}
	out := []string{}
	for _, b := range u.Branches {
		if b != complaintbot.HeadOffice {
			out = append(out, b)
		}
	}
	return out
}

// Export hands out the cases matching f within who's branches (f.Branches is set to them),
// newest first, at most limit, for the case list's export. It is audited before its data
// leaves: the audit entry (AuditExport; after: "cases.csv; " and query, the list's filter as
// asked) is written once the first case has been read (so that a failed read is answered as an
// error, not as an empty file), before begin is called and the first case is given to row. With
// no case matching, it is written and begin called at the end. An entry that cannot be written
// ends the export with an *Error with ErrAudit, before begin: nothing was handed out. Errors of
// begin and row end the export and are returned as they are.
func (s *Service) Export(ctx context.Context, who complaintbot.Actor, f storage.CaseFilter, limit int, query string,
	begin func() error, row func(*complaintbot.Case) error) error {
	if who.User == nil {
		return errors.New("cases: an export without a user")
	}
	f.Branches = scope(who.User)
	started := false
	start := func() error {
		started = true
		if err := s.store.Audit(ctx, &storage.AuditEntry{At: s.clock.Now(), User: who.User.Name, Action: AuditExport, TargetType: "case",
			After: "cases.csv; " + query, Addr: who.Addr}); err != nil {
			s.log.Error("write audit trail: export not carried out", "action", AuditExport, "err", err)
			return &Error{Reason: ErrAudit, Err: err}
		}
		return begin()
	}
	err := s.store.EachCase(ctx, f, limit, func(rec *complaintbot.Case) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		return row(rec)
	})
	if err == nil && !started {
		err = start() // no case matches: the header alone
	}
	return err
}
