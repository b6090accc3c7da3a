package bot_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
)

// BenchmarkReplayCheck measures what the replay record costs a plaintext message: the same
// service on the embedded database answers greetings from 1 and 10 customers at once, with the
// check and without it, in alternating rounds. Run with a fixed count, e.g.
//
//	go test ./bot -run '^$' -bench ReplayCheck -benchtime 2000x
func BenchmarkReplayCheck(b *testing.B) {
	for _, customers := range []int{1, 10} {
		for _, round := range []int{1, 2} {
			for _, check := range []bool{true, false} {
				b.Run(fmt.Sprintf("customers=%d/round=%d/check=%v", customers, round, check), func(b *testing.B) {
					h := apptest.New(b, func(c *config.Config) { c.Outbox.PollInterval = config.Duration(time.Hour) })
					if !check {
						h.App.Webhook.SetCallbackStore(nil)
					}
					h.Sim.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 30 * time.Second}
					for c := range customers { // warm up: every customer has a conversation
						h.Say(fmt.Sprintf("oBench%04d", c), "你好")
					}
					var left atomic.Int64
					left.Store(int64(b.N))
					var wg sync.WaitGroup
					b.ResetTimer()
					start := time.Now()
					for c := range customers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for left.Add(-1) >= 0 {
								r, err := h.Sim.Text(fmt.Sprintf("oBench%04d", c), "你好")
								if err != nil || r.Status != 200 || r.Text == "" {
									b.Errorf("%v %+v", err, r)
									return
								}
							}
						}()
					}
					wg.Wait()
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
				})
			}
		}
	}
}
