package storage

import "testing"

// The search for the last of a run of numbers (a customer's newest turn, last complaint entry)
// finds it from any hint: exact, behind (another instance appended), past a deleted run, or none;
// an exact hint costs two lookups.
func TestProbeLatestFromAHint(t *testing.T) {
	for _, c := range []struct {
		name           string
		last, hint     int64
		wantMaxLookups int
	}{
		{"no hint, none stored", 0, 0, 1},
		{"no hint", 1000, 0, 22},
		{"exact hint", 1000, 1000, 2},
		{"hint behind", 1003, 1000, 6},
		{"hint far behind", 5000, 1000, 26},
		{"hint past what is stored (erased)", 3, 1000, 6},
		{"hint past, none stored", 0, 1000, 2},
	} {
		lookups := 0
		got, err := probeLatestFrom(c.hint, func(n int64) (bool, error) {
			lookups++
			return n <= c.last, nil
		})
		if err != nil || got != c.last {
			t.Errorf("%s: found %d (%v), want %d", c.name, got, err, c.last)
		}
		if lookups > c.wantMaxLookups {
			t.Errorf("%s: %d lookups, want at most %d", c.name, lookups, c.wantMaxLookups)
		}
	}
}
