package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
)

// hq adds a head-office agent and returns it.
func (e *env) hq() complaintbot.Actor {
	e.t.Helper()
	if err := e.st.CreateUser(context.Background(), &complaintbot.User{Name: "hank", DisplayName: "总行核查员", Role: complaintbot.RoleAgent,
		Branches: []string{complaintbot.HeadOffice}}); err != nil {
		e.t.Fatal(err)
	}
	return e.actor("hank")
}

func TestReviewFromRequestToResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice, hank := e.actor("alice"), e.hq()
	const n = "TS20261127-0201"
	e.open(n, complaintbot.StatusInvestigating)
	owner := e.rec(n).OpenID

	// Not decided yet: no review.
	refused(t, e.svc.CustomerReview(ctx, owner, n, "申请核查"), cases.ErrReviewUndecided)

	e.clock.Advance(24 * time.Hour) // decided on 28 Nov
	if err := e.svc.Resolve(ctx, alice, n, "核实柜员态度问题属实，已批评教育", "已对相关柜员批评教育，向您致歉"); err != nil {
		t.Fatal(err)
	}
	// The decision notice tells the remedies and the last day of the review window (28 Nov + 30 days).
	got := e.notices(n)
	if len(got) != 1 || !strings.Contains(got[0], "2026年12月28日前") || !strings.Contains(got[0], "申请核查 "+n) || !strings.Contains(got[0], "12378") {
		t.Fatalf("decision notice %q", got)
	}

	e.clock.Advance(10 * 24 * time.Hour) // 8 Dec
	if err := e.svc.CustomerReview(ctx, "oSomeoneElse", n, "x"); err == nil {
		t.Fatal("another customer asked for a review")
	}
	if err := e.svc.CustomerReview(ctx, owner, n, "我对处理结果不满意，要求复核"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	rv := r.Review
	wantDue := time.Date(2026, 12, 23, 23, 59, 59, 0, complaintbot.Shanghai) // 8 Dec + 15 days
	if rv == nil || rv.ID != n+"-HC1" || !rv.Due.Equal(wantDue) || !rv.Open() || rv.By != complaintbot.CustomerUser || rv.Text != "我对处理结果不满意，要求复核" {
		t.Fatalf("review %+v", rv)
	}
	if r.Status != complaintbot.StatusResolved {
		t.Fatalf("the review changed the status to %s", r.Status)
	}
	got = e.notices(n)
	if len(got) != 2 || !strings.Contains(got[1], n+"-HC1") || !strings.Contains(got[1], "2026年12月23日前") {
		t.Fatalf("review notice %q", got)
	}
	tasks, err := e.st.OpenReviewTasks(ctx, 10)
	if err != nil || len(tasks) != 1 || tasks[0].ID != n+"-HC1" || tasks[0].Branch != "0101" || !tasks[0].Due.Equal(wantDue) {
		t.Fatalf("head office's tasks %+v %v", tasks, err)
	}
	// The turn applied again: nothing more.
	if err := e.svc.CustomerReview(ctx, owner, n, "again"); err != nil || len(e.notices(n)) != 2 {
		t.Fatalf("again: %v, %d notices", err, len(e.notices(n)))
	}
	refused(t, e.svc.RequestReview(ctx, hank, n, "电话申请"), cases.ErrReviewOpen)

	// Only head office records the result.
	refused(t, e.svc.RecordReview(ctx, alice, n, "维持原处理结果"), cases.ErrReviewHeadOffice)
	refused(t, e.svc.RecordReview(ctx, hank, n, " "), cases.ErrReviewResultEmpty)
	if err := e.svc.RecordReview(ctx, hank, n, "经总行核查，维持原处理结果"); err != nil {
		t.Fatal(err)
	}
	rv = e.rec(n).Review
	if rv.Open() || rv.Result != "经总行核查，维持原处理结果" || rv.DecidedBy != "hank" {
		t.Fatalf("review %+v", rv)
	}
	got = e.notices(n)
	if len(got) != 3 || !strings.Contains(got[2], "经总行核查，维持原处理结果") || !strings.Contains(got[2], n+"-HC1") {
		t.Fatalf("result notice %q", got)
	}
	if tasks, _ := e.st.OpenReviewTasks(ctx, 10); len(tasks) != 0 {
		t.Fatalf("the reviewed task is still open: %+v", tasks)
	}
	refused(t, e.svc.RecordReview(ctx, hank, n, "again"), cases.ErrReviewNone)
	refused(t, e.svc.CustomerReview(ctx, owner, n, "再次申请"), cases.ErrReviewDone)
	if a := strings.Join(e.audits(n), ","); a != "hank:case.review_result,customer:case.review,alice:case.resolve" {
		t.Fatalf("audit %s", a)
	}
}

func TestReviewWindowCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0211"
	e.open(n, complaintbot.StatusInvestigating)
	if err := e.svc.Resolve(ctx, e.actor("alice"), n, "已处理", "已处理，谢谢"); err != nil {
		t.Fatal(err)
	}
	// Decided 27 Nov 10:00: the window ends 27 Dec 23:59:59.
	e.clock.Set(time.Date(2026, 12, 28, 0, 0, 1, 0, complaintbot.Shanghai))
	ce := refused(t, e.svc.CustomerReview(ctx, e.rec(n).OpenID, n, "申请核查"), cases.ErrReviewWindow)
	if want := time.Date(2026, 12, 27, 23, 59, 59, 0, complaintbot.Shanghai); !ce.Date.Equal(want) {
		t.Fatalf("window ends %v", ce.Date)
	}
	if e.rec(n).Review != nil || !errors.Is(ce, cases.ErrReviewWindow) {
		t.Fatal("a review past the window was registered")
	}
}
