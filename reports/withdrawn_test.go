package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// A withdrawn case (撤回) counts as withdrawn: neither a met nor a missed deadline, never overdue,
// in the fact, in the Go fold and in the database's pipelines alike.
func TestWithdrawnCountsAsWithdrawn(t *testing.T) {
	t.Parallel()
	st := storagetest.Open(t)
	ctx := context.Background()
	received := time.Date(2026, 11, 2, 10, 0, 0, 0, complaintbot.Shanghai)
	now := received.Add(40 * 24 * time.Hour) // long past both deadlines
	mk := func(number string, status complaintbot.Status) storage.ReportFact {
		c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: status, OpenID: "o" + number, Channel: "wechat",
			Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: received, ReplyDue: received.Add(72 * time.Hour),
			DecisionDue: received.Add(15 * 24 * time.Hour), Day: "2026-11-02", Month: "2026-11", Updated: received}
		return reports.BuildFact(c, nil, "", now)
	}
	w, open := mk("TS20261102-0001", complaintbot.StatusWithdrawn), mk("TS20261102-0002", complaintbot.StatusInvestigating)
	if w.DecisionState != storage.DeadlineWithdrawn || w.ReplyState != storage.DeadlineWithdrawn || w.Overdue {
		t.Fatalf("withdrawn fact: decision %s, reply %s, overdue %v", w.DecisionState, w.ReplyState, w.Overdue)
	}
	if open.DecisionState != storage.DeadlineMissed || !open.Overdue {
		t.Fatalf("open fact: %s %v", open.DecisionState, open.Overdue)
	}
	facts := []storage.ReportFact{w, open}
	for i := range facts {
		facts[i].New = true
	}
	if err := st.PutReportFacts(ctx, facts); err != nil {
		t.Fatal(err)
	}
	fold := storage.FoldFacts("2026-11-02", now, facts)
	pipe, err := st.ComputeDayRollupByPipelines(ctx, "2026-11-02", now)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*storage.ReportRollup{"fold": fold, "pipelines": pipe} {
		var sum storage.ReportCell
		for i := range r.Cells {
			storage.AddCounts(&sum, &r.Cells[i])
		}
		if sum.Cases != 2 || sum.Withdrawn != 1 || sum.DecisionMissed != 1 || sum.DecisionMet != 0 || sum.Overdue != 1 || sum.ReplyMissed != 1 {
			t.Fatalf("%s: cases %d withdrawn %d decision met %d missed %d overdue %d reply missed %d", name, sum.Cases, sum.Withdrawn,
				sum.DecisionMet, sum.DecisionMissed, sum.Overdue, sum.ReplyMissed)
		}
	}
}
