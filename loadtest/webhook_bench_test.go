package loadtest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/wechatsim"
)

// These benchmarks drive real HTTP servers; run them with a fixed message count, e.g.
//
//	go test ./loadtest -run XXX -bench . -benchtime 3000x
//
// Each reports msg/s, p50-ms and p99-ms.

var customerCounts = []int{1, 10, 50}

func report(b *testing.B, r loadtest.Result) {
	b.ReportMetric(r.PerSecond(), "msg/s")
	b.ReportMetric(float64(r.P50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(r.P99)/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(0, "ns/op")
	if r.Errors > 0 {
		b.Fatalf("%d of %d messages failed", r.Errors, r.Messages)
	}
	b.Log(r)
}

func client(url string) *wechatsim.Client {
	return &wechatsim.Client{URL: url, Token: "QDG6eK", AppID: "wx5823bf96d3bd56c7",
		HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}, Timeout: 30 * time.Second}}
}

// BenchmarkFloor is the SDK in Gin with one insert per message into the embedded database,
// answering with the service's welcome text (what BenchmarkWebhookGreeting's customers get).
func BenchmarkFloor(b *testing.B) {
	for _, n := range customerCounts {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			sim := startFloor(b)
			b.ResetTimer()
			report(b, loadtest.Drive(sim, n, b.N, floorScript))
		})
	}
}

func floorScript(c, i int) (string, string) { return fmt.Sprintf("oFloor%04d", c), "你好" }

// startFloor serves the floor on its own embedded database, warmed up.
func startFloor(b *testing.B) *wechatsim.Client {
	st := storagetest.Open(b)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		b.Fatal(err)
	}
	f, err := loadtest.StartFloor(st, "127.0.0.1:0", "wx5823bf96d3bd56c7", "QDG6eK", engine.Welcome())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = f.Close() })
	sim := client(f.URL)
	loadtest.Drive(sim, 1, 500, func(c, i int) (string, string) { return "oWarmUp0001", "你好" })
	return sim
}

// BenchmarkWebhookVsFloor is issue #2's comparison. The service (`complaintbot serve`, default
// configuration, embedded database) and the floor (package loadtest/floor: the SDK in Gin, one
// insert per message into an embedded database of its own, Go's default runtime settings) each
// run as a program of their own, as they would in production; customers keep saying hello to
// both, in alternating rounds of the same run (see loadtest.Compare). It reports the floor's
// figures (floor-*), the service's, and the service's throughput as a share of the floor's.
//
//	go test ./loadtest -run XXX -bench WebhookVsFloor -benchtime 6000x
func BenchmarkWebhookVsFloor(b *testing.B) {
	bin := b.TempDir()
	service, err := loadtest.Build(bin, "github.com/complaintbot/complaintbot/cmd/complaintbot")
	if err != nil {
		b.Fatal(err)
	}
	floorBin, err := loadtest.Build(bin, "github.com/complaintbot/complaintbot/loadtest/floor")
	if err != nil {
		b.Fatal(err)
	}
	const appID, token = "wx5823bf96d3bd56c7", "QDG6eK"
	for _, n := range customerCounts {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			floor, err := loadtest.StartFloorProcess(floorBin, b.TempDir(), appID, token)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Stop()
			svc, err := loadtest.StartService(service, b.TempDir(), []string{"COMPLAINTBOT_WECHAT_APP_ID=" + appID,
				"COMPLAINTBOT_WECHAT_TOKEN=" + token, "COMPLAINTBOT_LOG_LEVEL=error"})
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Stop()
			floorSim, serviceSim := client(floor.URL), client(svc.URL)
			for _, sim := range []*wechatsim.Client{floorSim, serviceSim} {
				loadtest.Drive(sim, 1, 500, func(c, i int) (string, string) { return "oWarmUp0001", "你好" })
			}
			b.ResetTimer()
			f, s := loadtest.Compare(floorSim, serviceSim, n, b.N, 10, floorScript,
				func(c, i int) (string, string) { return fmt.Sprintf("oGreet%04d", c), "你好" })
			b.ReportMetric(f.PerSecond(), "floor-msg/s")
			b.ReportMetric(float64(f.P50)/float64(time.Millisecond), "floor-p50-ms")
			b.ReportMetric(float64(f.P99)/float64(time.Millisecond), "floor-p99-ms")
			b.ReportMetric(100*s.PerSecond()/f.PerSecond(), "%-of-floor")
			b.Log("floor:   ", f)
			report(b, s)
		})
	}
}

// startService starts the service as configured by default (the test harness polls the outbox
// every 50 ms, which a benchmark must not measure).
func startService(b *testing.B) *apptest.Harness {
	return apptest.New(b, func(c *config.Config) {
		c.Log.Level = "error"
		c.Outbox.PollInterval = config.Default().Outbox.PollInterval
	})
}

// benchService runs the script against a fresh service for each customer count, after a warm-up
// that lets the service finish its start-up work (console index, report rebuild, first scheduler
// runs), so that the run measures the steady state, as the floor's does.
func benchService(b *testing.B, script loadtest.Script) {
	for _, n := range customerCounts {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			sim := startWarmService(b)
			b.ResetTimer()
			report(b, loadtest.Drive(sim, n, b.N, script))
		})
	}
}

// startWarmService starts the service and warms it up; it returns a client of its webhook.
func startWarmService(b *testing.B) *wechatsim.Client {
	h := startService(b)
	sim := client(h.Sim.URL)
	sim.Clock = h.Clock
	loadtest.Drive(sim, 1, 500, func(c, i int) (string, string) { return "oWarmUp0001", "你好" })
	return sim
}

// BenchmarkWebhookGreeting: every customer keeps saying hello (one turn per message).
func BenchmarkWebhookGreeting(b *testing.B) {
	benchService(b, func(c, i int) (string, string) { return fmt.Sprintf("oGreet%04d", c), "你好" })
}

// complaint is a whole complaint, from the first message to the confirmation; the phone number
// (phoneLine) is each customer's own (complaintLine).
var complaint = []string{"我要投诉", "1", "城东支行", "昨天下午3点", "柜员态度很差，让我在窗口等了一个小时也没人理", "希望道歉", "13812345678", "确认"}

// phoneLine is the line of complaint that gives the phone number.
const phoneLine = 6

// complaintLine returns the i-th message of customer c's complaints (each complaint as a new
// customer, with a phone number of their own: 50 people complaining at once do not share one,
// which would make every registration wait for the one before under that number's repeat count).
func complaintLine(prefix string, c, i int) (string, string) {
	n := i / len(complaint)
	who := fmt.Sprintf("%s%04d-%d", prefix, c, n)
	if i%len(complaint) == phoneLine {
		return who, fmt.Sprintf("139%04d%04d", c%10000, n%10000)
	}
	return who, complaint[i%len(complaint)]
}

// BenchmarkWebhookIntake: every customer files complaints one after another, each as a new
// customer (the daily cap would refuse a sixth), so every eighth message registers a case.
func BenchmarkWebhookIntake(b *testing.B) {
	benchService(b, func(c, i int) (string, string) {
		return complaintLine("oIntake", c, i)
	})
}
