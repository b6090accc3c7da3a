package conversations

import "sync"

// stateCache keeps the latest conversation state of recently active customers. It is only a
// shortcut: a stale entry is caught by the version check when the turn is written.
type stateCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedState
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, entries: make(map[string]cachedState)}
}

func (c *stateCache) get(openID string) (cachedState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.entries[openID]
	return cs, ok
}

func (c *stateCache) put(openID string, cs cachedState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[openID]; !ok && len(c.entries) >= c.max {
		for k := range c.entries { // drop an arbitrary entry; it is reloaded when needed
			delete(c.entries, k)
			break
		}
	}
	c.entries[openID] = cs
}

func (c *stateCache) drop(openID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, openID)
}

// markStale keeps the entry's version as a lower bound but forces a reload from the database; a
// customer with no entry gets a stale one, so that the next read goes to the database too.
func (c *stateCache) markStale(openID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.entries[openID]
	cs.stale = true
	c.entries[openID] = cs
}
