package conversations

import (
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
)

// answeredCache remembers the messages this process answered in the last moments, by dedupe
// key, so that WeChat's retry of one (the same MsgId again after a few seconds) is answered from
// memory: no engine run, no case number, no turn insert failing on its key and no lookups of the
// first answer, its outbox rows and its effects (on a year of data those lookups were most of a
// retry's cost, and every other customer waited behind them on the one write connection). An
// entry is made only once its turn is stored, says what this process knows of the turn's
// aftermath (its late replies queued, its effects carried out), and is forgotten after
// answeredKeep or when answeredMax newer messages came. A retry it does not know — after a
// restart, on another instance, or later — takes the database's way (Service.duplicate).
type answeredCache struct {
	mu   sync.Mutex
	m    map[string]*answeredTurn
	ring []string // the keys in the order they came, answeredMax at most
	next int      // where the next key goes in ring
}

// answeredTurn is what a retry needs of the turn that answered a message.
type answeredTurn struct {
	turn *complaintbot.Turn // ID, OpenID, Dedupe, Replies and Effects only
	at   time.Time          // when the turn was stored
	// late: its replies are queued in the outbox; applied: its effects are carried out without
	// an error.
	late, applied bool
}

const (
	// answeredKeep is how long an answer is remembered: WeChat retries within 15 seconds.
	answeredKeep = 30 * time.Second
	// answeredMax bounds the answers remembered (a few hundred bytes each): at a thousand
	// messages a second, the last 20 seconds.
	answeredMax = 20_000
)

// remember records the turn that answered its message at now (its state left out).
func (a *answeredCache) remember(t *complaintbot.Turn, now time.Time, late, applied bool) {
	if t.Dedupe == "" {
		return
	}
	slim := &complaintbot.Turn{ID: t.ID, OpenID: t.OpenID, Dedupe: t.Dedupe, Version: t.Version, At: t.At, Replies: t.Replies, Effects: t.Effects}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]*answeredTurn{}
		a.ring = make([]string, answeredMax)
	}
	if _, ok := a.m[t.Dedupe]; !ok {
		if old := a.ring[a.next]; old != "" {
			delete(a.m, old)
		}
		a.ring[a.next] = t.Dedupe
		a.next = (a.next + 1) % answeredMax
	}
	a.m[t.Dedupe] = &answeredTurn{turn: slim, at: now, late: late, applied: applied}
}

// get returns what is remembered of the message's answer at now, if it is recent.
func (a *answeredCache) get(key string, now time.Time) (answeredTurn, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.m[key]
	if !ok || now.Sub(e.at) > answeredKeep || now.Before(e.at) {
		return answeredTurn{}, false
	}
	return *e, true
}

// update changes what is known of the message's answer, if it is remembered.
func (a *answeredCache) update(key string, change func(e *answeredTurn)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.m[key]; ok {
		change(e)
	}
}

// forget drops the customer's answers.
func (a *answeredCache) forget(openID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.m {
		if e.turn.OpenID == openID {
			delete(a.m, k) // its ring slot is reused in turn
		}
	}
}
