// Package loadtest drives a running webhook with signed WeChat messages from many simulated
// customers at once and measures throughput and latency.
package loadtest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot/wechatsim"
)

// Result is what one run measured.
type Result struct {
	Customers int
	Messages  int
	Errors    int
	// Success counts the answers that were a plain "success" instead of a reply (for a message that
	// has one: the reply budget ran out); they are not counted in Errors.
	Success  int
	Elapsed  time.Duration
	P50, P99 time.Duration
	Max      time.Duration
	lat      []time.Duration // sorted
}

// PerSecond is the run's throughput in messages per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// String is the result as one line: customers, msg/s, p50, p99, messages and errors.
func (r Result) String() string {
	return fmt.Sprintf("%2d customers: %6.0f msg/s  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d messages, %d errors, %d success)",
		r.Customers, r.PerSecond(), ms(r.P50), ms(r.P99), ms(r.Max), r.Messages, r.Errors, r.Success)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Script says what customer c sends as their i-th message (counted from 0): the customer's
// openid and the text.
type Script func(c, i int) (openID, text string)

// Observer is told of every answer: customer c's i-th message, what was sent, the answer (nil
// with err set when there was none) and how long it took. It is called from the customers'
// goroutines at once.
type Observer func(c, i int, text string, r *wechatsim.Reply, err error, took time.Duration)

// Drive sends total messages, split over customers each sending one after the other (as a person
// in a chat does), and measures every answer. An answer that is neither HTTP 200 with a reply nor
// an explicit "success" counts as an error; the "success" answers are counted apart.
func Drive(sim *wechatsim.Client, customers, total int, script Script) Result {
	return drive(sim, customers, total, script, make([]int, customers), nil).result(customers)
}

// DriveWindows is Drive, observing every answer (obs may be nil), with the run cut into windows of
// the given length by when each answer came: a service that slows down after a while shows it in
// the later windows. It stops after maxTime (0: when all are sent). The last result is the whole
// run.
func DriveWindows(sim *wechatsim.Client, customers, total int, maxTime, window time.Duration, script Script, obs Observer) []Result {
	var until time.Time
	if maxTime > 0 {
		until = time.Now().Add(maxTime)
	}
	s := driveUntil(sim, customers, total, until, script, make([]int, customers), obs)
	return append(s.windows(customers, window), s.result(customers))
}

// Compare measures two webhooks under the same load in alternating rounds (a, b, then b, a, ...),
// so that both see the same machine: a slower disk or a busy neighbour for a minute shows up in
// both figures instead of in one. Each side gets total messages in all.
func Compare(a, b *wechatsim.Client, customers, total, rounds int, scriptA, scriptB Script) (Result, Result) {
	ra, rb := CompareRounds(a, b, customers, total, rounds, scriptA, scriptB, nil)
	return Merge(ra), Merge(rb)
}

// CompareRounds is Compare returning each round's result (in the order they ran, a's and b's
// apart), so that a side that slows down after a while shows it: the merged figures hide a bad
// round among good ones. obsB, when set, is told of b's answers.
func CompareRounds(a, b *wechatsim.Client, customers, total, rounds int, scriptA, scriptB Script, obsB Observer) ([]Result, []Result) {
	var ra, rb []Result
	nextA, nextB := make([]int, customers), make([]int, customers)
	for r := range rounds {
		n := total/rounds + btoi(r < total%rounds)
		if r%2 == 0 {
			ra = append(ra, drive(a, customers, n, scriptA, nextA, nil).result(customers))
			rb = append(rb, drive(b, customers, n, scriptB, nextB, obsB).result(customers))
		} else {
			rb = append(rb, drive(b, customers, n, scriptB, nextB, obsB).result(customers))
			ra = append(ra, drive(a, customers, n, scriptA, nextA, nil).result(customers))
		}
	}
	return ra, rb
}

// Merge is the results of several runs taken together: messages, errors and times added,
// percentiles over all their latencies.
func Merge(rs []Result) Result {
	if len(rs) == 0 {
		return Result{}
	}
	var s sample
	for _, r := range rs {
		s.add(sample{lat: r.lat, errs: r.Errors, success: r.Success, elapsed: r.Elapsed})
	}
	return s.result(rs[0].Customers)
}

// Percentiles returns the p50 and p99 of the durations (zero when there are none).
func Percentiles(d []time.Duration) (p50, p99 time.Duration) {
	all := slices.Clone(d)
	slices.Sort(all)
	if len(all) == 0 {
		return 0, 0
	}
	return all[len(all)*50/100], all[min(len(all)-1, len(all)*99/100)]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sample is what one or more runs measured.
type sample struct {
	lat     []time.Duration
	at      []time.Duration // when each answer came, from the start of the run (one run only)
	kind    []byte          // each answer: 0 a reply, 'e' an error, 's' a "success" (one run only)
	errs    int
	success int
	elapsed time.Duration
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.errs += o.errs
	s.success += o.success
	s.elapsed += o.elapsed
}

func (s sample) result(customers int) Result {
	all := slices.Clone(s.lat)
	slices.Sort(all)
	res := Result{Customers: customers, Messages: len(all), Errors: s.errs, Success: s.success, Elapsed: s.elapsed, lat: all}
	if len(all) > 0 {
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
		res.Max = all[len(all)-1]
	}
	return res
}

// windows cuts one run's sample by answer time.
func (s sample) windows(customers int, w time.Duration) []Result {
	var out []Result
	for from := time.Duration(0); from < s.elapsed; from += w {
		to := min(from+w, s.elapsed)
		var win sample
		win.elapsed = to - from
		for i, at := range s.at {
			if at >= from && (at < to || (to == s.elapsed && at == to)) {
				win.lat = append(win.lat, s.lat[i])
				switch s.kind[i] {
				case 'e':
					win.errs++
				case 's':
					win.success++
				}
			}
		}
		out = append(out, win.result(customers))
	}
	return out
}

// drive sends total messages from customers at once; next[c] counts the messages customer c has
// sent so far (in earlier runs too) and is advanced.
func drive(sim *wechatsim.Client, customers, total int, script Script, next []int, obs Observer) sample {
	return driveUntil(sim, customers, total, time.Time{}, script, next, obs)
}

// driveUntil is drive, stopping at until (zero: no limit).
func driveUntil(sim *wechatsim.Client, customers, total int, until time.Time, script Script, next []int, obs Observer) sample {
	var sent atomic.Int64
	type rec struct {
		lat, at time.Duration
		kind    byte
	}
	recs := make([][]rec, customers)
	var errs, success atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ; ; next[c]++ {
				if sent.Add(1) > int64(total) || (!until.IsZero() && time.Now().After(until)) {
					return
				}
				openID, text := script(c, next[c])
				t0 := time.Now()
				r, err := sim.Text(openID, text)
				now := time.Now()
				var kind byte
				switch {
				case err != nil || r.Status != 200 || (r.Text == "" && !r.Success):
					kind = 'e'
					errs.Add(1)
				case r.Success:
					kind = 's'
					success.Add(1)
				}
				recs[c] = append(recs[c], rec{lat: now.Sub(t0), at: now.Sub(start), kind: kind})
				if obs != nil {
					obs(c, next[c], text, r, err, now.Sub(t0))
				}
			}
		}()
	}
	wg.Wait()
	s := sample{elapsed: time.Since(start), errs: int(errs.Load()), success: int(success.Load())}
	for _, l := range recs {
		for _, r := range l {
			s.lat = append(s.lat, r.lat)
			s.at = append(s.at, r.at)
			s.kind = append(s.kind, r.kind)
		}
	}
	return s
}
