package conversations

import (
	"strings"

	"github.com/complaintbot/complaintbot"
)

// maskTurn masks the openid part of a turn id for logs.
func maskTurn(id string) string {
	openID, version, ok := strings.Cut(id, "#")
	if !ok {
		return complaintbot.MaskOpenID(id)
	}
	return complaintbot.MaskOpenID(openID) + "#" + strings.TrimLeft(version, "0")
}
