// Package keylock orders the work on one key (a customer, a turn, a phone number's entries) within
// a process: work on the same key takes turns, work on other keys mostly does not wait.
package keylock

import (
	"hash/maphash"
	"sync"
)

var seed = maphash.MakeSeed()

// Set is a fixed set of locks shared out among keys by their hash: two keys may share a lock (and
// then wait for each other), one key always has the same. The zero value is ready to use.
type Set struct {
	mus [1024]sync.Mutex
}

// Lock takes key's lock and returns its release.
func (s *Set) Lock(key string) (unlock func()) {
	m := &s.mus[maphash.String(seed, key)%uint64(len(s.mus))]
	m.Lock()
	return m.Unlock
}
