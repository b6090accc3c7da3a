package cases_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/storage"
)

// approvers adds sam (supervisor of 0101), hana (agent of head office) and tom (supervisor of
// 0201) to the env's users.
func (e *env) approvers() {
	e.t.Helper()
	for _, u := range []complaintbot.User{
		{Name: "sam", DisplayName: "孙主管", Role: complaintbot.RoleSupervisor, Branches: []string{"0101"}},
		{Name: "hana", DisplayName: "韩总行", Role: complaintbot.RoleAgent, Branches: []string{complaintbot.HeadOffice}},
		{Name: "tom", DisplayName: "唐主管", Role: complaintbot.RoleSupervisor, Branches: []string{"0201"}},
	} {
		if err := e.st.CreateUser(context.Background(), &u); err != nil {
			e.t.Fatal(err)
		}
	}
}

func shanghaiDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, complaintbot.Shanghai)
}

func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, complaintbot.Shanghai)
}

// The second rung: an agent asks, the branch supervisor approves, the deadline moves and the
// customer is told; until then nothing changes for the customer.
func TestExtensionRequestApprovedBySupervisor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approvers()
	ctx := context.Background()
	bob, sam, tom := e.actor("bob"), e.actor("sam"), e.actor("tom")
	const n = "TS20261127-0011"
	e.open(n, complaintbot.StatusInvestigating)
	if err := e.svc.Extend(ctx, bob, n, shanghaiDay(2026, 12, 27), "需要调取监控"); err != nil {
		t.Fatal(err)
	}
	refused(t, e.svc.RequestExtension(ctx, bob, n, shanghaiDay(2027, 1, 27), "需总行协查"), cases.ErrDueTooLate)
	e.clock.Advance(time.Hour)
	if err := e.svc.RequestExtension(ctx, bob, n, shanghaiDay(2027, 1, 20), "需总行协查"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if !r.DecisionDue.Equal(endOf(2026, 12, 27)) || r.Work.Extensions != 1 {
		t.Fatalf("a request moved the deadline: %v (%d extensions)", r.DecisionDue, r.Work.Extensions)
	}
	if q := r.Work.ExtensionRequest; q == nil || !q.Due.Equal(endOf(2027, 1, 20)) || q.By != "bob" || q.Reason != "需总行协查" {
		t.Fatalf("request %+v", r.Work.ExtensionRequest)
	}
	if last := r.Work.Timeline[len(r.Work.Timeline)-1]; last.Kind != "extend_request" || last.To != "2027年1月20日" {
		t.Fatalf("timeline ends with %+v", last)
	}
	if got := e.notices(n); len(got) != 1 {
		t.Fatalf("the customer was told of a request: %q", got)
	}
	// The pending request blocks other extensions; an agent cannot approve it, nor can another
	// branch's supervisor see it.
	ce := refused(t, e.svc.Extend(ctx, sam, n, shanghaiDay(2027, 1, 10), "另行延期"), cases.ErrExtensionPending)
	if ce.By != "bob" || !ce.Date.Equal(endOf(2027, 1, 20)) {
		t.Fatalf("pending refusal names %q %v", ce.By, ce.Date)
	}
	refused(t, e.svc.ApproveExtension(ctx, bob, n), cases.ErrNotApprover)
	if err := e.svc.ApproveExtension(ctx, tom, n); !storageNotFound(err) {
		t.Fatalf("another branch's supervisor: %v", err)
	}
	if err := e.svc.ApproveExtension(ctx, sam, n); err != nil {
		t.Fatal(err)
	}
	r = e.rec(n)
	if !r.DecisionDue.Equal(endOf(2027, 1, 20)) || r.Work.Extensions != 2 || r.Work.ExtensionRequest != nil {
		t.Fatalf("after approval: due %v, %d extensions, request %+v", r.DecisionDue, r.Work.Extensions, r.Work.ExtensionRequest)
	}
	want := "因情况特别复杂，经上级审批，您的投诉（编号 " + n + "）的处理期限延长至2027年1月20日。原因：需总行协查。给您带来不便，敬请谅解。"
	if got := e.notices(n); len(got) != 2 || got[1] != want {
		t.Fatalf("notices %q", got)
	}
	refused(t, e.svc.ApproveExtension(ctx, sam, n), cases.ErrNoExtensionRequest)
	if got := e.audits(n); !slices.Contains(got, "bob:"+cases.AuditExtendRequest) || !slices.Contains(got, "sam:"+cases.AuditExtendApprove) {
		t.Fatalf("audits %q", got)
	}
	if cases.Audit.Actions[cases.AuditExtendApprove] != "批准延期" {
		t.Fatal("the approval has no name in the audit trail")
	}
}

// Head office refuses a request: the deadline stays, the customer hears nothing, and the agent
// may ask again.
func TestExtensionRequestRefusedByHeadOffice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approvers()
	ctx := context.Background()
	bob, hana := e.actor("bob"), e.actor("hana")
	const n = "TS20261127-0012"
	e.open(n, complaintbot.StatusInvestigating)
	refused(t, e.svc.RequestExtension(ctx, bob, n, shanghaiDay(2026, 12, 20), "需要调取监控"), cases.ErrNoApprovalNeeded)
	if err := e.svc.RequestExtension(ctx, bob, n, shanghaiDay(2027, 1, 5), "涉及多个部门"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RefuseExtension(ctx, hana, n, "请先按期答复"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if !r.DecisionDue.Equal(endOf(2026, 12, 12)) || r.Work.Extensions != 0 || r.Work.ExtensionRequest != nil {
		t.Fatalf("after refusal: due %v, %d extensions, request %+v", r.DecisionDue, r.Work.Extensions, r.Work.ExtensionRequest)
	}
	if last := r.Work.Timeline[len(r.Work.Timeline)-1]; last.Kind != "extend_refused" || last.From != "bob" || last.Text != "请先按期答复" {
		t.Fatalf("timeline ends with %+v", last)
	}
	if got := e.notices(n); len(got) != 0 {
		t.Fatalf("notices %q", got)
	}
	if err := e.svc.RequestExtension(ctx, bob, n, shanghaiDay(2027, 1, 6), "涉及多个部门"); err != nil {
		t.Fatalf("asking again: %v", err)
	}
}

// An approver extends beyond 30 days directly; the customer gets the approved extension's notice.
func TestSupervisorExtendsBeyondThirtyDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approvers()
	ctx := context.Background()
	const n = "TS20261127-0013"
	e.open(n, complaintbot.StatusInvestigating)
	if err := e.svc.Extend(ctx, e.actor("sam"), n, shanghaiDay(2027, 1, 26), "涉及司法协查"); err != nil {
		t.Fatal(err)
	}
	if r := e.rec(n); !r.DecisionDue.Equal(endOf(2027, 1, 26)) || r.Work.Extensions != 1 {
		t.Fatalf("due %v", r.DecisionDue)
	}
	if got := e.notices(n); len(got) != 1 || !containsAll(got[0], "经上级审批", "2027年1月26日", "涉及司法协查") {
		t.Fatalf("notices %q", got)
	}
}

// The ladder's rungs come from the configuration.
func TestLadderFromConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := cases.New(cases.Deps{Store: e.st, Engine: nil, Clock: e.clock, Ladder: cases.Ladder{Decision: 15, Extended: 20, Approved: 40}})
	c := &complaintbot.Case{Received: t0}
	ext, appr := svc.Limits(c)
	if !ext.Equal(endOf(2026, 12, 17)) || !appr.Equal(endOf(2027, 1, 6)) {
		t.Fatalf("limits %v %v", ext, appr)
	}
	if !svc.NeedsApproval(c, shanghaiDay(2026, 12, 18)) || svc.NeedsApproval(c, shanghaiDay(2026, 12, 17)) {
		t.Fatal("the configured rung is not the one that needs approval")
	}
}

func storageNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// A wait on the customer pauses the deadlines' clock: when it ends they move later by the time
// waited, but a regulator's referral's reply date stays: the deadlines stop there, the timeline
// says so, and no extension passes it afterwards.
func TestPauseNeverPassesTheReferralsReplyDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	reg := &cases.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	draft := complaintbot.Draft{Kind: complaintbot.KindComplaint, Branch: &complaintbot.Branch{Code: "0101", Name: "城东支行"},
		Fields: map[string]string{complaintbot.FieldDescription: "柜员态度很差，不耐烦"}}
	c, _, err := cases.NewRegistrar(e.svc, reg).Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator,
		Token: strings.Repeat("9", 32), Referral: &complaintbot.Referral{Authority: complaintbot.Referral12378, Number: "12378-2026-0001", ReplyBy: shanghaiDay(2026, 12, 20)}})
	if err != nil {
		t.Fatal(err)
	}
	const plain = "TS20261127-0041" // no referral: the deadlines move by the whole wait
	e.open(plain, complaintbot.StatusInvestigating)

	e.clock.Advance(24 * time.Hour) // 28 Nov: both wait on the customer, for 20 days
	for _, n := range []string{c.Number, plain} {
		if err := e.st.WaitOnCustomer(ctx, n, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(20 * 24 * time.Hour) // 18 Dec
	for _, n := range []string{c.Number, plain} {
		if waited, err := e.st.StopWaiting(ctx, n, e.clock.Now(), true); err != nil || waited != 20*24*time.Hour {
			t.Fatalf("stop waiting: %v %v", waited, err)
		}
	}
	r := e.rec(c.Number)
	if end := r.Referral.ReplyBy; end.In(complaintbot.Shanghai).Format(time.DateOnly) != "2026-12-20" || !r.DecisionDue.Equal(end) || !r.ReplyDue.Equal(end) {
		t.Fatalf("after the pause: decision %v, reply %v; want both the referral's %v", r.DecisionDue, r.ReplyDue, end)
	}
	last := r.Work.Timeline[len(r.Work.Timeline)-1]
	if last.Kind != "pause" || !strings.Contains(last.Text, "回复期限 2026-12-20 不变") || last.To != "2026-12-20" {
		t.Fatalf("timeline %+v", last)
	}
	if p := e.rec(plain); !p.DecisionDue.Equal(endOf(2027, 1, 1)) || !p.ReplyDue.Equal(endOf(2026, 12, 22)) {
		t.Fatalf("a case without a referral: decision %v, reply %v", p.DecisionDue, p.ReplyDue)
	}
	// The pause moved the ladder's rungs; the referral's date still bounds an extension.
	err = e.svc.Extend(ctx, e.actor("alice"), c.Number, shanghaiDay(2026, 12, 27), "需调取监控录像")
	if ce := refused(t, err, cases.ErrDueAfterReferral); !ce.Date.Equal(r.Referral.ReplyBy) {
		t.Fatalf("refusal names %v", ce.Date)
	}
	// A second wait once the deadline stands at the reply date: it stays there.
	if err := e.st.WaitOnCustomer(ctx, c.Number, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	if _, err := e.st.StopWaiting(ctx, c.Number, e.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	if r := e.rec(c.Number); !r.DecisionDue.Equal(r.Referral.ReplyBy) {
		t.Fatalf("after a second pause: %v", r.DecisionDue)
	}
}
