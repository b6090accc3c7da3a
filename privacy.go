package complaintbot

import "strings"

// MaskOpenID shortens an openid for logs, errors and screens that need no more: its first and last
// four characters around "…". An openid of 8 characters or fewer is masked entirely.
func MaskOpenID(openID string) string {
	r := []rune(openID)
	if len(r) <= 8 {
		return "…"
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}

// MaskPhone keeps the first three and last four digits of a phone number and stars the rest; a
// shorter value is starred entirely.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}
