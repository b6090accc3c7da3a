package cases_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// (The embedded database cannot be opened by parallel tests: FerretDB's New writes a global.)

// An agent changes the bot's codes: the case carries the new ones, the timeline says which (code
// and name), the audit trail records the change, the customer is told nothing, and the same codes
// again change nothing.
func TestSetCodingChangesTheCodesOnTheRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0101"
	e.open(n, complaintbot.StatusInvestigating)
	card := taxonomy.Coding{Channel: " a01033 ", Business: "B03026", Reason: "C10"}
	if err := e.svc.SetCoding(ctx, alice, n, card); err != nil {
		t.Fatal(err)
	}
	want := taxonomy.Coding{Channel: "A01033", Business: "B03026", Reason: "C10"}
	r := e.rec(n)
	if r.Coding != want {
		t.Fatalf("coding %+v, want %+v", r.Coding, want)
	}
	tl := r.Work.Timeline
	if len(tl) != 1 || tl[0].Kind != "coding" || tl[0].By != "alice" ||
		tl[0].Text != "编码 A01033 移动客户端；B03026 盗刷；C10 消费者资金安全" || tl[0].From != "A0101 B01 C01" || tl[0].To != "A01033 B03026 C10" {
		t.Fatalf("timeline %+v", tl)
	}
	if got := e.audits(n); !slices.Equal(got, []string{"alice:" + cases.AuditCoding}) {
		t.Fatalf("audit %q", got)
	}
	if got := e.notices(n); len(got) != 0 {
		t.Fatalf("the customer was told of the coding: %q", got)
	}
	if err := e.svc.SetCoding(ctx, alice, n, want); err != nil {
		t.Fatal(err)
	}
	if got := e.audits(n); len(got) != 1 || len(e.rec(n).Work.Timeline) != 1 {
		t.Fatalf("the same codes again: audit %q, timeline %+v", got, e.rec(n).Work.Timeline)
	}
	if got := cases.Audit.Actions[cases.AuditCoding]; got != "JR/T 0169 编码" {
		t.Fatalf("audit name %q", got)
	}
}

// Codes that are not a leaf of their axis are refused, each axis named with what is wrong; the
// case keeps its codes. A user of another branch cannot code the case at all.
func TestSetCodingRefusesWrongCodesNamingTheAxis(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0102"
	e.open(n, complaintbot.StatusInvestigating)
	for _, tc := range []struct {
		name   string
		coding taxonomy.Coding
		axis   taxonomy.Axis
		why    error
	}{
		{"not a leaf", taxonomy.Coding{Channel: "A01", Business: "B01", Reason: "C01"}, taxonomy.Channel, taxonomy.ErrNotLeaf},
		{"another axis", taxonomy.Coding{Channel: "A0101", Business: "C01", Reason: "C01"}, taxonomy.Business, taxonomy.ErrWrongAxis},
		{"unknown", taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C77"}, taxonomy.Reason, taxonomy.ErrUnknown},
	} {
		err := e.svc.SetCoding(ctx, alice, n, tc.coding)
		ce := refused(t, err, cases.ErrCodingInvalid)
		var ce2 taxonomy.CodingError
		if !errors.As(ce.Err, &ce2) || len(ce2) != 1 || ce2.Axis(tc.axis) == nil || !errors.Is(ce2.Axis(tc.axis), tc.why) {
			t.Errorf("%s: refusal %v, want axis %s %v", tc.name, ce.Err, tc.axis, tc.why)
		}
	}
	// No code at all is a request that sent none (a misnamed field), not a coding: refused naming
	// the three axes, never answered "saved".
	ce := refused(t, e.svc.SetCoding(ctx, alice, n, taxonomy.Coding{Channel: "  "}), cases.ErrCodingInvalid)
	if var3, ok := ce.Err.(taxonomy.CodingError); !ok || len(var3) != 3 {
		t.Errorf("an empty coding: refusal %v, want the three axes named", ce.Err)
	}
	if r := e.rec(n); r.Coding != coded || len(r.Work.Timeline) != 0 || len(e.audits(n)) != 0 {
		t.Fatalf("after refusals: coding %+v, timeline %+v, audit %q", r.Coding, r.Work.Timeline, e.audits(n))
	}
	if err := e.svc.SetCoding(ctx, e.actor("carol"), n, coded); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("another branch's agent coding the case: %v", err)
	}
}

// A case is resolved only when it is coded validly on the three axes: one left uncoded (an axis
// the bot could not propose), or carrying a code the taxonomy no longer has as a leaf (the flow
// file's older codes), is refused naming the axis, and the customer is told nothing.
func TestResolveRefusesAnUncodedCase(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	const n = "TS20261127-0103"
	e.open(n, complaintbot.StatusInvestigating)
	if err := e.svc.SetCoding(ctx, alice, n, taxonomy.Coding{Channel: "A0101", Reason: "C01"}); err != nil {
		t.Fatal(err)
	}
	if tl := e.rec(n).Work.Timeline; len(tl) != 1 || tl[0].Text != "编码 A0101 营业现场；B 未编码；C01 服务态度及服务质量" {
		t.Fatalf("timeline %+v", tl)
	}
	ce := refused(t, e.svc.Resolve(ctx, alice, n, "已核实", "经核实已整改。"), cases.ErrUncoded)
	var ae *taxonomy.AxisError
	if !errors.As(ce, &ae) || ae.Axis != taxonomy.Business || !errors.Is(ae, taxonomy.ErrMissing) {
		t.Fatalf("refusal %v, want axis B missing", ce)
	}
	// An older code, stored before the taxonomy was wired in.
	if _, err := e.st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: n}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "coding", Value: taxonomy.Coding{Channel: "A01", Business: "B99", Reason: "C01"}}}}}); err != nil {
		t.Fatal(err)
	}
	ce = refused(t, e.svc.Resolve(ctx, alice, n, "已核实", "经核实已整改。"), cases.ErrUncoded)
	if !errors.As(ce, &ae) || ae.Axis != taxonomy.Channel || !errors.Is(ce, taxonomy.ErrNotLeaf) {
		t.Fatalf("refusal %v, want axis A not a leaf", ce)
	}
	if r := e.rec(n); r.Status != complaintbot.StatusInvestigating || r.Work.Resolution != nil || len(e.notices(n)) != 0 {
		t.Fatalf("refused resolution changed the case: %s %+v, notices %q", r.Status, r.Work.Resolution, e.notices(n))
	}
	if err := e.svc.SetCoding(ctx, alice, n, taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C01"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Resolve(ctx, alice, n, "已核实", "经核实已整改。"); err != nil {
		t.Fatal(err)
	}
	if r := e.rec(n); r.Status != complaintbot.StatusResolved {
		t.Fatalf("status %s", r.Status)
	}
}

func TestCodingText(t *testing.T) {
	t.Parallel()
	tx, err := taxonomy.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := cases.CodingText(tx, taxonomy.Coding{Channel: "A9", Reason: "C99"}); got != "编码 A9；B 未编码；C99 其他" {
		t.Fatalf("CodingText = %q", got)
	}
}
