package reports

import (
	"context"
	"fmt"
	"sync"

	"github.com/complaintbot/complaintbot/taxonomy"
)

// jrt is the JR/T 0169 classification the reports name codes from (nil if the embedded file did
// not load, which its own tests rule out: the codes are then shown as they are).
var jrt = sync.OnceValue(func() *taxonomy.Taxonomy {
	t, err := taxonomy.Load()
	if err != nil {
		return nil
	}
	return t
})

// Uncoded is how the reports show an axis a case carries no code on.
const Uncoded = "未编码"

// JRTLabel is a JR/T 0169 code with the names of its path, as the exports and the dashboard show
// it ("A01034 前台业务渠道/电子渠道/网络公众平台"); "" is Uncoded (未编码), and an unknown code (a
// category's older code, a code the data file no longer has) is shown as it is.
func JRTLabel(code string) string {
	t := jrt()
	if code == "" {
		return Uncoded
	}
	if t == nil {
		return code
	}
	return t.Label(code)
}

// CodingLabels are the case's three JR/T 0169 codes with their names (JRTLabel), in the order
// A, B, C.
func CodingLabels(c taxonomy.Coding) []string {
	return []string{JRTLabel(c.Channel), JRTLabel(c.Business), JRTLabel(c.Reason)}
}

// userLabels maps the users' names to their display names (王丽 for wangli): the handler
// (承办人) of a case is its assignee, shown by display name everywhere the reports show it.
// It reads the user list through the read-only connection.
func (s *Service) userLabels(ctx context.Context) (map[string]string, error) {
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: user names: %w", err)
	}
	out := make(map[string]string, len(users))
	for i := range users {
		out[users[i].Name] = users[i].Label()
	}
	return out, nil
}

// label is the display name of the user name (the name itself for an unknown user).
func label(names map[string]string, name string) string {
	if l, ok := names[name]; ok {
		return l
	}
	return name
}
