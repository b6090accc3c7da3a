package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
)

// A case numbered past 9,999 of its day (storage hands such numbers out on a busy day) opens in
// the console like any other, and is found by its number in the list.
func TestCaseNumberPast9999Opens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	const number = "TS20261127-10124"
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oBig0000001",
		Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: apptest.Start, ReplyDue: apptest.Start.AddDate(0, 0, 3),
		DecisionDue: apptest.Start.AddDate(0, 0, 15), SourceTurn: "oBig0000001#1", Day: "2026-11-27", Month: "2026-11", Updated: apptest.Start}
	if err := e.App.Store.InsertCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	e.App.Console.RefreshIndex()
	alice := e.token("alice")
	if st, body := alice.request("GET", "/api/v1/cases/"+number, nil, ""); st != http.StatusOK || !strings.Contains(body, number) {
		t.Fatalf("GET the case: %d %s", st, body)
	}
	if st, body := alice.request("GET", "/api/v1/cases?q="+number, nil, ""); st != http.StatusOK || !strings.Contains(body, number) {
		t.Fatalf("search by number: %d %s", st, body)
	}
}
