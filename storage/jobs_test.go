package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestDueEntriesByDay(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	day := 24 * time.Hour
	entries := []storage.DueEntry{
		{ID: "a", Kind: storage.DueRemind, At: t0, Case: "C1"},
		{ID: "b", Kind: storage.DueRemind, At: t0.Add(day), Case: "C2"},
		{ID: "c", Kind: storage.DueSurvey, At: t0.Add(day), Case: "C3"},
		{ID: "d", Kind: storage.DueRemind, At: t0.Add(5 * day), Case: "C4"},
	}
	if err := st.InsertDue(ctx, entries); err != nil {
		t.Fatal(err)
	}
	entries[0].Case = "changed" // written twice: the first stays
	if err := st.InsertDue(ctx, entries[:1]); err != nil {
		t.Fatal(err)
	}
	scan := func(kinds []string, after, upTo time.Time) []string {
		t.Helper()
		var ids []string
		err := st.ScanDue(ctx, kinds, after, upTo, 1, func(b []storage.DueEntry) error {
			if len(b) != 1 {
				t.Fatalf("batch of %d", len(b))
			}
			ids = append(ids, b[0].ID+"/"+b[0].Case)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := fmt.Sprint(scan([]string{storage.DueRemind}, time.Time{}, t0.Add(2*day))); got != "[a/C1 b/C2]" {
		t.Fatalf("reminders due in two days: %s", got)
	}
	if got := fmt.Sprint(scan([]string{storage.DueRemind, storage.DueSurvey}, t0, t0.Add(day))); got != "[b/C2 c/C3]" {
		t.Fatalf("after the first: %s", got)
	}
	if err := st.CancelDue(ctx, "d", t0, t0.Add(10*day)); err != nil {
		t.Fatal(err)
	}
	if got := scan([]string{storage.DueRemind}, t0.Add(day), t0.Add(10*day)); len(got) != 0 {
		t.Fatalf("cancelled entry still due: %v", got)
	}
	stop := errors.New("stop")
	if err := st.ScanDue(ctx, []string{storage.DueRemind}, time.Time{}, t0.Add(9*day), 1, func([]storage.DueEntry) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("fn's error: %v", err)
	}
	n, err := st.PurgeScheduler(ctx, t0.Add(day), t0)
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if got := scan([]string{storage.DueRemind}, time.Time{}, t0.Add(2*day)); fmt.Sprint(got) != "[b/C2]" {
		t.Fatalf("after purging the first day: %v", got)
	}
}

func TestLeasesAndCheckpoints(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	lease := 2 * time.Minute
	if ok, err := st.AcquireLease(ctx, "j", "a", t0, lease); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := st.AcquireLease(ctx, "j", "b", t0.Add(time.Minute), lease); ok {
		t.Fatal("b took a's period")
	}
	if ok, _ := st.AcquireLease(ctx, "j", "a", t0.Add(time.Minute), lease); !ok {
		t.Fatal("a lost its own period")
	}
	if ok, _ := st.AcquireLease(ctx, "j", "b", t0.Add(lease), lease); !ok {
		t.Fatal("b could not take the next period")
	}
	at, done, err := st.JobCheckpoint(ctx, "j")
	if err != nil || !at.IsZero() || len(done) != 0 {
		t.Fatal(at, done, err)
	}
	if err := st.SetJobCheckpoint(ctx, "j", t0, []string{"x", "y"}); err != nil {
		t.Fatal(err)
	}
	at, done, _ = st.JobCheckpoint(ctx, "j")
	if !at.Equal(t0) || !done["x"] || !done["y"] || len(done) != 2 {
		t.Fatal(at, done)
	}
}

func insertCase(t *testing.T, st *storage.Store, number, openID string) {
	t.Helper()
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: openID,
		Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0, ReplyDue: t0.Add(72 * time.Hour),
		DecisionDue: t0.Add(15 * 24 * time.Hour), SourceTurn: "turn:" + number, Updated: t0}
	if err := st.InsertCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func TestSurveyClaimAnswerAndFollowUp(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	insertCase(t, st, "TS20261127-0001", "oS")
	claims := []storage.SurveyClaim{{OpenID: "oS", Survey: "TS20261127-0001#1", Case: "TS20261127-0001", At: t0, Expires: t0.Add(72 * time.Hour)},
		{OpenID: "oS", Survey: "other#1", At: t0, Expires: t0.Add(72 * time.Hour)}}
	taken, err := st.ClaimSurveys(ctx, claims)
	if err != nil || taken[0] || !taken[1] {
		t.Fatalf("claims: %v %v", taken, err)
	}
	seed := complaintbot.Survey{ID: "TS20261127-0001#1", Subject: complaintbot.SurveyOfCase, Case: "TS20261127-0001", Round: 1, OpenID: "oS",
		Kind: "complaint", Branch: "0101", BranchName: "城东支行", Category: "attitude", CategoryName: "服务态度", Agent: "wang", By: "system"}
	sv := storage.NewSurvey(seed, t0, t0.Add(72*time.Hour))
	if sv.Day != "2026-11-28" || sv.Week != "2026-W48" || sv.Month != "2026-11" {
		t.Fatalf("report dimensions %s %s %s", sv.Day, sv.Week, sv.Month)
	}
	existed, err := st.InsertSurveys(ctx, []complaintbot.Survey{sv, sv})
	if err != nil || existed[0] || !existed[1] {
		t.Fatalf("insert: %v %v", existed, err)
	}
	if open, _ := st.OpenSurveyOf(ctx, "oS", t0.Add(time.Hour)); open == nil || open.Survey != sv.ID {
		t.Fatalf("open survey %+v", open)
	}
	if open, _ := st.OpenSurveyOf(ctx, "oS", t0.Add(73*time.Hour)); open != nil {
		t.Fatal("an expired claim is still open")
	}
	a := storage.SurveyAnswer{Survey: sv.ID, Rating: 1, Low: true, Turn: "oS#7", At: t0.Add(time.Hour)}
	for range 2 {
		if err := st.AnswerSurvey(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CommentSurvey(ctx, sv.ID, "太慢"); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Survey(ctx, sv.ID)
	c, _ := st.ScanCase(ctx, "TS20261127-0001")
	fu, _ := storagetest.FollowUps(ctx, st, []string{"0101"}, storage.FollowUpOpen)
	if got.Status != complaintbot.SurveyAnswered || got.Rating != 1 || got.Comment != "太慢" || c.Satisfaction == nil || c.Satisfaction.Rating != 1 ||
		c.Satisfaction.Comment != "太慢" || len(fu) != 1 || fu[0].Comment != "太慢" || fu[0].Agent != "wang" {
		t.Fatalf("survey %+v\ncase %+v\nfollow-ups %+v", got, c.Satisfaction, fu)
	}
	if open, _ := st.OpenSurveyOf(ctx, "oS", t0.Add(time.Hour)); open != nil {
		t.Fatal("answered survey still open")
	}
	if expired, err := st.ExpireSurvey(ctx, sv.ID, t0.Add(72*time.Hour)); expired || err != nil {
		t.Fatalf("expired an answered survey: %v %v", expired, err)
	}
	if fu, _ := storagetest.FollowUps(ctx, st, []string{"0201"}, ""); len(fu) != 0 {
		t.Fatal("another branch sees the follow-up")
	}
	if err := st.RecordFollowUp(ctx, "nope", "x", storage.FollowUpCall{}, t0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown follow-up: %v", err)
	}
}

func TestRemindersByBranch(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i, b := range []string{"0101", "0201", "0101"} {
		r := &storage.Reminder{ID: fmt.Sprint("r", i), Kind: storage.ReminderDueSoon, Deadline: storage.DeadlineReply, Case: fmt.Sprint("C", i),
			Branch: b, Due: t0.Add(time.Duration(3-i) * time.Hour), At: t0}
		if added, err := st.AddReminder(ctx, r); !added || err != nil {
			t.Fatal(added, err)
		}
		if added, _ := st.AddReminder(ctx, r); added {
			t.Fatal("added twice")
		}
	}
	r, _ := storagetest.Reminders(ctx, st, []string{"0101"}, t0)
	if len(r) != 2 || r[0].ID != "r2" {
		t.Fatalf("0101: %+v", r)
	}
	if r, _ := storagetest.Reminders(ctx, st, nil, t0.Add(-time.Minute)); len(r) != 0 {
		t.Fatal("a reminder shown before it was raised")
	}
	if err := st.DismissReminder(ctx, "r2", "wang", t0); err != nil {
		t.Fatal(err)
	}
	if err := st.CloseCaseReminders(ctx, "C1", t0); err != nil {
		t.Fatal(err)
	}
	if r, _ := storagetest.Reminders(ctx, st, nil, t0); len(r) != 1 || r[0].ID != "r0" {
		t.Fatalf("after dismissing and closing: %+v", r)
	}
}

func TestCaseDeadlineChanges(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	insertCase(t, st, "TS20261127-0001", "oW")
	if err := st.WaitOnCustomer(ctx, "TS20261127-0001", t0); err != nil {
		t.Fatal(err)
	}
	if err := st.WaitOnCustomer(ctx, "TS20261127-0001", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waited, err := st.StopWaiting(ctx, "TS20261127-0001", t0.Add(10*time.Hour), true)
	if err != nil || waited != 10*time.Hour {
		t.Fatal(waited, err)
	}
	if again, _ := st.StopWaiting(ctx, "TS20261127-0001", t0.Add(11*time.Hour), true); again != 0 {
		t.Fatal("stopped waiting twice")
	}
	c, _ := st.ScanCase(ctx, "TS20261127-0001")
	if !c.ReplyDue.Equal(t0.Add(82*time.Hour)) || !c.DecisionDue.Equal(t0.Add(370*time.Hour)) || c.Paused != 10*time.Hour || c.WaitingSince != nil {
		t.Fatalf("after the wait: %+v", c)
	}
	// Escalated once per missed deadline; reopened once per survey.
	if ok, _ := st.EscalateOverdue(ctx, "TS20261127-0001", storage.DeadlineReply, t0); !ok {
		t.Fatal("not escalated")
	}
	_, _ = st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261127-0001"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "investigating"}}}})
	if ok, _ := st.EscalateOverdue(ctx, "TS20261127-0001", storage.DeadlineReply, t0); ok {
		t.Fatal("escalated twice for one deadline")
	}
	if ok, _ := st.EscalateOverdue(ctx, "TS20261127-0001", storage.DeadlineDecision, t0); !ok {
		t.Fatal("not escalated for the other deadline")
	}
	_, _ = st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261127-0001"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "resolved"}}}})
	if ok, _ := st.ReopenCase(ctx, "TS20261127-0001", "low_rating", "s#1", t0); !ok {
		t.Fatal("not reopened")
	}
	_, _ = st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261127-0001"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "resolved"}}}})
	if ok, _ := st.ReopenCase(ctx, "TS20261127-0001", "low_rating", "s#1", t0); ok {
		t.Fatal("reopened twice for one survey")
	}
	if err := st.MarkOverdue(ctx, "TS20261127-0001", storage.DeadlineReply, t0); err != nil {
		t.Fatal(err)
	}
	_ = st.MarkOverdue(ctx, "TS20261127-0001", storage.DeadlineReply, t0.Add(time.Hour))
	if c, _ := st.ScanCase(ctx, "TS20261127-0001"); !c.Missed[storage.DeadlineReply].Equal(t0) {
		t.Fatalf("overdue %v", c.Missed)
	}
}
