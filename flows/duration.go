package flows

import (
	"strconv"
	"time"
)

// formatDuration renders a duration for the customer: 24小时, 2天, 30分钟.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "天"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "小时"
	default:
		return strconv.Itoa(int(d/time.Minute)) + "分钟"
	}
}
