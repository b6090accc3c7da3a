package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// callsJSON is GET /api/v1/calls as a client reads it.
type callsJSON struct {
	Calls []struct {
		ID, Case, Phone, Status, Purpose string
		WindowOpen                       bool `json:"window_open"`
	} `json:"calls"`
}

// A customer whose messaging window closed is on the call list of their branch with their phone
// number; another branch does not see them; resending waits for the window, and marking the call
// made takes the message off the list.
func TestCallListAfterWindowClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.Deliver()
	e.Clock.Advance(49 * time.Hour)
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	e.Deliver()

	var list callsJSON
	if st := alice.getJSON("/api/v1/calls", &list); st != 200 || len(list.Calls) == 0 {
		t.Fatalf("alice's call list: %d %+v", st, list)
	}
	call := list.Calls[0]
	if call.Case != number || call.Phone != "13812345678" || call.Status != string(complaintbot.OutboxUndeliverable) || call.WindowOpen {
		t.Fatalf("call: %+v", call)
	}
	var other callsJSON
	if st := e.token("carol").getJSON("/api/v1/calls", &other); st != 200 || len(other.Calls) != 0 {
		t.Fatalf("carol's call list: %d %+v", st, other)
	}
	if st, body := e.token("carol").doJSON("POST", "/api/v1/calls/"+url.PathEscape(call.ID), map[string]string{"action": "close"}); st != http.StatusNotFound {
		t.Fatalf("carol closes: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/calls/"+url.PathEscape(call.ID), map[string]string{"action": "resend"}); st != http.StatusConflict {
		t.Fatalf("resend while the window is closed: %d %s", st, body)
	}
	if _, page := e.login("alice").do("GET", "/calls", nil); !strings.Contains(page, "13812345678") || !strings.Contains(page, number) {
		t.Fatalf("calls page: %s", page)
	}
	if st, body := alice.doJSON("POST", "/api/v1/calls/"+url.PathEscape(call.ID), map[string]string{"action": "called", "note": "已电话告知受理"}); st != 200 {
		t.Fatalf("called: %d %s", st, body)
	}
	m, err := e.App.Store.OutboxMessage(ctx, call.ID)
	if err != nil || m.Status != complaintbot.OutboxHandled || m.HandledBy != "alice" || !strings.Contains(m.HandledNote, "已电话告知受理") {
		t.Fatalf("message after the call: %+v %v", m, err)
	}
	trail, err := e.App.Store.AuditLog(ctx, storage.AuditFilter{TargetType: "outbox", User: "alice"})
	if err != nil || len(trail) != 1 || trail[0].Action != "call.called" || strings.Contains(trail[0].Target, custA) {
		t.Fatalf("audit trail: %+v %v", trail, err)
	}
	alice.getJSON("/api/v1/calls", &list)
	for _, c := range list.Calls {
		if c.ID == call.ID {
			t.Fatalf("handled message still listed: %+v", list)
		}
	}
}

// When the customer writes again the window is open and the message can be resent.
func TestCallListResendWhenWindowOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.Deliver()
	e.Clock.Advance(49 * time.Hour)
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	e.Deliver()
	e.say(custA, "你好")
	var list callsJSON
	if alice.getJSON("/api/v1/calls", &list); len(list.Calls) == 0 || !list.Calls[0].WindowOpen {
		t.Fatalf("call list after the customer wrote: %+v", list)
	}
	if st, body := alice.doJSON("POST", "/api/v1/calls/"+url.PathEscape(list.Calls[0].ID), map[string]string{"action": "resend"}); st != 200 {
		t.Fatalf("resend: %d %s", st, body)
	}
	m, err := e.App.Store.OutboxMessage(context.Background(), list.Calls[0].ID)
	if err != nil || m.Status != complaintbot.OutboxPending {
		t.Fatalf("resent message: %+v %v", m, err)
	}
}
