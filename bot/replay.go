package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// errReplay refuses a callback whose signed timestamp and nonce came before with another body.
var errReplay = errors.New("timestamp and nonce already used with another body (replayed signature)")

// CallbackStore remembers the signed (timestamp, nonce) pairs the webhook accepted;
// *storage.Store is one.
type CallbackStore interface {
	// RecordCallbacks records the pairs with hashes of their bodies and says for each whether it
	// was seen before.
	RecordCallbacks(ctx context.Context, pairs []storage.CallbackPair) ([]storage.CallbackSeen, error)
	// MaintainCallbacks drops the hours of records too old to matter and, with prepare, makes the
	// coming ones ready.
	MaintainCallbacks(ctx context.Context, now time.Time, skew time.Duration, prepare bool) (int, error)
}

// maintainTimeout bounds one maintenance of the replay records.
const maintainTimeout = 30 * time.Second

// replayGuard refuses plaintext callbacks that reuse a signature. In plaintext mode WeChat's
// signature covers only the token, timestamp and nonce, not the body, so a captured signed URL
// could carry any body while its timestamp is within the clock skew. The guard records every
// pair it accepts (an insert on a unique key, so it holds across instances and restarts) with a
// hash of the body: the same pair with the same body again is WeChat repeating its callback and
// goes on (the message is then deduped by its MsgId and answered with the stored reply); the same
// pair with another body is a replay and is refused. Encrypted callbacks need no record: their
// msg_signature covers the encrypted body, so another body fails the signature check, and the
// same body again is a retry the dedupe answers.
//
// The record costs an insert on the database connection every customer's message waits for; the
// store writes the pairs of callbacks arriving together in one insert (its grouped inserts).
//
// Once an hour (on the injected clock), the first callback starts the records' maintenance in
// the background, which prepares the coming hours and drops the past ones. Background work
// (spawn: the webhook tracks it, see Webhook.Wait) ends when it is done.
type replayGuard struct {
	store CallbackStore
	clock complaintbot.Clock
	skew  time.Duration
	log   *slog.Logger
	spawn func(func())

	mu         sync.Mutex
	maintained int64     // the hour (Unix time / 3600) maintenance last succeeded in
	retryAt    time.Time // after a failed maintenance, the next is not tried before this
	running    bool
	plaintext  bool // a plaintext callback came: the coming hours are prepared
}

// seen records the callback's pair and says whether it was seen before.
func (g *replayGuard) seen(ctx context.Context, ts int64, nonce string, body []byte) (storage.CallbackSeen, error) {
	g.maybeMaintain(true)
	sum := sha256.Sum256(body)
	seen, err := g.store.RecordCallbacks(ctx, []storage.CallbackPair{{TS: ts, Nonce: nonce, BodyHash: hex.EncodeToString(sum[:16])}})
	if err != nil {
		return storage.CallbackNew, err
	}
	return seen[0], nil
}

// maybeMaintain starts the maintenance if it has not run in this hour (or, for the first
// plaintext callback, not with the coming hours prepared). An encrypted callback (plaintext
// false) needs no record, but has the records of an earlier plaintext time dropped.
func (g *replayGuard) maybeMaintain(plaintext bool) {
	now := g.clock.Now()
	hour := now.Unix() / 3600
	g.mu.Lock()
	if plaintext && !g.plaintext {
		g.plaintext, g.maintained = true, 0
	}
	if g.running || hour == g.maintained || now.Before(g.retryAt) {
		g.mu.Unlock()
		return
	}
	g.running = true
	prepare := g.plaintext
	g.mu.Unlock()
	g.spawn(func() {
		ctx, cancel := context.WithTimeout(context.Background(), maintainTimeout)
		defer cancel()
		dropped, err := g.store.MaintainCallbacks(ctx, now, g.skew, prepare)
		g.mu.Lock()
		defer g.mu.Unlock()
		g.running = false
		if err != nil {
			g.retryAt = now.Add(time.Minute)
			g.log.Error("maintain the webhook's replay records", "err", err)
			return
		}
		if prepare == g.plaintext { // else a plaintext callback came meanwhile: prepare next time
			g.maintained = hour
		}
		if dropped > 0 {
			g.log.Info("dropped old webhook replay records", "hours", dropped)
		}
	})
}
