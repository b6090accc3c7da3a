package storage_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// The dashboard filters rollup cells in Go (FactFilter.MatchesCell) while the exports ask the
// database for the same filter's facts (EachReportFact): over the same facts, every filter selects
// the same cases both ways, or a supervisor's dashboard and export would disagree.
func TestFactFilterSelectsTheSameFactsInGoAndInTheDatabase(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	const day = "2026-11-27"
	branches := []string{"0101", "0201", "", "0101 "}
	categories := []string{"SVC", "FEE", "", "svc"}
	kinds := []string{"complaint", "suggestion"}
	agents := []string{"alice", "", "Alice", "鲍勃"}
	statuses := []string{"received", "investigating", "resolved", "closed"}
	var facts []storage.ReportFact
	for i := range 64 {
		facts = append(facts, storage.ReportFact{Number: fmt.Sprintf("TS20261127-%04d", i+1), Day: day, Week: "2026-W48", Month: "2026-11",
			Branch: branches[i%len(branches)], Category: categories[(i/4)%len(categories)], Kind: kinds[(i/3)%len(kinds)],
			Agent: agents[(i/2)%len(agents)], Status: statuses[(i/5)%len(statuses)]})
	}
	if err := st.InsertReportFacts(ctx, day, facts); err != nil {
		t.Fatal(err)
	}
	filters := []storage.FactFilter{
		{},
		{Branches: []string{}},
		{Branches: []string{"0101"}},
		{Branches: []string{"0101", ""}},
		{Branches: []string{"0201"}, Branch: "0101"},
		{Branches: []string{"0101", "0201"}, Branch: "0201", Kind: "complaint"},
		{Branch: ""},
		{Branch: "0101 "},
		{Category: "SVC"},
		{Category: "svc", Kind: "suggestion"},
		{Kind: "complaint", Agent: "alice"},
		{Agent: "Alice"},
		{Agent: "鲍勃", Branches: []string{"0101", "0201"}},
		{Branches: []string{"0101"}, Category: "FEE", Kind: "complaint", Agent: "alice"},
		{Statuses: []string{"received", "investigating"}},
		{Statuses: []string{}},
		{Statuses: []string{"resolved"}, Branches: []string{"0201"}, Agent: "alice"},
	}
	for _, f := range filters {
		var db []string
		if err := st.EachReportFact(ctx, day, f, func(x *storage.ReportFact) error {
			db = append(db, x.Number)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(db)
		var inGo, cells []string
		for i := range facts {
			x := &facts[i]
			if f.Matches(x) {
				inGo = append(inGo, x.Number)
			}
			k := storage.CellKey{Branch: x.Branch, Category: x.Category, Kind: x.Kind, Agent: x.Agent}
			if f.MatchesCell(&k) {
				cells = append(cells, x.Number)
			}
		}
		if !slices.Equal(db, inGo) {
			t.Errorf("filter %+v: the database selects %d facts %v, Matches %d %v", f, len(db), db, len(inGo), inGo)
		}
		if f.Statuses == nil && !slices.Equal(db, cells) {
			t.Errorf("filter %+v: the database selects %d facts %v, MatchesCell %d %v", f, len(db), db, len(cells), cells)
		}
		if f.Statuses != nil && len(cells) > 0 {
			t.Errorf("filter %+v on statuses matches %d rollup cells, which count every status together: want none", f, len(cells))
		}
	}
}
