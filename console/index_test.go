package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
)

// A case the scheduler escalates (it missed its deadline) shows as escalated in the case list at
// once: the store tells its case index (on the embedded server), which is otherwise read in full
// only every few hours.
func TestCaseEscalatedBySchedulerIsListedAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	root := e.token("root")
	if st, body := root.doJSON("GET", "/api/v1/cases?status=escalated", nil); st != 200 || strings.Contains(body, number) {
		t.Fatalf("before: %d %s", st, body)
	}
	escalated, err := e.App.Store.EscalateOverdue(context.Background(), number, storage.DeadlineDecision, e.Clock.Now())
	if err != nil || !escalated {
		t.Fatalf("escalate: %v %v", escalated, err)
	}
	if st, body := root.doJSON("GET", "/api/v1/cases?status=escalated", nil); st != 200 || !strings.Contains(body, number) {
		t.Fatalf("the escalated case is not listed: %d %s", st, body)
	}
}
