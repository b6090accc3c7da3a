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
	Elapsed   time.Duration
	P50, P99  time.Duration
}

// PerSecond is the run's throughput in messages per second.
func (r Result) PerSecond() float64 { return float64(r.Messages) / r.Elapsed.Seconds() }

// String is the result as one line: customers, msg/s, p50, p99, messages and errors.
func (r Result) String() string {
	return fmt.Sprintf("%2d customers: %6.0f msg/s  p50 %6.1f ms  p99 %6.1f ms  (%d messages, %d errors)",
		r.Customers, r.PerSecond(), ms(r.P50), ms(r.P99), r.Messages, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Script says what customer c sends as their i-th message (counted from 0): the customer's
// openid and the text.
type Script func(c, i int) (openID, text string)

// Drive sends total messages, split over customers each sending one after the other (as a person
// in a chat does), and measures every answer. An answer that is not HTTP 200 with a reply, or an
// explicit "success", counts as an error.
func Drive(sim *wechatsim.Client, customers, total int, script Script) Result {
	return drive(sim, customers, total, script, make([]int, customers)).result(customers)
}

// Compare measures two webhooks under the same load in alternating rounds (a, b, then b, a, ...),
// so that both see the same machine: a slower disk or a busy neighbour for a minute shows up in
// both figures instead of in one. Each side gets total messages in all.
func Compare(a, b *wechatsim.Client, customers, total, rounds int, scriptA, scriptB Script) (Result, Result) {
	var sa, sb sample
	nextA, nextB := make([]int, customers), make([]int, customers)
	for r := range rounds {
		n := total/rounds + btoi(r < total%rounds)
		if r%2 == 0 {
			sa.add(drive(a, customers, n, scriptA, nextA))
			sb.add(drive(b, customers, n, scriptB, nextB))
		} else {
			sb.add(drive(b, customers, n, scriptB, nextB))
			sa.add(drive(a, customers, n, scriptA, nextA))
		}
	}
	return sa.result(customers), sb.result(customers)
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
	errs    int
	elapsed time.Duration
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.errs += o.errs
	s.elapsed += o.elapsed
}

func (s sample) result(customers int) Result {
	all := slices.Clone(s.lat)
	slices.Sort(all)
	res := Result{Customers: customers, Messages: len(all), Errors: s.errs, Elapsed: s.elapsed}
	if len(all) > 0 {
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)-1, len(all)*99/100)]
	}
	return res
}

// drive sends total messages from customers at once; next[c] counts the messages customer c has
// sent so far (in earlier runs too) and is advanced.
func drive(sim *wechatsim.Client, customers, total int, script Script, next []int) sample {
	var sent atomic.Int64
	lat := make([][]time.Duration, customers)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ; ; next[c]++ {
				if sent.Add(1) > int64(total) {
					return
				}
				openID, text := script(c, next[c])
				t0 := time.Now()
				r, err := sim.Text(openID, text)
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil || r.Status != 200 || (r.Text == "" && !r.Success) {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	s := sample{elapsed: time.Since(start), errs: int(errs.Load())}
	for _, l := range lat {
		s.lat = append(s.lat, l...)
	}
	return s
}
