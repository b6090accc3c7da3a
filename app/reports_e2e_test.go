package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/reports"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The reports' repair and nightly rebuild, and the embedded database's hourly indexing, run as the
// scheduler's leased jobs: a change to a case that no event announced reaches the supervisors'
// dashboard through the repair once its time comes, and a change the repair cannot see (the
// case's time of change left as it was) through the rebuild.
func TestReportJobsRunThroughTheScheduler(t *testing.T) {
	h := apptest.New(t, nil)
	ctx := context.Background()
	// A case written straight into the database: no event announces it, so only the jobs bring
	// it to the reports.
	number := "TS20261127-0042"
	at := apptest.Start
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: "oE2Ereports0001",
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: at, ReplyDue: at.Add(5 * 24 * time.Hour),
		DecisionDue: at.Add(15 * 24 * time.Hour), SourceTurn: "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: at}
	if err := h.App.Store.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	agentCases := func(agent string) int64 {
		t.Helper()
		day := apptest.Start
		d, err := h.App.Reports.Dashboard(ctx, reports.Filter{From: day, To: day, Agent: agent})
		if err != nil {
			t.Fatal(err)
		}
		return d.Total.Cases
	}
	run := func(job string) {
		t.Helper()
		r, err := h.App.Scheduler.RunOnce(ctx, job)
		if err != nil || !r.Ran {
			t.Fatalf("job %s: %+v %v", job, r, err)
		}
	}
	assign := func(agent string, updated time.Time) {
		t.Helper()
		if _, err := h.App.Store.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: number}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "work.assignee", Value: agent}, {Key: "updated_at", Value: updated}}}}); err != nil {
			t.Fatal(err)
		}
	}

	// Assigned to dave behind the service's back: the repair finds the change.
	h.Clock.Advance(time.Minute)
	assign("dave", h.Clock.Now())
	if n := agentCases("dave"); n != 0 {
		t.Fatalf("dave has %d cases before the repair", n)
	}
	h.Clock.Advance(10 * time.Minute)
	run(reports.JobRepair)
	if n := agentCases("dave"); n != 1 {
		t.Fatalf("dave has %d cases after the repair, want 1", n)
	}

	// Assigned to erin with the old time of change: only the nightly rebuild sees it.
	assign("erin", at)
	h.Clock.Advance(10 * time.Minute)
	run(reports.JobRepair)
	if n := agentCases("erin"); n != 0 {
		t.Fatalf("erin has %d cases after a repair that cannot see the change", n)
	}
	h.Clock.Advance(time.Hour)
	run(reports.JobRebuild)
	if n, was := agentCases("erin"), agentCases("dave"); n != 1 || was != 0 {
		t.Fatalf("after the rebuild erin has %d cases and dave %d, want 1 and 0", n, was)
	}

	run(app.JobIndexEmbedded)
}
