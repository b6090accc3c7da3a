package reports_test

import (
	"context"
	"errors"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Every export is audited before its data leaves, with the codes and texts the audit trail has
// always had; once no audit entry can be written, every export is refused (ErrUnaudited) and
// hands out no data.
func TestExportsAreAuditedBeforeTheirDataLeaves(t *testing.T) {
	st, svc, _ := setup(t)
	ctx := context.Background()
	sue := complaintbot.Actor{User: &complaintbot.User{Name: "sue", Role: complaintbot.RoleSupervisor, Branches: []string{"0101"}}, Addr: "10.0.0.9"}
	f := novFilter()
	f.Scope, f.Branch = []string{"0101"}, "0101"
	rq := reports.RegisterQuery{Scope: []string{"0101"}, Branch: "0101", Month: "2026-11"}
	gq := reports.RegulatorQuery{Period: "2026-11", Scope: []string{"0101"}}

	type export struct {
		name string
		run  func() (any, error)
		// action, target and after are the audit entry's.
		action, target, after string
	}
	exports := []export{
		{"cases.json", func() (any, error) { return svc.ExportCases(ctx, sue, f, false, "branch=0101") }, "report.export", "", "cases.json 5 rows; full phone false; branch=0101"},
		{"cases.csv", func() (any, error) { return svc.ExportCasesFile(ctx, sue, f, reports.CSV, false, "q") }, "report.export", "", "cases.csv 5 rows; full phone false; q"},
		{"cases.xlsx", func() (any, error) { return svc.ExportCasesFile(ctx, sue, f, reports.XLSX, true, "q") }, "report.export", "", "cases.xlsx 5 rows; full phone true; q"},
		{"register", func() (any, error) { return svc.ExportRegister(ctx, sue, rq, "register page") }, "report.register", "2026-11", "register page 5 rows"},
		{"register.xlsx", func() (any, error) { _, b, err := svc.ExportRegisterXLSX(ctx, sue, rq); return b, err }, "report.register", "2026-11", "register.xlsx 5 rows"},
		{"regulator.json", func() (any, error) { return svc.ExportRegulator(ctx, sue, gq) }, "report.export", "2026-11", "regulator.json 2026-11"},
		{"regulator.xlsx", func() (any, error) { _, b, err := svc.ExportRegulatorXLSX(ctx, sue, gq); return b, err }, "report.export", "2026-11", "regulator.xlsx 2026-11"},
	}
	for i, x := range exports {
		if _, err := x.run(); err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		log, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: reports.AuditTarget})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != i+1 {
			t.Fatalf("%s: %d audit entries, want %d", x.name, len(log), i+1)
		}
		if e := log[0]; e.Action != x.action || e.Target != x.target || e.After != x.after || e.User != "sue" || e.Addr != "10.0.0.9" {
			t.Fatalf("%s: audit entry %+v, want %s %q %q by sue", x.name, e, x.action, x.target, x.after)
		}
	}
	// The masking of phone numbers is the export's: the rows handed out are masked unless asked.
	rows, err := svc.ExportCases(ctx, sue, f, false, "")
	if err != nil || len(rows) == 0 || rows[0].Phone == "13812345678" {
		t.Fatalf("an export's rows carry whole phone numbers: %v %+v", err, rows)
	}

	// Every later audit entry of sue's collides with one already there.
	audit := st.Collection("audit")
	if _, err := audit.DeleteMany(ctx, bson.D{{Key: "user", Value: "sue"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "user", Value: 1}}, Options: options.Index().SetUnique(true).SetName("break_audit")}); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "user", Value: "sue"}}); err != nil {
		t.Fatal(err)
	}
	for _, x := range exports {
		data, err := x.run()
		if !errors.Is(err, reports.ErrUnaudited) {
			t.Fatalf("%s without its audit entry: %v, want ErrUnaudited", x.name, err)
		}
		if !isNil(data) {
			t.Fatalf("%s without its audit entry handed out %T", x.name, data)
		}
	}
}

// isNil reports whether v holds no data: nil, or a nil pointer, slice or byte slice.
func isNil(v any) bool {
	switch d := v.(type) {
	case nil:
		return true
	case []storage.ReportFact:
		return d == nil
	case []byte:
		return d == nil
	case *reports.Register:
		return d == nil
	case *reports.RegulatorReport:
		return d == nil
	}
	return false
}
