package bot

import (
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
)

// Reasons a webhook request is refused, as counted in metrics and logged.
const (
	reasonBadSignature = "bad_signature" // signature, msg_signature, AES key or AppID do not match
	reasonStale        = "stale"         // timestamp missing or outside wechat.max_clock_skew
	reasonReplay       = "replay"        // a signed timestamp and nonce used again with another body
	reasonTooLarge     = "too_large"     // body over server.max_body_bytes
	reasonUnreadable   = "unreadable"    // body could not be read
	reasonMalformed    = "malformed"     // not a WeChat callback
)

// logEvery is how often at most one kind of refusal is logged.
const logEvery = time.Minute

// logLimiter lets one log line per key through per logEvery, on the injected clock, and counts
// the ones it held back: a flood of forged requests costs a counter, not a log line each. It is
// safe for concurrent use.
type logLimiter struct {
	clock complaintbot.Clock
	mu    sync.Mutex
	keys  map[string]*limited
}

type limited struct {
	last       time.Time
	suppressed int
}

// allow reports whether a line for key may be logged now, and how many were held back since the
// last one that was.
func (l *logLimiter) allow(key string) (bool, int) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = make(map[string]*limited)
	}
	k := l.keys[key]
	if k == nil {
		k = &limited{}
		l.keys[key] = k
	} else if d := now.Sub(k.last); d < logEvery && d > -logEvery {
		k.suppressed++
		return false, 0
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	return true, n
}
