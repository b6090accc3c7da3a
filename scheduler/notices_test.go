package scheduler_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A customer gets exactly one notice per change, from one path: an agent's action tells them
// through the case workflow and the jobs, however often they run, add nothing to it; the deadlines
// job's escalation of the overdue case tells them once; the "expected by" notice shortly before
// the reply date is left out when an agent's action told them something hours before.
func TestOneNoticePerChange(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	clock := complaintbot.NewManualClock(t0)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	work := cases.New(cases.Deps{Store: st, Engine: engine, Clock: clock})
	x, err := scheduler.New(scheduler.Options{Store: st, Engine: engine, Clock: clock, Owner: "a", Config: testConfig(), Cases: work,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	const number = "TS20261127-0001"
	// Registered as the conversations do: received, announced. Reply due Wed 2 Dec, decision 12 Dec.
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oN0000000001",
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0,
		ReplyDue: time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai), DecisionDue: time.Date(2026, 12, 12, 23, 59, 59, 0, complaintbot.Shanghai),
		SourceTurn: "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: t0}
	if err := st.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.CaseChanged(ctx, number, t0); err != nil {
		t.Fatal(err)
	}
	agent := complaintbot.Actor{User: &complaintbot.User{Name: "alice", Role: complaintbot.RoleAgent, Branches: []string{"0101"}}}
	at := func(when time.Time) {
		t.Helper()
		clock.Set(when)
		for range 2 {
			if err := x.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	notices := func(want ...string) {
		t.Helper()
		cur, err := st.Collection("outbox").Find(ctx, bson.D{{Key: "case_number", Value: number}, {Key: "purpose", Value: complaintbot.PurposeNotice}},
			options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var got []complaintbot.OutboxMessage
		if err := cur.All(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			var texts []string
			for _, m := range got {
				texts = append(texts, m.Text)
			}
			t.Fatalf("notices:\n  %s\nwant %d containing %q", strings.Join(texts, "\n  "), len(want), want)
		}
		for i, w := range want {
			if !strings.Contains(got[i].Text, w) {
				t.Fatalf("notice %d: %q, want %q", i, got[i].Text, w)
			}
		}
	}
	at(t0.Add(time.Minute))
	notices()

	clock.Set(t0.Add(time.Hour))
	if err := work.Accept(ctx, agent, number); err != nil {
		t.Fatal(err)
	}
	at(t0.Add(time.Hour + 5*time.Minute))
	notices("已由工作人员受理")

	// Nothing new for 72 hours: the scheduler's own progress notice.
	at(time.Date(2026, 11, 30, 11, 5, 0, 0, complaintbot.Shanghai))
	notices("已由工作人员受理", "仍在处理中")

	// The agent extends the decision deadline four hours before the "expected by" notice is due
	// (a day before the reply date): told of the extension, not told again hours later.
	clock.Set(time.Date(2026, 12, 1, 20, 0, 0, 0, complaintbot.Shanghai))
	if err := work.Extend(ctx, agent, number, time.Date(2026, 12, 27, 0, 0, 0, 0, complaintbot.Shanghai), "需要调取监控录像"); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 12, 1, 20, 5, 0, 0, complaintbot.Shanghai))
	at(time.Date(2026, 12, 2, 0, 5, 0, 0, complaintbot.Shanghai))
	notices("已由工作人员受理", "仍在处理中", "延长至2026年12月27日")

	// Past the reply date: escalated to head office, told once.
	at(time.Date(2026, 12, 3, 0, 5, 0, 0, complaintbot.Shanghai))
	at(time.Date(2026, 12, 3, 0, 15, 0, 0, complaintbot.Shanghai))
	at(time.Date(2026, 12, 4, 9, 0, 0, 0, complaintbot.Shanghai))
	if c, _ := st.ScanCase(ctx, number); c.Status != complaintbot.StatusEscalated {
		t.Fatalf("status %s", c.Status)
	}
	notices("已由工作人员受理", "仍在处理中", "延长至2026年12月27日", "已提交上级部门处理")

	// Coded and resolved by the agent: told once, with the reply.
	if err := work.SetCoding(ctx, agent, number, taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C01"}); err != nil {
		t.Fatal(err)
	}
	if err := work.Resolve(ctx, agent, number, "已核实整改", "经核实，已对相关人员批评教育。"); err != nil {
		t.Fatal(err)
	}
	at(time.Date(2026, 12, 4, 9, 5, 0, 0, complaintbot.Shanghai))
	at(time.Date(2026, 12, 5, 9, 0, 0, 0, complaintbot.Shanghai))
	notices("已由工作人员受理", "仍在处理中", "延长至2026年12月27日", "已提交上级部门处理", "处理答复：经核实，已对相关人员批评教育。")
}
