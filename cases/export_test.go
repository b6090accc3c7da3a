package cases_test

import (
	"context"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// An export is audited before its data leaves, and holds the exporter's branches' cases only;
// an export whose audit entry cannot be written hands out nothing.
func TestExportIsAuditedBeforeItsDataLeaves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.open("TS20261127-0101", complaintbot.StatusReceived) // 0101's
	other := &complaintbot.Case{Number: "TS20261127-0102", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oCustB",
		Branch: complaintbot.Branch{Code: "0201", Name: "城西支行"}, Received: t0, Day: "2026-11-27", Month: "2026-11", Updated: t0}
	if err := e.st.InsertCase(ctx, other); err != nil {
		t.Fatal(err)
	}
	alice := e.actor("alice")
	var got []string
	audited := 0
	begin := func() error {
		log, err := e.st.AuditLog(ctx, storage.AuditFilter{TargetType: "case"})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range log {
			if a.Action == cases.AuditExport && a.User == "alice" && a.After == "cases.csv; status=received" {
				audited++
			}
		}
		return nil
	}
	row := func(c *complaintbot.Case) error { got = append(got, c.Number); return nil }
	if err := e.svc.Export(ctx, alice, storage.CaseFilter{}, 10, "status=received", begin, row); err != nil {
		t.Fatal(err)
	}
	if audited != 1 || len(got) != 1 || got[0] != "TS20261127-0101" {
		t.Fatalf("export: audited %d before it began, cases %v; want 1 and only 0101's case", audited, got)
	}

	// Every later audit entry collides with one already there.
	audit := e.st.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "action", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	got, began := nil, false
	err := e.svc.Export(ctx, alice, storage.CaseFilter{}, 10, "", func() error { began = true; return nil }, row)
	refused(t, err, cases.ErrAudit)
	if began || len(got) != 0 {
		t.Fatalf("an export without its audit entry handed out data: began %v, cases %v", began, got)
	}
}
