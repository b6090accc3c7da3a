package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// A day's worth of facts changed at once (a start after an upgrade, a repair after an outage) is
// stored, though the embedded server runs out of connections within one bulk write of about a
// hundred replacements (see maxUpdateStatements): the write comes through, and every fact says
// what it was given.
func TestManyChangedFactsOfOneDayAreStored(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	const day, n = "2026-11-21", 260
	var facts []storage.ReportFact
	for i := range n {
		facts = append(facts, storage.ReportFact{Number: fmt.Sprintf("TS20261121-%04d", i+1), Day: day, Week: "2026-W47", Month: "2026-11",
			Branch: "0101", Kind: "complaint", Status: "received"})
	}
	if err := st.InsertReportFacts(ctx, day, facts); err != nil {
		t.Fatal(err)
	}
	for i := range facts {
		facts[i].Overdue = true
	}
	if err := st.PutReportFacts(ctx, facts); err != nil {
		t.Fatalf("store %d changed facts: %v", n, err)
	}
	overdue := 0
	err := st.EachReportFact(ctx, day, storage.FactFilter{}, func(f *storage.ReportFact) error {
		if f.Overdue {
			overdue++
		}
		return nil
	})
	if err != nil || overdue != n {
		t.Fatalf("%d of %d facts stored as changed (%v)", overdue, n, err)
	}
}
