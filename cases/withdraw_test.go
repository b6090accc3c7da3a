package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/storage"
)

func TestAgentRecordsAWithdrawal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0101"
	e.open(n, complaintbot.StatusInvestigating)

	refused(t, e.svc.Withdraw(ctx, alice, n, "  "), cases.ErrWithdrawReason)
	refused(t, e.svc.Withdraw(ctx, alice, n, strings.Repeat("撤", cases.MaxWithdrawReason+1)), cases.ErrWithdrawReasonTooLong)
	if err := e.svc.Withdraw(ctx, alice, n, "客户来电表示问题已自行解决，要求撤回"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Status != complaintbot.StatusWithdrawn || r.Status.Open() {
		t.Fatalf("status %s", r.Status)
	}
	var kinds []string
	for _, en := range r.Work.Timeline {
		kinds = append(kinds, en.Kind+":"+en.By)
	}
	if got := strings.Join(kinds, ","); got != "withdraw:alice,status:alice,notice:alice" {
		t.Fatalf("timeline %s", got)
	}
	if got := e.notices(n); len(got) != 1 || !strings.Contains(got[0], "已撤回") || !strings.Contains(got[0], n) {
		t.Fatalf("notices %q", got)
	}
	if got := e.audits(n); len(got) != 1 || got[0] != "alice:case.withdraw" {
		t.Fatalf("audit %q", got)
	}
	// Again: nothing more is written or sent.
	if err := e.svc.Withdraw(ctx, alice, n, "再次提交"); err != nil {
		t.Fatal(err)
	}
	if len(e.notices(n)) != 1 || e.rec(n).Work.Rev != 1 {
		t.Fatal("a repeated withdrawal changed the case")
	}
	// Past its decision deadline the withdrawn case is not overdue, in the case and in the lists.
	later := r.DecisionDue.Add(48 * time.Hour)
	if r.Overdue(later) {
		t.Fatal("a withdrawn case is overdue")
	}
	list, err := e.st.ListCases(ctx, storage.CaseFilter{Overdue: true, Now: later}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Number == n {
			t.Fatal("the overdue list holds the withdrawn case")
		}
	}
	// Nothing but withdrawn follows: not accepted, extended or resolved.
	refused(t, e.svc.Accept(ctx, alice, n), cases.ErrAcceptFinished)
	// A decided case is not withdrawn.
	const done = "TS20261127-0102"
	e.open(done, complaintbot.StatusResolved)
	refused(t, e.svc.Withdraw(ctx, alice, done, "客户要求撤回"), cases.ErrWithdrawFinished)
	// Another branch's agent does not find it.
	if err := e.svc.Withdraw(ctx, e.actor("carol"), "TS20261127-0103", "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another branch: %v", err)
	}
}

func TestCustomerWithdrawsInTheChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0111"
	e.open(n, complaintbot.StatusReceived)
	// Someone else's openid does not find the case.
	if err := e.svc.CustomerWithdraw(ctx, "oSomeoneElse", n); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another customer: %v", err)
	}
	if e.rec(n).Status != complaintbot.StatusReceived {
		t.Fatal("another customer withdrew the case")
	}
	owner := e.rec(n).OpenID
	if err := e.svc.CustomerWithdraw(ctx, owner, n); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Status != complaintbot.StatusWithdrawn || len(r.Work.Timeline) != 2 || r.Work.Timeline[0].By != complaintbot.CustomerUser ||
		r.Work.Timeline[0].Text != cases.CustomerWithdrawReason {
		t.Fatalf("case %s %+v", r.Status, r.Work.Timeline)
	}
	// Told in the chat: no notice; the audit trail names the customer.
	if got := e.notices(n); len(got) != 0 {
		t.Fatalf("notices %q", got)
	}
	if got := e.audits(n); len(got) != 1 || got[0] != "customer:case.withdraw" {
		t.Fatalf("audit %q", got)
	}
	// The turn applied again changes nothing.
	if err := e.svc.CustomerWithdraw(ctx, owner, n); err != nil || e.rec(n).Work.Rev != 1 {
		t.Fatalf("again: %v, rev %d", err, e.rec(n).Work.Rev)
	}
}
