package console

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// rescanEvery is how often the in-memory case index is read again from the database in full, to
// catch changes neither an event nor the store announced (cases written by another program). On
// a year of cases a full read costs the embedded server about a minute of one core, which the
// webhook's customers feel: the store tells the index of every change made through it (see
// storage.Store.OnCaseChange), so the full read is rarely needed.
const rescanEvery = 6 * time.Hour

// caseIndex keeps every case's list row in memory, for the embedded server: it cannot sort or
// filter without reading every document (seconds at 10,000 cases, while its one connection serves
// the webhook too), so the case list, search and reports are answered from here instead. It is
// read in full at start and every rescanEvery, and kept current from the service's events: a
// case registered or added to by a conversation, changed by the console or announced by the
// scheduler. On MongoDB the index is not used: indexed queries answer directly.
type caseIndex struct {
	mu     sync.Mutex
	ready  bool
	rows   map[string]*storage.CaseRow
	sorted []*storage.CaseRow // newest first; nil when it must be rebuilt
	events <-chan events.Event
	// changed holds the cases the store announced as changed (see storage.Store.OnCaseChange),
	// read again by the index's goroutine; poke wakes it.
	changedMu sync.Mutex
	changed   map[string]bool
	poke      chan struct{}
	// loaded is closed once the first full read is done.
	loaded     chan struct{}
	loadedOnce sync.Once
}

// loadWait bounds how long a case list waits for the index's first read after a start before
// it asks the database instead.
const loadWait = 2 * time.Minute

// startIndex loads the index and keeps it current until the console closes.
func (c *Console) startIndex() {
	ch, stop := c.bus.Subscribe(events.Case)
	c.index.events = ch
	c.index.poke = make(chan struct{}, 1)
	c.index.loaded = make(chan struct{})
	c.store.OnCaseChange(func(number string) {
		c.index.changedMu.Lock()
		if c.index.changed == nil {
			c.index.changed = map[string]bool{}
		}
		c.index.changed[number] = true
		c.index.changedMu.Unlock()
		select {
		case c.index.poke <- struct{}{}:
		default:
		}
	})
	go func() {
		defer stop()
		c.rescan()
		// The first read is in (or failed: the lists then ask the database).
		c.index.loadedOnce.Do(func() { close(c.index.loaded) })
		t := time.NewTicker(rescanEvery)
		defer t.Stop()
		for {
			select {
			case <-c.life.Done():
				return
			case <-t.C:
				c.rescan()
			case <-c.index.poke:
				c.index.mu.Lock()
				c.reindexChanged(c.life)
				c.index.mu.Unlock()
			case e, ok := <-ch:
				if !ok {
					return
				}
				c.index.mu.Lock()
				c.applyEvent(c.life, e)
				c.index.mu.Unlock()
			}
		}
	}()
}

func (c *Console) rescan() {
	ctx, cancel := context.WithTimeout(c.life, 5*time.Minute)
	defer cancel()
	rows, err := c.store.AllCaseRows(ctx)
	if err != nil {
		if c.life.Err() == nil {
			c.log.Error("read the case index", "err", err)
		}
		return
	}
	m := make(map[string]*storage.CaseRow, len(rows))
	for i := range rows {
		m[rows[i].Number] = &rows[i]
	}
	c.index.mu.Lock()
	c.index.rows, c.index.sorted, c.index.ready = m, nil, true
	c.index.mu.Unlock()
}

// applyEvent brings the index up to date with one event; the caller holds the lock.
func (c *Console) applyEvent(ctx context.Context, e events.Event) {
	if e.Kind == events.Case {
		c.reindex(ctx, e.Ref)
	}
}

// reindex reads one case's row again; the caller holds the lock.
func (c *Console) reindex(ctx context.Context, number string) {
	r, err := c.store.CaseRowByNumber(ctx, number)
	if err != nil {
		return
	}
	if c.index.rows == nil {
		c.index.rows = map[string]*storage.CaseRow{}
	}
	c.index.rows[number] = r
	c.index.sorted = nil
}

// reindexChanged reads again the rows of the cases the store announced as changed; the caller
// holds the lock.
func (c *Console) reindexChanged(ctx context.Context) {
	c.index.changedMu.Lock()
	numbers := c.index.changed
	c.index.changed = nil
	c.index.changedMu.Unlock()
	for n := range numbers {
		c.reindex(ctx, n)
	}
}

// drain applies the events and changes already announced (so that a list read right after a
// change shows it).
func (c *Console) drain(ctx context.Context) {
	c.reindexChanged(ctx)
	for {
		select {
		case e, ok := <-c.index.events:
			if !ok {
				return
			}
			c.applyEvent(ctx, e)
		default:
			return
		}
	}
}

// indexed runs fn on the rows, newest first, when the index is in use and loaded. Right after a
// start it waits for the first full read (up to loadWait): the query it would run instead reads
// and sorts every case as well, which on a year of cases doubles the work the start already does
// and takes the CPU the webhook's customers need.
func (c *Console) indexed(ctx context.Context, fn func(rows []*storage.CaseRow)) bool {
	if !c.useIndex {
		return false
	}
	if c.index.loaded != nil {
		t := time.NewTimer(loadWait)
		select {
		case <-c.index.loaded:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	c.index.mu.Lock()
	defer c.index.mu.Unlock()
	if !c.index.ready {
		return false
	}
	c.drain(ctx)
	if c.index.sorted == nil {
		s := make([]*storage.CaseRow, 0, len(c.index.rows))
		for _, r := range c.index.rows {
			s = append(s, r)
		}
		slices.SortFunc(s, func(a, b *storage.CaseRow) int {
			if x := b.Received.Compare(a.Received); x != 0 {
				return x
			}
			return cmp.Compare(b.Number, a.Number)
		})
		c.index.sorted = s
	}
	fn(c.index.sorted)
	return true
}

// RefreshIndex reads the case index again in full (after cases were written behind the
// service's back, e.g. imported); it does nothing on MongoDB.
func (c *Console) RefreshIndex() {
	if c.useIndex {
		c.rescan()
	}
}
