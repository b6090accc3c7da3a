package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/reports"
)

// The reports' drain runs as a leased scheduler job: a case marked stale reaches the dashboard
// at its next run, with no repair.
func TestReportDrainRunsThroughTheScheduler(t *testing.T) {
	h := apptest.New(t, nil)
	ctx := context.Background()
	number := "TS20261127-0043"
	at := apptest.Start
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: "oE2Ereports0002",
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: at, ReplyDue: at.Add(5 * 24 * time.Hour),
		DecisionDue: at.Add(15 * 24 * time.Hour), SourceTurn: "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: at}
	if err := h.App.Store.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Store.MarkCaseReport(ctx, number, "", at); err != nil {
		t.Fatal(err)
	}
	r, err := h.App.Scheduler.RunOnce(ctx, reports.JobDrain)
	if err != nil || !r.Ran || r.Done != 1 {
		t.Fatalf("drain: %+v %v", r, err)
	}
	d, err := h.App.Reports.Dashboard(ctx, reports.Filter{From: at, To: at})
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Cases != 1 {
		t.Fatalf("cases after the drain: %d", d.Total.Cases)
	}
}
