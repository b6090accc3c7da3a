package console_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
)

// keysOf returns the keys of a JSON object, sorted.
func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// An integration reading the API sees the same keys for a case and for the case list as before
// the case types were one: the list never carries the customer's text, phone number or openid,
// nor the work's details; the case carries its work, and never the scheduler's bookkeeping.
func TestCaseJSONKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/malicious", map[string]any{"flag": true, "text": "反复骚扰"}); st != 200 {
		t.Fatalf("flag: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/assign", map[string]any{"assignee": "alice"}); st != 200 {
		t.Fatalf("assign: %d %s", st, body)
	}
	if _, err := e.App.Store.EscalateOverdue(t.Context(), number, storage.DeadlineReply, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}

	var list struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if st := alice.getJSON("/api/v1/cases?q="+url.QueryEscape(number), &list); st != 200 || len(list.Cases) != 1 {
		t.Fatalf("list: %d %d cases", st, len(list.Cases))
	}
	row := list.Cases[0]
	if got, want := keysOf(t, row), []string{"branch", "category", "decision_due", "jrt_coding", "kind", "number", "received_at", "reply_due", "status", "work"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a listed case has the keys %v, want %v", got, want)
	}
	var rowWork struct {
		Work json.RawMessage `json:"work"`
	}
	_ = json.Unmarshal(row, &rowWork)
	if got, want := keysOf(t, rowWork.Work), []string{"assignee", "malicious"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a listed case's work has the keys %v, want %v", got, want)
	}
	if strings.Contains(string(row), "13812345678") || strings.Contains(string(row), custA) {
		t.Errorf("the list shows the customer's phone number or openid: %s", row)
	}

	var one struct {
		Case json.RawMessage `json:"case"`
	}
	if st := alice.getJSON("/api/v1/cases/"+number, &one); st != 200 {
		t.Fatalf("case: %d", st)
	}
	if got, want := keysOf(t, one.Case), []string{"branch", "category", "channel", "coding", "day", "decision_due", "fields", "kind", "month", "number",
		"occurred_at", "received_at", "reply_due", "status", "updated_at", "work"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a case has the keys %v, want %v", got, want)
	}
	var caseWork struct {
		Work json.RawMessage `json:"work"`
	}
	_ = json.Unmarshal(one.Case, &caseWork)
	if got, want := keysOf(t, caseWork.Work), []string{"assignee", "departments", "malicious", "rev", "timeline"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a case's work has the keys %v, want %v", got, want)
	}
}
