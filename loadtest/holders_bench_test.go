package loadtest_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/storage"
)

var (
	holdersFor  = flag.Duration("holders-for", 75*time.Second, "how long BenchmarkConnectionHolders drives the service")
	holdersYear = flag.Bool("holders-year", false, "BenchmarkConnectionHolders on a copy of the seeded year (see BenchmarkYearMixed) instead of an empty database")
)

// ourFrame finds the service's own functions in a goroutine's stack.
var ourFrame = regexp.MustCompile(`complaintbot/(storage|reports|scheduler|console|bot)\.(\(\*[A-Za-z]+\)\.)?[A-Za-z_]+`)

// BenchmarkConnectionHolders is the profiler that found issue 15's stall: it runs the service in
// this process (default configuration, real clock, embedded database), drives it with 50
// customers filing full complaints for -holders-for, and meanwhile
//
//   - counts every command sent on the database's main connection, the one customers' messages
//     wait on, by command, collection and whether it reads only by _id (storage.Options.Observe);
//   - samples the goroutines every 500 ms and counts, by the service's functions on their
//     stack, those inside a database operation that are not waiting for a connection: who holds
//     the connections while customers wait (the read-only connection's users included: their
//     stacks name them).
//
// With -holders-year it runs on a copy of BenchmarkYearMixed's seeded year, with that
// benchmark's load (retries, returning customers, console pages). It prints both tables, most frequent first, and reports messages/s, the goroutines waiting for
// a connection per sample and the main connection's commands per message.
//
//	go test ./loadtest -run XXX -bench ConnectionHolders -benchtime 1000000x -holders-for 75s
func BenchmarkConnectionHolders(b *testing.B) {
	cfg := apptest.Config(b.TempDir())
	var sample []string
	if *holdersYear {
		b.Setenv(app.AdminPasswordEnv, adminPassword)
		var seed string
		seed, sample = seededYear(b, *yearCases, *yearCustomers)
		cfg.DataDir = filepath.Join(b.TempDir(), "data")
		if err := loadtest.CopyFolder(seed, cfg.DataDir); err != nil {
			b.Fatal(err)
		}
	}
	cfg.Log.Level = "error"
	cfg.Outbox.PollInterval = config.Default().Outbox.PollInterval
	var mu sync.Mutex
	cmds := map[string]int{}
	total := 0
	observe := func(c storage.Command) {
		coll := c.Collection
		for _, p := range []string{"report_facts_", "sched_due_", "callbacks_"} {
			if strings.HasPrefix(coll, p) {
				coll = p + "*"
			}
		}
		mu.Lock()
		cmds[fmt.Sprintf("%-14s %-20s by _id: %v", c.Name, coll, c.ByID)]++
		total++
		mu.Unlock()
	}
	a, err := app.New(context.Background(), cfg, app.Options{Logger: slog.New(slog.DiscardHandler), ObserveStore: observe})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = a.Shutdown(context.Background()) }()
	if err := a.Start(); err != nil {
		b.Fatal(err)
	}
	sim := client(a.WebhookURL() + cfg.WeChat.Path)
	done := make(chan loadtest.Result)
	b.ResetTimer()
	m := loadtest.Mixed{Sim: sim, Customers: 50, Total: b.N, Script: complaintScript("oHold"), MaxTime: *holdersFor}
	if *holdersYear { // BenchmarkYearMixed's load
		console := &loadtest.ConsoleClient{Base: a.ConsoleURL(), HTTP: &http.Client{Timeout: 30 * time.Second}}
		if err := console.Login("admin", adminPassword); err != nil {
			b.Fatal(err)
		}
		m = yearMix(sim, console, sample, b.N)
		m.MaxTime = *holdersFor
	}
	go func() {
		r := m.Run()
		fmt.Println("new customers:      ", r.First)
		fmt.Println("retries:            ", r.Retries)
		fmt.Println("returning customers:", r.Returning)
		fmt.Println("console pages:      ", r.Console)
		done <- r.First
	}()
	holders := map[string]int{}
	waiting, samples := 0, 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var res loadtest.Result
loop:
	for {
		select {
		case res = <-done:
			break loop
		case <-tick.C:
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 2)
			samples++
			for _, g := range strings.Split(buf.String(), "\n\n") {
				if !strings.Contains(g, "go.mongodb.org/mongo-driver") || !strings.Contains(g, "driver.Operation") {
					continue
				}
				if strings.Contains(g, "checkOut") {
					waiting++
					continue
				}
				holders[strings.Join(ourFrame.FindAllString(g, 4), " < ")]++
			}
		}
	}
	b.StopTimer()
	fmt.Println("holding a connection (samples):")
	printCounts(holders)
	fmt.Println("main connection commands:")
	mu.Lock()
	printCounts(cmds)
	b.ReportMetric(float64(total)/float64(max(res.Messages, 1)), "main-cmds/msg")
	mu.Unlock()
	b.ReportMetric(float64(waiting)/float64(max(samples, 1)), "waiting/sample")
	report(b, res)
}

func printCounts(m map[string]int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int { return m[y] - m[x] })
	for _, k := range keys {
		fmt.Printf("%8d  %s\n", m[k], k)
	}
}
