// Package gcfloor lets a service with a small live heap collect garbage less often. Go starts a
// collection whenever the heap has doubled since the last one, so a service whose live heap is a
// few megabytes collects every few megabytes of garbage: every 50 or so WeChat messages here,
// each collection stealing CPU from the requests it overlaps, which shows in the latency tail.
// Keep gives the heap a floor instead: no collection until the heap reaches it, as long as the
// live heap is small; once the live heap passes half the floor, the collector is back to its
// usual pace.
package gcfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// maxPercent bounds the GOGC that Keep sets, whatever the live heap.
const maxPercent = 5000

// Keep makes the collector let the heap grow to floor bytes before it runs, and returns the
// function that stops this and restores the collector's setting from before. It does nothing
// (and stop does nothing) when the operator manages the collector with GOGC or GOMEMLIMIT.
func Keep(floor uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	if base <= 0 {
		return func() {}
	}
	k := &keeper{floor: floor, base: base, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	k.adjust()
	k.arm()
	var once sync.Once
	return func() {
		once.Do(func() {
			k.stopped.Store(true)
			k.mu.Lock()
			debug.SetGCPercent(base)
			k.mu.Unlock()
		})
	}
}

type keeper struct {
	floor   uint64
	base    int
	stopped atomic.Bool
	mu      sync.Mutex // serialises adjust with stop
	sample  []metrics.Sample
}

// marker is allocated for each collection to come; its cleanup runs once a collection has found
// it unreachable, i.e. after every collection.
type marker struct {
	_ [32]byte // not a tiny allocation, which could share a block with others and live longer
}

func (k *keeper) arm() {
	runtime.AddCleanup(new(marker), func(k *keeper) {
		if k.stopped.Load() {
			return
		}
		k.adjust()
		k.arm()
	}, k)
}

// adjust sets GOGC so that the next collection comes when the heap reaches the floor, or at the
// usual pace when that comes later.
func (k *keeper) adjust() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped.Load() {
		return
	}
	metrics.Read(k.sample)
	var v [3]uint64
	for i, s := range k.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	// The runtime's goal is live + (live + stacks + globals) × GOGC/100, and at least
	// 4 MB × GOGC/100.
	live, scan := v[0], v[0]+v[1]+v[2]
	percent := k.base
	if live < k.floor && scan > 0 {
		limit := min(maxPercent, int(k.floor*100/(4<<20)))
		percent = max(k.base, min(limit, int((k.floor-live)*100/scan)))
	}
	debug.SetGCPercent(percent)
}
