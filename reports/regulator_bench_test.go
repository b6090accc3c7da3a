package reports_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// BenchmarkRegulator200k seeds a year of report facts (365 days × 548 cases = 200,020, three in
// five complaints, coded on the three axes, with register texts of a realistic length) on the
// store under test, inserted day by day with InsertMany, and measures the regulator figures of a
// month, a quarter, and a quarter for one branch: cold (no day has its summary: each is built from
// the day's facts, as rebuildDirty does after every change of a day) and warm (every day's
// summary read by _id, the usual case).
//
//	go test -run '^$' -bench Regulator200k -benchtime 1x -timeout 40m ./reports/
func BenchmarkRegulator200k(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	tx, err := taxonomy.Load()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 8))
	leaves := map[taxonomy.Axis][]taxonomy.Node{}
	for _, a := range taxonomy.Axes() {
		leaves[a] = tx.Leaves(a)
	}
	kinds := []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindComplaint, complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}
	story := strings.Repeat("柜员办理业务时态度冷淡，等了很久", 8)
	first := time.Date(2025, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	var periods []string
	seq := 0
	start := time.Now()
	for d := first; d.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai)); d = d.AddDate(0, 0, 1) {
		facts := make([]storage.ReportFact, 0, 548)
		for range 548 {
			seq++
			c := complaintbot.Case{Kind: kinds[rng.IntN(len(kinds))], Status: complaintbot.StatusResolved}
			c.Number = fmt.Sprintf("%s%s-%06d", c.Kind.Prefix(), d.Format("20060102"), seq)
			c.Received = d.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			c.ReplyDue, c.DecisionDue = c.Received.Add(72*time.Hour), c.Received.Add(15*24*time.Hour)
			bn := rng.IntN(20)
			c.Branch = complaintbot.Branch{Code: fmt.Sprintf("%02d01", bn), Name: fmt.Sprintf("第%d支行", bn)}
			c.Channel = reports.ReceivedChannels[rng.IntN(len(reports.ReceivedChannels))]
			c.OpenID = fmt.Sprintf("o%06d", rng.IntN(150000))
			c.Fields = map[string]string{complaintbot.FieldDescription: story, complaintbot.FieldRequest: "要求道歉并改进服务", complaintbot.FieldPhone: "13812345678"}
			if rng.IntN(10) > 0 {
				for _, a := range taxonomy.Axes() {
					c.Coding = c.Coding.With(a, leaves[a][rng.IntN(len(leaves[a]))].Code)
				}
			}
			switch rng.IntN(10) {
			case 0:
				c.Status = complaintbot.StatusInvestigating
			case 1:
				c.Status = complaintbot.StatusWithdrawn
			default:
				c.Work.Resolution = &complaintbot.Resolution{Text: story, Reply: story, By: "agent", At: c.Received.Add(time.Duration(rng.IntN(25*24*60)) * time.Minute)}
			}
			facts = append(facts, reports.BuildFact(&c, nil, "", benchNow))
		}
		id := d.Format("2006-01-02")
		if err := st.InsertReportFacts(ctx, id, facts); err != nil {
			b.Fatal(err)
		}
		periods = append(periods, id)
	}
	if err := st.SetReportPeriods(ctx, periods); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d facts in %s", seq, time.Since(start).Round(time.Millisecond))
	svc := reports.New(st, complaintbot.NewManualClock(benchNow), slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		name string
		q    reports.RegulatorQuery
	}{
		{"month", reports.RegulatorQuery{Period: "2026-11"}},
		{"quarter", reports.RegulatorQuery{Period: "2026-Q3"}},
		{"quarter-branch", reports.RegulatorQuery{Period: "2026-Q3", Scope: []string{"0301"}}},
	} {
		c.q.Taxonomy = tx
		from, to, _, err := reports.ParsePeriod(c.q.Period)
		if err != nil {
			b.Fatal(err)
		}
		// cold: no day of the period has its summary yet (the first read after the days changed);
		// warm: every day has it.
		for _, warm := range []bool{false, true} {
			b.Run(c.name+map[bool]string{false: "-cold", true: "-warm"}[warm], func(b *testing.B) {
				var r *reports.RegulatorReport
				for i := 0; i < b.N; i++ {
					if !warm {
						b.StopTimer()
						for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
							if err := st.DropRegulatorDay(ctx, d.Format("2006-01-02")); err != nil {
								b.Fatal(err)
							}
						}
						b.StartTimer()
					}
					var err error
					if r, err = svc.Regulator(ctx, c.q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(r.Total.Complaints), "complaints")
			})
		}
	}
	b.Run("month-full-facts", func(b *testing.B) {
		// The same month read as whole facts (EachReportFact, no projection), for comparison.
		for b.Loop() {
			n := 0
			for d := time.Date(2026, 11, 1, 0, 0, 0, 0, complaintbot.Shanghai); d.Month() == time.November; d = d.AddDate(0, 0, 1) {
				if err := st.EachReportFact(ctx, d.Format("2006-01-02"), storage.FactFilter{Kind: "complaint"}, func(*storage.ReportFact) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "complaints")
		}
	})
}
