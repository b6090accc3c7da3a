package gcfloor_test

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/gcfloor"
)

var sink []byte

// settledGOGC collects and reads GOGC (without changing it) until done accepts the reading or a
// few seconds have passed, and returns the last reading: the floor adjusts it in a cleanup that
// runs after a collection, on a goroutine of its own, later on a loaded machine.
func settledGOGC(done func(percent int) bool) int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	deadline := time.Now().Add(3 * time.Second)
	for {
		runtime.GC() // each collection runs the floor's cleanup again
		time.Sleep(10 * time.Millisecond)
		metrics.Read(s)
		p := int(s[0].Value.Uint64())
		if done(p) || time.Now().After(deadline) {
			return p
		}
	}
}

// churn allocates n bytes of short-lived garbage and returns how many collections ran meanwhile.
func churn(n int) uint32 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n/(16<<10); i++ {
		sink = make([]byte, 16<<10)
	}
	runtime.ReadMemStats(&after)
	return after.NumGC - before.NumGC
}

// With a 64 MB floor, 512 MB of garbage over a small live heap takes a handful of collections
// instead of one every few megabytes; stopping restores the collector's own pace and setting.
func TestFloorMakesCollectionsRare(t *testing.T) {
	if debug.SetGCPercent(100) != 100 {
		t.Skip("GOGC is set for this process")
	}
	runtime.GC()
	usual := churn(512 << 20)

	stop := gcfloor.Keep(64 << 20)
	runtime.GC()
	floored := churn(512 << 20)
	raised := settledGOGC(func(p int) bool { return p > 100 }) // the setting the floor keeps over a small live heap
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after stop GOGC is %d, want 100 back", got)
	}
	runtime.GC()
	after := churn(512 << 20)

	t.Logf("collections for 512 MB of garbage: usual %d, with the floor %d, after stop %d", usual, floored, after)
	// 512 MB over a 64 MB floor is 8 cycles; at most twice that. The usual pace is a cycle every
	// few MB on a quiet machine but far fewer on a loaded one (a starved collector completes fewer
	// cycles), so it is only required to be more.
	if raised <= 100 {
		t.Errorf("over a small live heap the floor keeps GOGC at %d: want it raised above 100", raised)
	}
	if floored == 0 || floored > 16 {
		t.Errorf("with a 64 MB floor: %d collections (usual pace %d): want a few (at most 16)", floored, usual)
	}
	// The usual pace itself varies with the machine's load (a starved collector completes fewer
	// cycles for the same garbage, down to a fifth of the quiet pace in a loaded suite): after
	// stop the collector must run more often than under the floor; that GOGC itself is back is
	// checked above.
	if after <= floored {
		t.Errorf("after stop: %d collections, want the usual pace (%d) back, not the floor's (%d)", after, usual, floored)
	}
}

// A live heap past the floor keeps the collector's usual pace: the floor never makes it run more
// often, nor lets a big heap grow further than usual.
func TestBigLiveHeapKeepsTheUsualPace(t *testing.T) {
	if debug.SetGCPercent(100) != 100 {
		t.Skip("GOGC is set for this process")
	}
	live := make([][]byte, 96)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	usual := churn(1 << 30)
	stop := gcfloor.Keep(64 << 20)
	defer stop()
	runtime.GC()
	floored := churn(1 << 30)
	// The setting the floor left after the last collection: past the floor it is the usual one.
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	runtime.KeepAlive(live)
	t.Logf("collections for 1 GB of garbage over 96 MB live: usual %d, with a 64 MB floor %d (GOGC %d)", usual, floored, percent)
	if percent != 100 {
		t.Errorf("with 96 MB live over a 64 MB floor, GOGC is %d: want the usual 100", percent)
	}
	// The counts themselves vary with the machine's load (a starved collector completes fewer
	// cycles): they are logged, the setting is what is checked.

}
