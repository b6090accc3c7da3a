package loadtest_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/wechatsim"
)

var (
	complaintRounds = flag.Int("rounds", 12, "rounds of BenchmarkComplaintsVsFloor (half of them the service's first)")
	windowLength    = flag.Duration("window", 15*time.Second, "window length of BenchmarkComplaintsSustained's figures")
	sustainFor      = flag.Duration("sustain-for", 3*time.Minute, "longest BenchmarkComplaintsSustained runs")
)

// caseNumberRe finds a case number in a reply.
var caseNumberRe = regexp.MustCompile(`(TS|JY|BY)\d{8}-\d{4,}`)

// complaintScript files complaints one after another, each as a new customer (the daily cap
// would refuse a sixth), so every eighth message registers a case.
func complaintScript(prefix string) loadtest.Script {
	return func(c, i int) (string, string) {
		return complaintLine(prefix, c, i)
	}
}

// caseCounter counts the confirmations answered with a case number, and when they came; it keeps
// the latencies of the confirmations and of the other messages apart.
type caseCounter struct {
	n       atomic.Int64
	mu      sync.Mutex
	start   time.Time
	at      []time.Duration
	confirm []time.Duration
	other   []time.Duration
}

func (k *caseCounter) observe(c, i int, text string, r *wechatsim.Reply, err error, took time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if text == "确认" {
		k.confirm = append(k.confirm, took)
	} else {
		k.other = append(k.other, took)
	}
	if err == nil && text == "确认" && caseNumberRe.MatchString(r.Text) {
		k.n.Add(1)
		k.at = append(k.at, time.Since(k.start))
	}
}

// split returns the p50 and p99 of the confirmations and of the other messages.
func (k *caseCounter) split() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	c50, c99 := loadtest.Percentiles(k.confirm)
	o50, o99 := loadtest.Percentiles(k.other)
	return fmt.Sprintf("confirmations p50 %.1f ms p99 %.1f ms; other messages p50 %.1f ms p99 %.1f ms", ms(c50), ms(c99), ms(o50), ms(o99))
}

// in counts the cases registered in [from, to) from the start.
func (k *caseCounter) in(from, to time.Duration) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, at := range k.at {
		if at >= from && at < to {
			n++
		}
	}
	return n
}

// startServiceProcess builds (once per benchmark) and starts the service as a program of its own on
// dataDir, with env on top of the load-test settings.
func startServiceProcess(b *testing.B, bin, dataDir string, env ...string) *loadtest.Process {
	svc, err := loadtest.StartService(bin, dataDir, append([]string{"COMPLAINTBOT_WECHAT_APP_ID=" + appID,
		"COMPLAINTBOT_WECHAT_TOKEN=" + token, "COMPLAINTBOT_LOG_LEVEL=error"}, env...))
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

const appID, token = "wx5823bf96d3bd56c7", "QDG6eK"

// buildService builds the service's program, or takes the one COMPLAINTBOT_BENCH_SERVICE names
// (to measure another version of it, e.g. one built from an earlier commit, on the same harness).
func buildService(b *testing.B) string {
	if bin := os.Getenv("COMPLAINTBOT_BENCH_SERVICE"); bin != "" {
		b.Logf("service: %s", bin)
		return bin
	}
	bin, err := loadtest.Build(b.TempDir(), "github.com/complaintbot/complaintbot/cmd/complaintbot")
	if err != nil {
		b.Fatal(err)
	}
	return bin
}

// BenchmarkComplaintsVsFloor is issue 15's comparison on full complaints: 50 customers, each
// filing whole complaints as a new customer (a case every 8 messages), against the service
// (`complaintbot serve`, default configuration, embedded database) and the floor (the SDK in Gin,
// one insert per message) as programs of their own, in alternating rounds of one run. Every
// round's figures are logged; it reports both sides' totals, the service's throughput over the
// floor's overall (x-floor) and in its worst round (worst-x-floor: the service's slowest round
// over the floor's mean), the worst round's p99, and the cases registered.
//
//	go test ./loadtest -run XXX -bench ComplaintsVsFloor -benchtime 60000x -rounds 12
func BenchmarkComplaintsVsFloor(b *testing.B) {
	service := buildService(b)
	floorBin, err := loadtest.Build(b.TempDir(), "github.com/complaintbot/complaintbot/loadtest/floor")
	if err != nil {
		b.Fatal(err)
	}
	const customers = 50
	floor, err := loadtest.StartFloorProcess(floorBin, b.TempDir(), appID, token)
	if err != nil {
		b.Fatal(err)
	}
	defer floor.Stop()
	svc := startServiceProcess(b, service, b.TempDir())
	defer svc.Stop()
	floorSim, serviceSim := client(floor.URL), client(svc.URL)
	for _, sim := range []*wechatsim.Client{floorSim, serviceSim} {
		loadtest.Drive(sim, 1, 500, func(c, i int) (string, string) { return "oWarmUp0001", "你好" })
	}
	cases := caseCounter{start: time.Now()}
	b.ResetTimer()
	fr, sr := loadtest.CompareRounds(floorSim, serviceSim, customers, b.N, *complaintRounds,
		complaintScript("oFloorC"), complaintScript("oFull"), cases.observe)
	b.StopTimer()
	f, s := loadtest.Merge(fr), loadtest.Merge(sr)
	worst, worstP99 := 0.0, time.Duration(0)
	for i := range sr {
		x := sr[i].PerSecond() / f.PerSecond()
		if i == 0 || x < worst {
			worst = x
		}
		worstP99 = max(worstP99, sr[i].P99)
		fmt.Printf("round %2d  floor:   %v\n", i+1, fr[i])
		fmt.Printf("round %2d  service: %v  (%.2f× the floor's mean)\n", i+1, sr[i], x)
	}
	b.ReportMetric(f.PerSecond(), "floor-msg/s")
	b.ReportMetric(ms(f.P99), "floor-p99-ms")
	b.ReportMetric(s.PerSecond()/f.PerSecond(), "x-floor")
	b.ReportMetric(worst, "worst-x-floor")
	b.ReportMetric(ms(worstP99), "worst-p99-ms")
	b.ReportMetric(float64(cases.n.Load()), "cases")
	b.Log("floor:   ", f)
	b.Log("service: ", cases.split())
	if out := svc.Output(); out != "" {
		b.Logf("service errors:\n%s", truncate(out, 4000))
	}
	report(b, s)
}

// BenchmarkComplaintsSustained drives the service alone with 50 customers filing whole complaints
// without a pause, and logs its figures window by window (-window): the stall (fast for
// the first 45 s, then 43 messages/s while what follows the registered cases ran) shows there.
// It reports the whole run and its worst window; it stops after -sustain-for.
//
//	go test ./loadtest -run XXX -bench ComplaintsSustained -benchtime 150000x -window 15s -sustain-for 3m
func BenchmarkComplaintsSustained(b *testing.B) {
	service := buildService(b)
	svc := startServiceProcess(b, service, b.TempDir())
	defer svc.Stop()
	sim := client(svc.URL)
	loadtest.Drive(sim, 1, 500, func(c, i int) (string, string) { return "oWarmUp0001", "你好" })
	cases := caseCounter{start: time.Now()}
	b.ResetTimer()
	ws := loadtest.DriveWindows(sim, 50, b.N, *sustainFor, *windowLength, complaintScript("oFull"), cases.observe)
	b.StopTimer()
	all := ws[len(ws)-1]
	worst := all
	for i, w := range ws[:len(ws)-1] {
		from := time.Duration(i) * *windowLength
		fmt.Printf("window %2d: %v, %d cases\n", i+1, w, cases.in(from, from+*windowLength))
		if w.Elapsed >= *windowLength/2 && (w.PerSecond() < worst.PerSecond() || worst.Messages == all.Messages) {
			worst = w
		}
	}
	b.ReportMetric(worst.PerSecond(), "worst-window-msg/s")
	b.ReportMetric(ms(worst.P99), "worst-window-p99-ms")
	b.ReportMetric(float64(cases.n.Load()), "cases")
	b.Log(cases.split())
	if out := svc.Output(); out != "" {
		b.Logf("service errors:\n%s", truncate(out, 4000))
	}
	report(b, all)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
