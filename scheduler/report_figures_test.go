package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Every change the scheduler and the outbox worker make that moves a figure — a survey asked,
// delivered or undeliverable, expired; a deadline passing and the escalation — is on the
// supervisors' dashboard after one run of the reports' drain job, with no repair; and a change
// marked before a crash (a new reports service on the same database) is still drained.
func TestFiguresFollowTheSchedulersChangesAfterOneDrain(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	x := newScheduler(t, st, clock, "a", testConfig())
	w := &scheduler.OutboxWorker{Store: st, Sender: &fakeSender{}, Clock: clock, Log: slog.New(slog.DiscardHandler), Metrics: metrics.New(),
		Owner: "w1", Poll: time.Second, MaxAttempts: 3, StaleClaim: 2 * time.Minute}
	// A's customer wrote (the 48-hour window is open); B's never did and no survey template is
	// configured, so B's survey cannot reach them. C stays open past its reply date.
	const a, b, c = "TS20261127-0001", "TS20261127-0002", "TS20261127-0003"
	openCase(t, st, a, "oR0000000001", t0)
	openCase(t, st, b, "oR0000000002", t0)
	openCase(t, st, c, "oR0000000003", t0)
	if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "oR0000000001", Version: 1, Dedupe: "m:oR0000000001:1", At: t0,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好", At: t0}}); err != nil {
		t.Fatal(err)
	}
	svc := reports.New(st, clock, slog.New(slog.DiscardHandler))
	if err := svc.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	total := func(svc *reports.Service) reports.Figures {
		t.Helper()
		d, err := svc.Dashboard(ctx, reports.Filter{From: t0, To: t0})
		if err != nil {
			t.Fatal(err)
		}
		return d.Total
	}
	drain := func(svc *reports.Service) {
		t.Helper()
		if _, err := svc.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, got reports.Figures, surveys, answered, expired, undeliverable, replyMissed int64) {
		t.Helper()
		if got.Surveys != surveys || got.Answered != answered || got.Expired != expired || got.Undeliverable != undeliverable || got.ReplyMissed != replyMissed {
			t.Errorf("%s: surveys %d answered %d expired %d undeliverable %d reply missed %d; want %d %d %d %d %d", what,
				got.Surveys, got.Answered, got.Expired, got.Undeliverable, got.ReplyMissed, surveys, answered, expired, undeliverable, replyMissed)
		}
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	// A and B are resolved; their surveys go out survey_delay later.
	for _, n := range []string{a, b} {
		if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: n}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved}, {Key: "updated_at", Value: clock.Now()}}}}); err != nil {
			t.Fatal(err)
		}
		if err := st.CaseChanged(ctx, n, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2*time.Hour + time.Minute)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	drain(svc)
	check("surveys asked", total(svc), 2, 0, 0, 0, 0)

	// The outbox worker delivers A's question; B's is undeliverable: counted apart, not as asked.
	clock.Advance(time.Second)
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err := st.OutboxMessage(ctx, "survey:"+b+"#1"); err != nil || m.Status != complaintbot.OutboxUndeliverable {
		t.Fatalf("B's question: %+v %v", m, err)
	}
	drain(svc)
	check("B's survey undeliverable", total(svc), 1, 0, 0, 1, 0)
	// The register says what happened to each survey: A's is waiting for the rating, B's never
	// reached the customer.
	reg, err := svc.Register(ctx, nil, "", t0.Format("2006-01"), false)
	if err != nil {
		t.Fatal(err)
	}
	sat := map[string]string{}
	for _, r := range reg.Rows {
		sat[r.Number] = r.Satisfaction
	}
	if sat[a] != "待评价" || sat[b] != "未送达（消息未能发给客户）" {
		t.Errorf("register satisfaction: A %q, B %q; want 待评价 and 未送达（消息未能发给客户）", sat[a], sat[b])
	}

	// Both lapse unanswered: A is expired; B, never asked, stays apart.
	clock.Advance(72 * time.Hour)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	drain(svc)
	check("surveys expired", total(svc), 1, 0, 1, 1, 0)

	// C's reply date (2 December) passes: the deadlines job marks it overdue and escalates it.
	clock.Set(time.Date(2026, 12, 3, 0, 0, 1, 0, complaintbot.Shanghai))
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ScanCase(ctx, c); got.Status != complaintbot.StatusEscalated {
		t.Fatalf("C: %s", got.Status)
	}
	check("before the drain", total(svc), 1, 0, 1, 1, 0)
	// The instance stops before its drain ran: a new service on the same database drains the mark.
	after := reports.New(st, clock, slog.New(slog.DiscardHandler))
	drain(after)
	check("after a restart", total(after), 1, 0, 1, 1, 1)
	if left, err := st.PendingReports(ctx, 0); err != nil || len(left) != 0 {
		t.Fatalf("marks left after the drain: %d %v", len(left), err)
	}
	if d, err := after.Dashboard(ctx, reports.Filter{From: t0, To: t0}); err != nil || fmt.Sprint(d.Total.Cases) != "3" {
		t.Fatalf("cases %+v %v", d, err)
	}
}
