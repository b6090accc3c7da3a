package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func testConfig() config.Scheduler {
	return config.Default().Scheduler
}

func newScheduler(t testing.TB, st *storage.Store, clock complaintbot.Clock, owner string, cfg config.Scheduler) *scheduler.Scheduler {
	t.Helper()
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := scheduler.New(scheduler.Options{Store: st, Engine: engine, Clock: clock, Owner: owner, Config: cfg, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func openCase(t testing.TB, st *storage.Store, number, openID string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating, OpenID: openID,
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: at,
		ReplyDue: time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai), DecisionDue: time.Date(2026, 12, 12, 23, 59, 59, 0, complaintbot.Shanghai),
		SourceTurn: "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: at}
	if err := st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.CaseChanged(ctx, number, at); err != nil {
		t.Fatal(err)
	}
}

func mustRun(t *testing.T, x *scheduler.Scheduler, job string) scheduler.Run {
	t.Helper()
	r, err := x.RunOnce(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Each job runs on one instance per lease period; an instance that stops taking the lease (it
// died) is replaced when the period ends.
func TestJobLeases(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	a := newScheduler(t, st, clock, "a", testConfig())
	b := newScheduler(t, st, clock, "b", testConfig())
	if !mustRun(t, a, scheduler.JobNotices).Ran || mustRun(t, b, scheduler.JobNotices).Ran {
		t.Fatal("both instances ran in one period")
	}
	clock.Advance(time.Minute)
	if mustRun(t, b, scheduler.JobNotices).Ran || !mustRun(t, a, scheduler.JobNotices).Ran {
		t.Fatal("the holder lost its period")
	}
	if !mustRun(t, b, scheduler.JobDeadlines).Ran {
		t.Fatal("leases are per job")
	}
	clock.Advance(2 * time.Minute) // a "died": b takes the next period
	if !mustRun(t, b, scheduler.JobNotices).Ran || mustRun(t, a, scheduler.JobNotices).Ran {
		t.Fatal("the next period did not go to the instance that asked first")
	}
}

// A run whose lease period ends while it works, and goes to another instance, stops after its
// batch; the other instance finishes, and nothing is done twice.
func TestRunHandsOverWhenItsLeaseGoes(t *testing.T) {
	st := storagetest.Open(t)
	clock := complaintbot.NewManualClock(t0)
	cfg := testConfig()
	cfg.BatchSize = 2
	a := newScheduler(t, st, clock, "a", cfg)
	b := newScheduler(t, st, clock, "b", cfg)
	for i := range 6 {
		openCase(t, st, "TS20261127-00"+string(rune('1'+i))+"0", "oL"+string(rune('a'+i))+"000000", t0)
	}
	a.AfterBatch = func(job string, done int) error {
		if done == 2 {
			clock.Advance(2 * time.Minute)
			if !mustRun(t, b, scheduler.JobNotices).Ran {
				t.Error("b could not take the new period")
			}
		}
		return nil
	}
	r := mustRun(t, a, scheduler.JobNotices)
	if !r.Ran || r.Done != 2 {
		t.Fatalf("a: %+v", r)
	}
	n, _ := st.Collection("sched_cases").CountDocuments(context.Background(), bson.D{})
	if n != 6 {
		t.Fatalf("%d cases looked at, want 6", n)
	}
}

// An overdue case is escalated once: moved back down by a person, it is not escalated again when
// the entry is looked at again; a reminder goes to the WeCom group robot once.
func TestOverdueEscalatesOnceAndTellsTheRobot(t *testing.T) {
	var mu sync.Mutex
	var posts []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Text struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		_ = json.Unmarshal(body, &m)
		mu.Lock()
		posts = append(posts, m.Text.Content)
		mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer robot.Close()
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	cfg := testConfig()
	cfg.WeComRobotURL = robot.URL
	x := newScheduler(t, st, clock, "a", cfg)
	openCase(t, st, "TS20261127-0001", "oE0000000001", t0)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 12, 3, 0, 0, 1, 0, complaintbot.Shanghai))
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := st.ScanCase(ctx, "TS20261127-0001")
	if c.Status != complaintbot.StatusEscalated {
		t.Fatalf("status %s", c.Status)
	}
	// A supervisor moves it back to the branch; then the entries are worked on again (as after a
	// run cut short before it moved its checkpoint).
	if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261127-0001"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusInvestigating}}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetJobCheckpoint(ctx, scheduler.JobDeadlines, t0, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.ScanCase(ctx, "TS20261127-0001"); c.Status != complaintbot.StatusInvestigating {
		t.Fatalf("escalated again: %s", c.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) != 2 || !strings.Contains(posts[0], "即将到期") || !strings.Contains(posts[1], "已提交总行") || strings.Contains(strings.Join(posts, ""), "oE0000000001") {
		t.Fatalf("robot posts: %q", posts)
	}
}

// An entry written due in the past (a late writer) is still worked on, and the checkpoint keeps a
// second run from doing anything; housekeeping deletes what is older than the retention.
func TestCheckpointsAndPurge(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	x := newScheduler(t, st, clock, "a", testConfig())
	mustRun(t, x, scheduler.JobNotices)
	clock.Advance(time.Minute)
	// The bot recorded a case "at" a time the last run already passed (its clock lagged 40s).
	openCase(t, st, "TS20261127-0002", "oF0000000001", clock.Now().Add(-40*time.Second))
	if r := mustRun(t, x, scheduler.JobNotices); r.Done != 1 {
		t.Fatalf("late entry: %+v", r)
	}
	clock.Advance(time.Minute)
	if r := mustRun(t, x, scheduler.JobNotices); r.Done != 0 {
		t.Fatalf("second run: %+v", r)
	}
	before := dueDays(t, st)
	clock.Advance(60 * 24 * time.Hour)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	mustRun(t, x, scheduler.JobHousekeeping)
	after := dueDays(t, st)
	leases, _ := st.Collection("sched_leases").CountDocuments(ctx, bson.D{})
	if len(before) < 3 || len(after) == 0 || after[0] < "sched_due_20270125" || leases > 4 {
		t.Fatalf("days %v → %v, leases %d", before, after, leases)
	}
}

// A survey the customer cannot get yet (another one is open) waits for that one to lapse; a
// survey sent by hand meanwhile is refused with ErrSurveyOpen.
func TestOneOpenSurveyPerCustomer(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	x := newScheduler(t, st, clock, "a", testConfig())
	for _, n := range []string{"TS20261127-0001", "TS20261127-0002"} {
		openCase(t, st, n, "oG0000000001", t0)
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := x.SendSurveyNow(ctx, "TS20261127-0001", "wang"); err != nil {
		t.Fatal(err)
	}
	if err := x.SendSurveyNow(ctx, "TS20261127-0002", "wang"); !errors.Is(err, scheduler.ErrSurveyOpen) {
		t.Fatalf("second survey by hand: %v", err)
	}
	for _, n := range []string{"TS20261127-0001", "TS20261127-0002"} {
		if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: n}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved}, {Key: "updated_at", Value: clock.Now()}}}}); err != nil {
			t.Fatal(err)
		}
		_ = st.CaseChanged(ctx, n, clock.Now())
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Survey(ctx, "TS20261127-0002#1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second survey asked while the first is open: %v", err)
	}
	clock.Advance(72 * time.Hour) // the first lapses; the second goes a minute later
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := st.Survey(ctx, "TS20261127-0001#1")
	second, err := st.Survey(ctx, "TS20261127-0002#1")
	if first.Status != complaintbot.SurveyExpired || err != nil || second.Status != complaintbot.SurveySent {
		t.Fatalf("first %+v, second %+v %v", first, second, err)
	}
	open, _ := st.OpenSurveyOf(ctx, "oG0000000001", clock.Now())
	if open == nil || open.Survey != "TS20261127-0002#1" {
		t.Fatalf("open survey %+v", open)
	}
}

// A survey waiting for the customer's other one goes soon after that one is answered, not only
// once it lapses: 72 hours later the customer's 48-hour messaging window would be closed and the
// second survey undeliverable.
func TestSurveyWaitingGoesSoonAfterTheOpenOneIsAnswered(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	x := newScheduler(t, st, clock, "a", testConfig())
	for _, n := range []string{"TS20261127-0001", "TS20261127-0002"} {
		openCase(t, st, n, "oG0000000002", t0)
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"TS20261127-0001", "TS20261127-0002"} {
		if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: n}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved}, {Key: "updated_at", Value: clock.Now()}}}}); err != nil {
			t.Fatal(err)
		}
		_ = st.CaseChanged(ctx, n, clock.Now())
	}
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := st.OpenSurveyOf(ctx, "oG0000000002", clock.Now())
	if err != nil || open == nil {
		t.Fatalf("no survey asked: %+v %v", open, err)
	}
	waiting := "TS20261127-0002#1"
	if open.Survey == waiting {
		waiting = "TS20261127-0001#1"
	}
	if _, err := st.Survey(ctx, waiting); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the second survey asked while the first is open: %v", err)
	}
	clock.Advance(20 * time.Minute)
	if err := st.AnswerSurvey(ctx, storage.SurveyAnswer{Survey: open.Survey, Rating: 5, Turn: "turn-1", At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := x.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	sv, err := st.Survey(ctx, waiting)
	if err != nil || sv.Status != complaintbot.SurveySent {
		t.Fatalf("the waiting survey an hour after the first was answered: %+v %v, want it sent", sv, err)
	}
}

func dueDays(t *testing.T, st *storage.Store) []string {
	t.Helper()
	names, err := st.Collection("x").Database().ListCollectionNames(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, n := range names {
		if strings.HasPrefix(n, "sched_due_") {
			days = append(days, n)
		}
	}
	slices.Sort(days)
	return days
}
