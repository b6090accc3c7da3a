package keylock

import (
	"sync"
	"testing"
)

// Work on one key takes turns: counting under the key's lock from many goroutines loses nothing
// (the race detector would see the counter written at once otherwise).
func TestOneKeyTakesTurns(t *testing.T) {
	var s Set
	n := 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 100 {
				unlock := s.Lock("oCustomer0001")
				n++
				unlock()
			}
		})
	}
	wg.Wait()
	if n != 5000 {
		t.Fatalf("counted %d, want 5000", n)
	}
}
