package cases_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// t0 is when the tests' cases are received: Friday 27 Nov 2026, 10:00 in Shanghai.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, complaintbot.Shanghai)

// env is a store with users alice and bob (agents of 0101), carol (agent of 0201), dora
// (disabled, 0101), and the workflow on a clock that stands at t0 until moved.
type env struct {
	t     *testing.T
	st    *storage.Store
	clock *complaintbot.ManualClock
	svc   *cases.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storagetest.Open(t)
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	clock := complaintbot.NewManualClock(t0)
	for _, u := range []complaintbot.User{
		{Name: "alice", DisplayName: "王丽", Role: complaintbot.RoleAgent, Branches: []string{"0101"}},
		{Name: "bob", DisplayName: "李强", Role: complaintbot.RoleAgent, Branches: []string{"0101"}},
		{Name: "carol", DisplayName: "陈静", Role: complaintbot.RoleAgent, Branches: []string{"0201"}},
		{Name: "dora", DisplayName: "赵敏", Role: complaintbot.RoleAgent, Branches: []string{"0101"}, Disabled: true},
	} {
		if err := st.CreateUser(context.Background(), &u); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, st: st, clock: clock, svc: cases.New(cases.Deps{Store: st, Engine: engine, Clock: clock})}
}

// actor returns the stored user as an actor.
func (e *env) actor(name string) complaintbot.Actor {
	e.t.Helper()
	u, err := e.st.UserByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return complaintbot.Actor{User: u, Addr: "10.0.0.1"}
}

// coded is the JR/T 0169 coding of the cases open registers: a counter's service attitude about
// savings (营业现场, 人民币储蓄, 服务态度及服务质量).
var coded = taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C01"}

// open registers a complaint about 城东支行 (0101) received at t0, in status st, coded (coded) as
// an agent confirmed it.
func (e *env) open(number string, st complaintbot.Status) {
	e.t.Helper()
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: st, OpenID: "oCust" + number, Coding: coded,
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0,
		ReplyDue:    time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai),
		DecisionDue: time.Date(2026, 12, 12, 23, 59, 59, 0, complaintbot.Shanghai),
		SourceTurn:  "turn:" + number, Day: "2026-11-27", Month: "2026-11", Updated: t0}
	if err := e.st.InsertCase(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) rec(number string) *complaintbot.Case {
	e.t.Helper()
	r, err := e.st.Case(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// notices returns the texts of the notices queued about the case, oldest first.
func (e *env) notices(number string) []string {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.st.Collection("outbox").Find(ctx, bson.D{{Key: "case_number", Value: number}, {Key: "purpose", Value: complaintbot.PurposeNotice}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		e.t.Fatal(err)
	}
	var msgs []complaintbot.OutboxMessage
	if err := cur.All(ctx, &msgs); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// audits returns "user:action" for the case's audit entries.
func (e *env) audits(number string) []string {
	e.t.Helper()
	log, err := e.st.AuditLog(context.Background(), storage.AuditFilter{TargetType: "case", Target: number})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range log {
		out = append(out, a.User+":"+a.Action)
	}
	return out
}

// refused checks that err is the workflow's refusal r.
func refused(t *testing.T, err error, r cases.Reason) *cases.Error {
	t.Helper()
	var ce *cases.Error
	if !errors.As(err, &ce) || !errors.Is(err, r) {
		t.Fatalf("got %v, want the refusal %q", err, r)
	}
	return ce
}

func TestAcceptTellsTheCustomerOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0001"
	e.open(n, complaintbot.StatusReceived)
	e.clock.Advance(time.Hour)
	if err := e.svc.Accept(ctx, e.actor("alice"), n); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Status != complaintbot.StatusInvestigating || r.Work.AcceptedBy != "alice" || r.Work.Assignee != "alice" || r.Work.Rev != 1 {
		t.Fatalf("after accept: status %s, work %+v", r.Status, r.Work)
	}
	var kinds []string
	for _, en := range r.Work.Timeline {
		kinds = append(kinds, en.Kind)
	}
	if got := strings.Join(kinds, ","); got != "accept,assign,status,notice" {
		t.Fatalf("timeline %s", got)
	}
	want := "您的投诉（编号 " + n + "）已由工作人员受理，正在调查处理，我们将于2026年12月2日前答复您。"
	if got := e.notices(n); len(got) != 1 || got[0] != want {
		t.Fatalf("notices %q, want %q", got, want)
	}
	if m, err := e.st.OutboxMessage(ctx, r.Work.Timeline[3].Outbox); err != nil || m.OpenID != r.OpenID || m.By != "alice" {
		t.Fatalf("the timeline's notice in the outbox: %+v %v", m, err)
	}
	// A second agent is told who accepted it; nothing more is written or sent.
	ce := refused(t, e.svc.Accept(ctx, e.actor("bob"), n), cases.ErrAccepted)
	if ce.By != "alice" {
		t.Fatalf("accepted by %q", ce.By)
	}
	if got := e.audits(n); len(got) != 1 || got[0] != "alice:case.accept" {
		t.Fatalf("audit %q", got)
	}
	if len(e.notices(n)) != 1 || e.rec(n).Work.Rev != 1 {
		t.Fatal("a refused accept changed the case")
	}
	// A resolved case is not accepted.
	const done = "TS20261127-0002"
	e.open(done, complaintbot.StatusResolved)
	refused(t, e.svc.Accept(ctx, e.actor("alice"), done), cases.ErrAcceptFinished)
}

// Two agents accepting at the same moment: one wins, the other is told who did; one notice.
func TestConcurrentAcceptsOneWins(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0003"
	e.open(n, complaintbot.StatusReceived)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"alice", "bob"} {
		who := e.actor(name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.svc.Accept(ctx, who, n)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, cases.ErrAccepted) {
			t.Fatalf("the loser: %v", err)
		}
	}
	if ok != 1 || len(e.notices(n)) != 1 {
		t.Fatalf("%d accepts succeeded, %d notices", ok, len(e.notices(n)))
	}
}

func TestStatusMovesFollowTheRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.actor("bob")
	const n = "TS20261127-0004"
	e.open(n, complaintbot.StatusReceived)

	ce := refused(t, e.svc.SetStatus(ctx, bob, n, "", complaintbot.StatusClosed, ""), cases.ErrStatusMove)
	if ce.Status != complaintbot.StatusReceived || ce.To != complaintbot.StatusClosed {
		t.Fatalf("refusal %+v", ce)
	}
	refused(t, e.svc.SetStatus(ctx, bob, n, "", complaintbot.StatusResolved, ""), cases.ErrStatusResolve)
	refused(t, e.svc.SetStatus(ctx, bob, n, "", "archived", ""), cases.ErrStatusMove)
	ce = refused(t, e.svc.SetStatus(ctx, bob, n, complaintbot.StatusInvestigating, complaintbot.StatusEscalated, ""), cases.ErrStatusStale)
	if ce.Status != complaintbot.StatusReceived {
		t.Fatalf("stale refusal names %s", ce.Status)
	}
	if r := e.rec(n); r.Work.Rev != 0 || len(e.notices(n)) != 0 || len(e.audits(n)) != 0 {
		t.Fatal("a refused status change changed the case")
	}

	// received → escalated → investigating: the customer hears of the escalation only (going back
	// to the branch is internal).
	if err := e.svc.SetStatus(ctx, bob, n, complaintbot.StatusReceived, complaintbot.StatusEscalated, "超出网点权限"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetStatus(ctx, bob, n, complaintbot.StatusEscalated, complaintbot.StatusInvestigating, ""); err != nil {
		t.Fatal(err)
	}
	got := e.notices(n)
	if len(got) != 1 || got[0] != "您的投诉（编号 "+n+"）已提交总行相关部门处理，我们会尽快答复您。" {
		t.Fatalf("notices %q", got)
	}
	if tl := e.rec(n).Work.Timeline; tl[0].Kind != "status" || tl[0].Text != "超出网点权限" || tl[0].From != "received" || tl[0].To != "escalated" {
		t.Fatalf("timeline %+v", tl)
	}

	// resolved → closed (nothing to tell), closed → reopened (told).
	if err := e.svc.Resolve(ctx, bob, n, "已核实", "经核实已整改。"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetStatus(ctx, bob, n, complaintbot.StatusResolved, complaintbot.StatusClosed, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetStatus(ctx, bob, n, complaintbot.StatusClosed, complaintbot.StatusReopened, ""); err != nil {
		t.Fatal(err)
	}
	got = e.notices(n)
	if len(got) != 3 || !strings.Contains(got[1], "。处理答复：经核实已整改。") || !strings.Contains(got[2], "已重新进入处理流程") {
		t.Fatalf("notices %q", got)
	}
	if want := []complaintbot.Status{complaintbot.StatusInvestigating, complaintbot.StatusEscalated}; fmt.Sprint(cases.Next(complaintbot.StatusReopened)) != fmt.Sprint(want) {
		t.Fatalf("next after reopened: %v", cases.Next(complaintbot.StatusReopened))
	}
}

func TestExtensionRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.actor("bob")
	const n = "TS20261127-0005"
	e.open(n, complaintbot.StatusInvestigating)
	day := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, complaintbot.Shanghai)
	}
	end := func(y int, m time.Month, d int) time.Time {
		return time.Date(y, m, d, 23, 59, 59, 0, complaintbot.Shanghai)
	}

	refused(t, e.svc.Extend(ctx, bob, n, day(2026, 12, 20), "  "), cases.ErrReasonEmpty)
	refused(t, e.svc.Extend(ctx, bob, n, day(2026, 12, 20), strings.Repeat("长", cases.MaxReason+1)), cases.ErrReasonTooLong)
	refused(t, e.svc.Extend(ctx, bob, n, time.Time{}, "需要调取监控"), cases.ErrDueMissing)
	ce := refused(t, e.svc.Extend(ctx, bob, n, day(2026, 12, 12), "需要调取监控"), cases.ErrDueNotLater)
	if !ce.Date.Equal(e.rec(n).DecisionDue) {
		t.Fatalf("not-later refusal names %v", ce.Date)
	}
	// Received 27 Nov: an agent may extend to 30 days after (27 Dec), no further on their own.
	ce = refused(t, e.svc.Extend(ctx, bob, n, day(2026, 12, 28), "需要调取监控"), cases.ErrApprovalBeyond)
	if want := end(2026, 12, 27); !ce.Date.Equal(want) {
		t.Fatalf("limit %v, want %v", ce.Date, want)
	}
	// 60 days is the end of the ladder, for everyone.
	ce = refused(t, e.svc.Extend(ctx, bob, n, day(2027, 1, 27), "需要调取监控"), cases.ErrDueTooLate)
	if want := end(2027, 1, 26); !ce.Date.Equal(want) {
		t.Fatalf("limit %v, want %v", ce.Date, want)
	}
	if len(e.audits(n)) != 0 || len(e.notices(n)) != 0 {
		t.Fatal("a refused extension was recorded")
	}
	if err := e.svc.Extend(ctx, bob, n, day(2026, 12, 20), "需要调取监控"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if want := end(2026, 12, 20); !r.DecisionDue.Equal(want) || r.Work.Extensions != 1 {
		t.Fatalf("decision due %v (%d extensions)", r.DecisionDue, r.Work.Extensions)
	}
	want := "因情况较为复杂，您的投诉（编号 " + n + "）的处理期限延长至2026年12月20日。原因：需要调取监控。给您带来不便，敬请谅解。"
	if got := e.notices(n); len(got) != 1 || got[0] != want {
		t.Fatalf("notices %q", got)
	}
	if tl := r.Work.Timeline; tl[0].Kind != "extend" || tl[0].From != "2026年12月12日" || tl[0].To != "2026年12月20日" {
		t.Fatalf("timeline %+v", tl)
	}
	// The second extension is refused without approval, even within 30 days' reach.
	refused(t, e.svc.Extend(ctx, bob, n, day(2026, 12, 25), "还需核实"), cases.ErrApprovalSecond)
	if got := e.notices(n); len(got) != 1 || e.rec(n).Work.Extensions != 1 {
		t.Fatalf("a refused second extension changed the case: notices %q", got)
	}
	const done = "TS20261127-0006"
	e.open(done, complaintbot.StatusClosed)
	refused(t, e.svc.Extend(ctx, bob, done, day(2026, 12, 20), "需要调取监控"), cases.ErrExtendFinished)
}

func TestNotesAreRequiredBoundedAndCountedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.actor("bob")
	const n = "TS20261127-0007"
	e.open(n, complaintbot.StatusInvestigating)
	refused(t, e.svc.Note(ctx, bob, n, " \n ", ""), cases.ErrNoteEmpty)
	refused(t, e.svc.Note(ctx, bob, n, strings.Repeat("备", cases.MaxNote+1), ""), cases.ErrNoteTooLong)
	refused(t, e.svc.Note(ctx, bob, n, "已调阅监控", "bad id!"), cases.ErrNoteID)
	for range 2 {
		if err := e.svc.Note(ctx, bob, n, "已调阅监控", "note-000001"); err != nil {
			t.Fatal(err)
		}
	}
	r := e.rec(n)
	if len(r.Work.Timeline) != 1 || r.Work.Timeline[0].ID != "note-note-000001" || r.Work.Timeline[0].Text != "已调阅监控" || r.Work.Timeline[0].By != "bob" {
		t.Fatalf("timeline %+v", r.Work.Timeline)
	}
	if len(e.notices(n)) != 0 {
		t.Fatal("the customer was told of an internal note")
	}
	if got := e.audits(n); len(got) != 1 || got[0] != "bob:case.note" {
		t.Fatalf("audit %q", got)
	}
}

func TestAssignOnlyToActiveColleaguesOfTheBranch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0008"
	e.open(n, complaintbot.StatusInvestigating)
	for _, to := range []string{"nobody", "dora", "carol"} {
		refused(t, e.svc.Assign(ctx, alice, n, to), cases.ErrAssignee)
	}
	if err := e.svc.Assign(ctx, alice, n, " bob "); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Assign(ctx, alice, n, "bob"); err != nil { // the same again: nothing to do
		t.Fatal(err)
	}
	if err := e.svc.Assign(ctx, alice, n, ""); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Work.Assignee != "" || len(r.Work.Timeline) != 2 || r.Work.Timeline[0].Text != "承办人：李强" || r.Work.Timeline[1].Text != "承办人：（无）" {
		t.Fatalf("work %+v", r.Work)
	}
	if got := e.audits(n); len(got) != 2 {
		t.Fatalf("audit %q", got)
	}
	// Nobody outside the case's branch acts on it: it does not exist for them.
	if err := e.svc.Note(ctx, e.actor("carol"), n, "看看", ""); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another branch's note: %v", err)
	}
}

func TestDepartmentsAndMaliciousFlag(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.actor("bob")
	const n = "TS20261127-0009"
	e.open(n, complaintbot.StatusInvestigating)
	var many []string
	for i := range cases.MaxCoHandling + 1 {
		many = append(many, fmt.Sprint("部门", i))
	}
	refused(t, e.svc.SetDepartments(ctx, bob, n, complaintbot.Departments{CoHandling: many}), cases.ErrCoHandling)
	d := complaintbot.Departments{Responsible: " 城东支行营业室 ", Host: "城东支行", CoHandling: []string{"个人金融部", "", "个人金融部", "运营管理部"}}
	for range 2 {
		if err := e.svc.SetDepartments(ctx, bob, n, d); err != nil {
			t.Fatal(err)
		}
	}
	refused(t, e.svc.MarkMalicious(ctx, bob, n, ""), cases.ErrMaliciousReasonless)
	if err := e.svc.ClearMalicious(ctx, bob, n, ""); err != nil { // not flagged: nothing to do
		t.Fatal(err)
	}
	if err := e.svc.MarkMalicious(ctx, bob, n, "多次重复投诉同一事项"); err != nil {
		t.Fatal(err)
	}
	if r := e.rec(n); r.Work.Malicious == nil || r.Work.Malicious.By != "bob" || r.Work.Departments.Responsible != "城东支行营业室" ||
		strings.Join(r.Work.Departments.CoHandling, ",") != "个人金融部,运营管理部" {
		t.Fatalf("work %+v", r.Work)
	}
	if err := e.svc.ClearMalicious(ctx, bob, n, "核实后不属于恶意投诉"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Work.Malicious != nil || len(r.Work.Timeline) != 3 || r.Work.Timeline[0].Text != "责任部门：城东支行营业室；主办部门：城东支行；协办部门：个人金融部、运营管理部" {
		t.Fatalf("work %+v", r.Work)
	}
	if got := e.audits(n); len(got) != 3 || len(e.notices(n)) != 0 {
		t.Fatalf("audit %q, notices %q", got, e.notices(n))
	}
}

func TestResolutionNeedsResultAndReply(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0010"
	e.open(n, complaintbot.StatusEscalated)
	refused(t, e.svc.Resolve(ctx, alice, n, "已批评教育", ""), cases.ErrResolutionEmpty)
	refused(t, e.svc.Resolve(ctx, alice, n, "已批评教育", strings.Repeat("答", cases.MaxReply+1)), cases.ErrResolutionTooLong)
	if err := e.svc.Resolve(ctx, alice, n, "经核实柜员服务不规范，已批评教育", "经核实，柜员确有不当，我行已批评教育并向您致歉。"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Status != complaintbot.StatusResolved || r.Work.Resolution == nil || r.Work.Resolution.By != "alice" {
		t.Fatalf("after resolve: %s %+v", r.Status, r.Work.Resolution)
	}
	// The decision notice: the reply, then the remedies (review.go).
	want := "您的投诉已处理完毕（编号 " + n + "）。处理答复：经核实，柜员确有不当，我行已批评教育并向您致歉。\n如您对处理结果不满意"
	if got := e.notices(n); len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("notices %q", got)
	}
	ce := refused(t, e.svc.Resolve(ctx, alice, n, "again", "again"), cases.ErrResolveFinished)
	if ce.Status != complaintbot.StatusResolved {
		t.Fatalf("refusal names %s", ce.Status)
	}
}

// An action whose audit entry cannot be written is not carried out: the case stays as it was and
// the customer is told nothing.
func TestNoActionWithoutItsAuditEntry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0011"
	e.open(n, complaintbot.StatusReceived)
	// Make every audit entry about this case collide with one already there.
	audit := e.st.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "target", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "target", Value: n}}); err != nil {
		t.Fatal(err)
	}
	ce := refused(t, e.svc.Accept(ctx, e.actor("alice"), n), cases.ErrAudit)
	if ce.Err == nil {
		t.Fatal("no cause")
	}
	if r := e.rec(n); r.Status != complaintbot.StatusReceived || r.Work.Rev != 0 || r.Work.AcceptedAt != nil || len(e.notices(n)) != 0 {
		t.Fatalf("the case changed without its audit entry: %s %+v", r.Status, r.Work)
	}
}

// A notice recorded on the timeline whose queueing was lost (the process stopped between the two
// writes) is queued again, once, when the case is next looked at.
func TestLostNoticeIsQueuedAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0012"
	e.open(n, complaintbot.StatusReceived)
	if err := e.svc.Accept(ctx, e.actor("alice"), n); err != nil {
		t.Fatal(err)
	}
	id := "notice:" + n + "#r1"
	if _, err := e.st.Collection("outbox").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		t.Fatal(err)
	}
	if got := e.svc.RepairNotices(ctx, e.rec(n)); len(got) != 0 || len(e.notices(n)) != 0 {
		t.Fatalf("queued again at once: %v", got)
	}
	e.clock.Advance(2 * time.Minute)
	for range 2 {
		if got := e.svc.RepairNotices(ctx, e.rec(n)); got[id] != complaintbot.OutboxPending {
			t.Fatalf("statuses %v", got)
		}
	}
	if got := e.notices(n); len(got) != 1 || !strings.Contains(got[0], "已由工作人员受理") {
		t.Fatalf("notices %q", got)
	}
}

// The scheduler's escalation of an overdue case tells the customer once, even when it is made
// again after a crash between the escalation and the notice.
func TestOverdueEscalationNoticeOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0013"
	e.open(n, complaintbot.StatusInvestigating)
	at := time.Date(2026, 12, 3, 0, 0, 1, 0, complaintbot.Shanghai)
	// The crash: the case was escalated, its notice never queued.
	if did, err := e.st.EscalateOverdue(ctx, n, storage.DeadlineReply, at); err != nil || !did {
		t.Fatalf("escalate: %v %v", did, err)
	}
	for range 2 {
		if did, err := e.svc.EscalateOverdue(ctx, n, storage.DeadlineReply, at.Add(time.Minute)); err != nil || did {
			t.Fatalf("escalate again: %v %v", did, err)
		}
	}
	want := "您的投诉已提交上级部门处理，我们会在2026年12月12日前给您答复（编号 " + n + "）。给您带来不便，敬请谅解。"
	if got := e.notices(n); len(got) != 1 || got[0] != want {
		t.Fatalf("notices %q", got)
	}
	// The decision deadline passing while it is escalated already changes nothing and says nothing.
	if did, err := e.svc.EscalateOverdue(ctx, n, storage.DeadlineDecision, at.AddDate(0, 0, 10)); err != nil || did {
		t.Fatalf("escalate for the decision: %v %v", did, err)
	}
	if got := e.notices(n); len(got) != 1 {
		t.Fatalf("notices %q", got)
	}
	// A case moved back down is not escalated again for the same deadline.
	const other = "TS20261127-0014"
	e.open(other, complaintbot.StatusInvestigating)
	if did, err := e.svc.EscalateOverdue(ctx, other, storage.DeadlineReply, at); err != nil || !did {
		t.Fatalf("escalate: %v %v", did, err)
	}
	if err := e.svc.SetStatus(ctx, e.actor("alice"), other, complaintbot.StatusEscalated, complaintbot.StatusInvestigating, "网点继续处理"); err != nil {
		t.Fatal(err)
	}
	if did, err := e.svc.EscalateOverdue(ctx, other, storage.DeadlineReply, at.Add(time.Hour)); err != nil || did {
		t.Fatalf("escalate again: %v %v", did, err)
	}
	if got := e.notices(other); len(got) != 1 {
		t.Fatalf("notices %q", got)
	}
}

func TestLowRatingReopensOnceAndTells(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0015"
	e.open(n, complaintbot.StatusResolved)
	at := time.Date(2026, 12, 4, 14, 0, 0, 0, complaintbot.Shanghai)
	for range 2 {
		if _, err := e.svc.ReopenForLowRating(ctx, n, n+"#1", at); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.rec(n); r.Status != complaintbot.StatusReopened {
		t.Fatalf("status %s", r.Status)
	}
	if got := e.notices(n); len(got) != 1 || !strings.Contains(got[0], "已重新进入处理，我们会在2026年12月12日前给您答复") {
		t.Fatalf("notices %q", got)
	}
}

type fakeSurveys struct{ err error }

func (f fakeSurveys) SendSurveyNow(context.Context, string, string) error { return f.err }

func TestSurveyByHand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bob := e.actor("bob")
	const open, done = "TS20261127-0016", "TS20261127-0017"
	e.open(open, complaintbot.StatusInvestigating)
	e.open(done, complaintbot.StatusResolved)
	refused(t, e.svc.SendSurvey(ctx, bob, done), cases.ErrSurveysOff)
	e.svc.SetSurveys(fakeSurveys{})
	refused(t, e.svc.SendSurvey(ctx, bob, open), cases.ErrSurveyNotResolved)
	if err := e.svc.SendSurvey(ctx, bob, done); err != nil {
		t.Fatal(err)
	}
	if got := e.audits(done); len(got) != 1 || got[0] != "bob:case.survey" {
		t.Fatalf("audit %q", got)
	}
	e.svc.SetSurveys(fakeSurveys{fmt.Errorf("ask: %w", storage.ErrSurveyOpen)})
	refused(t, e.svc.SendSurvey(ctx, bob, done), cases.ErrSurveyOpen)
	if got := e.audits(done); len(got) != 1 {
		t.Fatalf("a refused survey was audited: %q", got)
	}
}

func TestAuditNames(t *testing.T) {
	for code, want := range map[string]string{"case.note": "添加内部备注", "case.accept": "受理案件", "case.extend": "延长处理期限"} {
		if got, ok := cases.Audit.Action(code); !ok || got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	if got, ok := cases.Audit.Action("conversation.claim"); ok {
		t.Errorf("the case workflow names another's code: %q", got)
	}
}
