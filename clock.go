package complaintbot

import (
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load on machines without a zoneinfo database.
)

// Shanghai is the time zone every date the customer or a report sees is expressed in.
var Shanghai = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Clock tells the current time. Logic reads time only through a Clock so that tests can move it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns the current wall-clock time.
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that only moves when told to; it is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a ManualClock standing at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TravelClock is a Clock standing a chosen span ahead of another: sandbox mode's time travel, so
// that a trainer or tester sees what the service does on day 3 without waiting. It only moves
// forward; it is safe for concurrent use.
type TravelClock struct {
	base   Clock
	offset atomic.Int64 // nanoseconds ahead of base
}

// NewTravelClock returns a TravelClock standing at base's time.
func NewTravelClock(base Clock) *TravelClock { return &TravelClock{base: base} }

// Now returns base's time plus every span the clock was advanced by.
func (c *TravelClock) Now() time.Time { return c.base.Now().Add(c.Offset()) }

// Advance moves the clock forward by d; a d <= 0 leaves it where it is.
func (c *TravelClock) Advance(d time.Duration) {
	if d > 0 {
		c.offset.Add(int64(d))
	}
}

// Offset is how far ahead of base the clock stands.
func (c *TravelClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }
