package reports_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// fold is the Go reference fold of a day's facts (see storage.FoldFacts).
func fold(day string, facts []storage.ReportFact) *storage.ReportRollup {
	return storage.FoldFacts(day, time.Time{}, facts)
}

// synthFacts makes n facts received on day with random dimensions and outcomes.
func synthFacts(rng *rand.Rand, day time.Time, n int, seq *int) []storage.ReportFact {
	out := make([]storage.ReportFact, 0, n)
	for range n {
		*seq++
		b := rng.IntN(20)
		cat := rng.IntN(12)
		kinds := []string{"complaint", "complaint", "complaint", "suggestion", "praise"}
		received := day.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		c := complaintbot.Case{}
		c.Number = fmt.Sprintf("TS%s-%06d", day.Format("20060102"), *seq)
		c.Kind = complaintbot.Kind(kinds[rng.IntN(len(kinds))])
		c.Status = complaintbot.StatusResolved
		c.OpenID = fmt.Sprintf("o%06d", rng.IntN(150000))
		c.Branch = complaintbot.Branch{Code: fmt.Sprintf("%02d01", b), Name: fmt.Sprintf("第%d支行", b)}
		c.Category = &complaintbot.Category{Code: fmt.Sprintf("C%02d", cat), Name: fmt.Sprintf("类别%d", cat), Channel: fmt.Sprintf("A%02d", cat%4),
			Business: fmt.Sprintf("B%02d", cat%6), Reason: fmt.Sprintf("R%02d", cat)}
		c.Received, c.ReplyDue, c.DecisionDue = received, received.Add(72*time.Hour), received.Add(15*24*time.Hour)
		c.Work.Assignee = fmt.Sprintf("agent%02d-%d", b, rng.IntN(3))
		reply := received.Add(time.Duration(10+rng.IntN(5*24*60)) * time.Minute)
		c.RepliedAt = &reply
		if rng.IntN(10) == 0 {
			c.Status = complaintbot.StatusInvestigating
		} else {
			c.Work.Resolution = &complaintbot.Resolution{Text: "已处理", Reply: "已答复", By: c.Work.Assignee, At: reply.Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)}
		}
		var sv *complaintbot.Survey
		if c.Work.Resolution != nil {
			sv = &complaintbot.Survey{ID: c.Number + "#1", Case: c.Number, Round: 1, Status: complaintbot.SurveySent}
			switch rng.IntN(10) {
			case 0, 1:
				sv.Status = complaintbot.SurveyExpired
			case 2, 3, 4, 5, 6, 7:
				sv.Status, sv.Rating = complaintbot.SurveyAnswered, 1+rng.IntN(5)
				sv.Low = sv.Rating <= 2
				if sv.Low {
					sv.Comment = "不满意"
				}
			}
		}
		follow := ""
		if sv != nil && sv.Low {
			follow = string(storage.FollowUpOpen)
		}
		out = append(out, reports.BuildFact(&c, sv, follow, benchNow))
	}
	return out
}

var benchNow = time.Date(2026, 11, 30, 23, 0, 0, 0, complaintbot.Shanghai)

// TestDatabaseRollupMatchesGoFold checks the database's one-accumulator pipelines against a plain
// Go fold of the same facts (catches the embedded server's silently wrong aggregations).
func TestDatabaseRollupMatchesGoFold(t *testing.T) {
	st := storagetest.Open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	seq := 0
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, complaintbot.Shanghai)
	facts := synthFacts(rng, day, 300, &seq)
	if err := st.InsertReportFacts(context.Background(), "2026-11-27", facts); err != nil {
		t.Fatal(err)
	}
	got, err := st.ComputeDayRollupByPipelines(context.Background(), "2026-11-27", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got.Built = time.Time{}
	want := fold("2026-11-27", facts)
	same(t, "rollup", got, want)
}

// BenchmarkDashboard200k seeds a year of 200,000 cases (with surveys) and measures the dashboard
// for a month and for a year on the store under test (the embedded server unless
// COMPLAINTBOT_TEST_MONGODB_URI is set). The rollups are computed in Go (fold, checked against the
// database by TestDatabaseRollupMatchesGoFold) and inserted with InsertMany: rolling up 365 days
// through the pipelines would take minutes of set-up. The time of rolling up one day in the
// database is measured separately (rollup-day). month-weekly reads 2 days and 4 ISO weeks, month
// one month document, month-days 13 day documents, year 12 month documents.
//
//	go test -run '^$' -bench Dashboard200k -benchtime 20x ./reports/
func BenchmarkDashboard200k(b *testing.B) {
	st := storagetest.Open(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	first := time.Date(2025, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	seq := 0
	var rollups []*storage.ReportRollup
	var periods []string
	months := map[string][]*storage.ReportRollup{}
	weeks := map[string][]*storage.ReportRollup{}
	var sample []storage.ReportFact
	start := time.Now()
	for d := first; d.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai)); d = d.AddDate(0, 0, 1) {
		facts := synthFacts(rng, d, 548, &seq) // 365 × 548 = 200,020 cases
		id := d.Format("2006-01-02")
		r := fold(id, facts)
		rollups = append(rollups, r)
		periods = append(periods, id)
		months[id[:7]] = append(months[id[:7]], r)
		y, w := d.ISOWeek()
		wk := fmt.Sprintf("%04d-W%02d", y, w)
		weeks[wk] = append(weeks[wk], r)
		if id == "2026-11-27" {
			sample = facts
		}
	}
	for _, group := range []map[string][]*storage.ReportRollup{weeks, months} {
		for id, parts := range group {
			rollups = append(rollups, storage.MergeRollups(id, benchNow, parts))
			periods = append(periods, id)
		}
	}
	for i := 0; i < len(rollups); i += 20 {
		if err := st.InsertReportRollups(ctx, rollups[i:min(i+20, len(rollups))]); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.SetReportPeriods(ctx, periods); err != nil {
		b.Fatal(err)
	}
	if err := st.InsertReportFacts(ctx, "2026-11-27", sample); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d cases in %d rollups in %s", seq, len(rollups), time.Since(start).Round(time.Millisecond))
	svc := reports.New(st, complaintbot.NewManualClock(benchNow), slog.New(slog.DiscardHandler))
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	end := time.Date(2026, 11, 30, 0, 0, 0, 0, complaintbot.Shanghai)
	for _, c := range []struct {
		name string
		f    reports.Filter
	}{
		{"month-weekly", reports.Filter{From: nov, To: end, Trend: "week"}},
		{"month-days", reports.Filter{From: time.Date(2026, 11, 3, 0, 0, 0, 0, complaintbot.Shanghai), To: time.Date(2026, 11, 15, 0, 0, 0, 0, complaintbot.Shanghai), Trend: "month"}},
		{"month", reports.Filter{From: nov, To: end, Trend: "month"}},
		{"month-branch", reports.Filter{From: nov, To: end, Trend: "week", Scope: []string{"0301"}}},
		{"year", reports.Filter{From: first, To: end, Trend: "month"}},
		{"year-branch-kind", reports.Filter{From: first, To: end, Trend: "month", Branch: "0501", Kind: "complaint"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var d *reports.Dashboard
			for b.Loop() {
				var err error
				if d, err = svc.Dashboard(ctx, c.f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.Total.Cases), "cases")
			b.ReportMetric(float64(d.Periods), "rollups")
		})
	}
	b.Run("rollup-day", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.ComputeDayRollup(ctx, "2026-11-27", benchNow); err != nil {
				b.Fatal(err)
			}
		}
	})
}
