package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// receivedByHand counts the fourth quarter's complaints by receiving channel, a case stored before
// the channel was recorded counting as received through the Official Account.
func receivedByHand(cases []complaintbot.Case) map[string]int64 {
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, complaintbot.Shanghai)
	out := map[string]int64{}
	for i := range cases {
		c := &cases[i]
		if c.Kind != complaintbot.KindComplaint || c.Received.Before(from) {
			continue
		}
		ch := c.Channel
		if ch == "" {
			ch = complaintbot.ReceivedWeChat
		}
		out[ch]++
	}
	return out
}

func receivedOnDashboard(t *testing.T, svc *reports.Service) (map[string]int64, *reports.Dashboard) {
	t.Helper()
	d, err := svc.Dashboard(context.Background(), reports.Filter{From: time.Date(2026, 10, 1, 0, 0, 0, 0, complaintbot.Shanghai),
		To: time.Date(2026, 12, 31, 0, 0, 0, 0, complaintbot.Shanghai)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	var sum int64
	for _, g := range d.ByReceived {
		if g.Label != complaintbot.ReceivedLabel(g.Key) {
			t.Errorf("receiving channel %s is labelled %q, want %q", g.Key, g.Label, complaintbot.ReceivedLabel(g.Key))
		}
		out[g.Key] = g.Cases
		sum += g.Cases
	}
	if sum != d.Complaints {
		t.Errorf("the receiving channels add up to %d complaints, the dashboard counts %d", sum, d.Complaints)
	}
	return out, d
}

func sameCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", what, got, want)
		return
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
	}
}

func TestDashboardCountsComplaintsByReceivingChannel(t *testing.T) {
	t.Parallel()
	st, svc, all, _ := seedRegCases(t)
	ctx := context.Background()
	want := receivedByHand(all)
	if len(want) < 5 {
		t.Fatalf("the seeded set has complaints from %d receiving channels only: %v", len(want), want)
	}
	got, _ := receivedOnDashboard(t, svc)
	sameCounts(t, "complaints by receiving channel", got, want)

	// Rollups stored before the cells counted the receiving channel (layout 1): the dashboard
	// shows them all as received through the Official Account until they are recomputed, which
	// UpgradeRollups has done from the facts.
	periods, err := st.ReportPeriods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id := range periods {
		rs, err := st.ReportRollups(ctx, []string{id})
		if err != nil || rs[0] == nil {
			t.Fatalf("rollup %s: %v", id, err)
		}
		for i := range rs[0].Cells {
			rs[0].Cells[i].ReceivedVia = ""
		}
		if err := st.PutReportRollup(ctx, rs[0]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Collection("report_meta").DeleteOne(ctx, bson.D{{Key: "_id", Value: "layout"}}); err != nil {
		t.Fatal(err)
	}
	var complaints int64
	for _, n := range want {
		complaints += n
	}
	got, _ = receivedOnDashboard(t, svc)
	sameCounts(t, "complaints by receiving channel in old rollups", got, map[string]int64{complaintbot.ReceivedWeChat: complaints})

	if err := svc.UpgradeRollups(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := st.ReportLayout(ctx); err != nil || v != storage.RollupLayout {
		t.Fatalf("layout after the upgrade %d (%v), want %d", v, err, storage.RollupLayout)
	}
	if err := svc.RebuildDirty(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ = receivedOnDashboard(t, svc)
	sameCounts(t, "complaints by receiving channel after the upgrade", got, want)

	// A second start finds the layout current: nothing is marked for recompute.
	if err := svc.UpgradeRollups(ctx); err != nil {
		t.Fatal(err)
	}
	days, weeks, months, err := st.DirtyReports(ctx)
	if err != nil || len(days)+len(weeks)+len(months) != 0 {
		t.Errorf("a current layout marked %v %v %v for recompute (%v)", days, weeks, months, err)
	}
}
