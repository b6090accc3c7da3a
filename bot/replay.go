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
// The record costs an insert on the database connection every customer's message waits for, so
// the callbacks that arrive while one is being recorded wait and go together in one insert (as
// the turn writer does for turns); when nothing is being recorded the callback records its own
// pair at once.
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

	wmu     sync.Mutex
	writing bool       // a group of pairs is on its way to the database
	queue   []*pairReq // pairs waiting for the next group
}

type pairReq struct {
	pair storage.CallbackPair
	done chan pairResult // buffered: the writer never waits for the caller
}

type pairResult struct {
	seen storage.CallbackSeen
	err  error
}

// maxPairBatch bounds one group of pairs.
const maxPairBatch = 256

// pairWriteTimeout bounds the insert of a group recorded for others.
const pairWriteTimeout = 10 * time.Second

// seen records the callback's pair and says whether it was seen before.
func (g *replayGuard) seen(ctx context.Context, ts int64, nonce string, body []byte) (storage.CallbackSeen, error) {
	g.maybeMaintain(true)
	sum := sha256.Sum256(body)
	req := &pairReq{pair: storage.CallbackPair{TS: ts, Nonce: nonce, BodyHash: hex.EncodeToString(sum[:16])}, done: make(chan pairResult, 1)}
	g.wmu.Lock()
	if g.writing {
		g.queue = append(g.queue, req) // the group being written takes it along when done
		g.wmu.Unlock()
		select {
		case r := <-req.done:
			return r.seen, r.err
		case <-ctx.Done():
			return storage.CallbackNew, ctx.Err() // it is recorded all the same
		}
	}
	g.writing = true
	g.wmu.Unlock()
	g.write(ctx, []*pairReq{req})
	if batch := g.take(); batch != nil {
		// Pairs queued up meanwhile: recorded in the background, so that this caller goes on now.
		g.spawn(func() {
			for ; batch != nil; batch = g.take() {
				ctx, cancel := context.WithTimeout(context.Background(), pairWriteTimeout)
				g.write(ctx, batch)
				cancel()
			}
		})
	}
	r := <-req.done
	return r.seen, r.err
}

// take returns the next group of queued pairs, or nil (and ends the writing) when none is queued.
func (g *replayGuard) take() []*pairReq {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if len(g.queue) == 0 {
		g.writing = false
		return nil
	}
	n := min(len(g.queue), maxPairBatch)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	return batch
}

// write records a group of pairs and hands each caller its answer.
func (g *replayGuard) write(ctx context.Context, batch []*pairReq) {
	pairs := make([]storage.CallbackPair, len(batch))
	for i, r := range batch {
		pairs[i] = r.pair
	}
	seen, err := g.store.RecordCallbacks(ctx, pairs)
	for i, r := range batch {
		if err != nil {
			r.done <- pairResult{err: err}
			continue
		}
		r.done <- pairResult{seen: seen[i]}
	}
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
