package bot

import "strings"

// MaskOpenID shortens an openid for logs: the first and last four characters.
func MaskOpenID(id string) string {
	if len(id) <= 8 {
		return "…"
	}
	return id[:4] + "…" + id[len(id)-4:]
}

// maskTurn masks the openid part of a turn id.
func maskTurn(id string) string {
	openID, version, ok := strings.Cut(id, "#")
	if !ok {
		return MaskOpenID(id)
	}
	return MaskOpenID(openID) + "#" + strings.TrimLeft(version, "0")
}
