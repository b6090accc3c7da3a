package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Figures stored when overdue meant the decision deadline only (rollup layout 2) count a case
// unanswered past its reply date as not overdue; the upgrade at start re-dates the open cases'
// facts, and once the days are rolled up again the dashboard counts it.
func TestUpgradeCountsCasesPastTheirReplyDateAsOverdue(t *testing.T) {
	st, svc, _ := setup(t)
	ctx := context.Background()
	overdueNow := func() int64 {
		t.Helper()
		d, err := svc.Dashboard(ctx, novFilter())
		if err != nil {
			t.Fatal(err)
		}
		return d.Total.Overdue
	}
	if n := overdueNow(); n != 2 {
		t.Fatalf("overdue now %d, want 2 (one past its decision deadline, one unanswered past its reply date)", n)
	}

	// As the previous version stored it: TS20261120-0001 (reply due 23 November, decision due
	// 5 December) not overdue on 30 November.
	var old []storage.ReportFact
	err := st.EachReportFact(ctx, "2026-11-20", storage.FactFilter{}, func(f *storage.ReportFact) error {
		if f.Number == "TS20261120-0001" {
			f.Overdue = false
			old = append(old, *f)
		}
		return nil
	})
	if err != nil || len(old) != 1 {
		t.Fatalf("fact of TS20261120-0001: %v %d", err, len(old))
	}
	if err := st.PutReportFacts(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := svc.RebuildDirty(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.SetReportLayout(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if n := overdueNow(); n != 1 {
		t.Fatalf("under the old meaning overdue now is %d, want 1", n)
	}

	if err := svc.UpgradeRollups(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.RebuildDirty(ctx); err != nil {
		t.Fatal(err)
	}
	if n := overdueNow(); n != 2 {
		t.Errorf("after the upgrade overdue now is %d, want 2", n)
	}
}

// A deadline passing reaches the figures at the next drain (every 20 s), with no change to the
// case, no mark from the deadlines job (every 10 min) and no repair: the drain re-dates the days
// whose known next deadline has passed.
func TestDrainRedatesADeadlineThatPassed(t *testing.T) {
	_, svc, clock := setup(t)
	ctx := context.Background()
	if err := svc.Repair(ctx); err != nil { // the start's repair reads the open cases' deadlines
		t.Fatal(err)
	}
	west := novFilter()
	west.Branch = "0201"
	missed := func() int64 {
		t.Helper()
		d, err := svc.Dashboard(ctx, west)
		if err != nil {
			t.Fatal(err)
		}
		return d.Total.DecisionMissed
	}
	if n := missed(); n != 0 {
		t.Fatalf("decisions missed before 5 December: %d", n)
	}
	// TS20261120-0001's decision deadline is 5 December.
	clock.Set(time.Date(2026, 12, 6, 9, 0, 0, 0, complaintbot.Shanghai))
	if _, err := svc.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := missed(); n != 1 {
		t.Errorf("decisions missed after the drain on 6 December: %d, want 1", n)
	}
}
