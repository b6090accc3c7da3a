package storage

import (
	"context"
	"errors"

	"github.com/complaintbot/complaintbot"
)

// CaseRows returns the list fields (see ListCases) of the cases of the numbers, by number; a
// number without a case is left out. On the embedded server they come from the case index; on
// MongoDB (or before the index is loaded) each is read by _id on the read-only connection.
func (s *Store) CaseRows(ctx context.Context, numbers []string) (map[string]*complaintbot.Case, error) {
	out := map[string]*complaintbot.Case{}
	if x := s.caseIndex; x.view(ctx, func([]*indexRow) {
		for _, n := range numbers {
			if r, ok := x.rows[n]; ok {
				c := r.listCase()
				out[n] = &c
			}
		}
	}) {
		return out, nil
	}
	for _, n := range numbers {
		if _, ok := out[n]; ok || n == "" {
			continue
		}
		c, err := s.caseListRow(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[n] = c
	}
	return out, nil
}
