// Package events is the service's in-process publish/subscribe bus: the webhook and the console
// announce what changed (a customer message, a queued customer, a claimed conversation) and live
// views subscribe. It carries ids only, never customer data, so a subscriber re-reads what it may
// show through the normal, access-checked queries. Events are not durable and reach only this
// process: views must also refresh on their own now and then (several instances do not share a bus).
package events

import (
	"slices"
	"sync"
	"time"
)

// Kind says what happened.
type Kind string

// The kinds of event.
const (
	// Turn: a customer's message (or a control change) was applied to a conversation.
	Turn Kind = "turn"
	// Queued: a customer asked for a person.
	Queued Kind = "queued"
	// Handoff: a conversation's owner changed (claimed, released, transferred, ended).
	Handoff Kind = "handoff"
	// Case: a case changed.
	Case Kind = "case"
	// Risk: a case's risk flag was raised (Ref is the case number): its branch supervisor is
	// alerted.
	Risk Kind = "risk"
)

// Event is one change.
type Event struct {
	Kind   Kind
	OpenID string
	// Ref is the turn id, case number or handoff id the event is about.
	Ref string
	At  time.Time
}

// Bus fans events out to subscribers. The zero value is ready to use; it is safe for concurrent use.
type Bus struct {
	mu   sync.Mutex
	subs map[chan Event][]Kind // the kinds each subscriber wants; nil = all
}

// Publish sends e to every subscriber without blocking: a subscriber whose buffer is full misses
// it (and catches up on its next refresh).
func (b *Bus) Publish(e Event) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch, kinds := range b.subs {
		if kinds != nil && !slices.Contains(kinds, e.Kind) {
			continue
		}
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of the events of the given kinds (all kinds when none are given) and
// a function that ends the subscription and closes the channel.
func (b *Bus) Subscribe(kinds ...Kind) (<-chan Event, func()) {
	ch := make(chan Event, 64)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan Event][]Kind{}
	}
	if len(kinds) == 0 {
		kinds = nil
	}
	b.subs[ch] = kinds
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, ch)
			b.mu.Unlock()
			close(ch)
		})
	}
}
