package reports_test

import (
	"context"
	"slices"
	"testing"

	"github.com/complaintbot/complaintbot/reports"
)

// A supervisor's dashboard (rollup cells filtered in Go) and export (the same filter asked of the
// database) count the same cases and list the same low ratings, whatever the filter and scope.
func TestDashboardAndExportSelectTheSameCases(t *testing.T) {
	_, svc, _ := setup(t)
	ctx := context.Background()
	for _, change := range []func(*reports.Filter){
		func(*reports.Filter) {},
		func(f *reports.Filter) { f.Scope = []string{} },
		func(f *reports.Filter) { f.Scope = []string{"0101"} },
		func(f *reports.Filter) { f.Scope = []string{"0201", "0101"}; f.Kind = "complaint" },
		func(f *reports.Filter) { f.Scope = []string{"0201"}; f.Branch = "0101" },
		func(f *reports.Filter) { f.Branch = "0101"; f.Agent = "alice" },
		func(f *reports.Filter) { f.Category = "FEE" },
		func(f *reports.Filter) { f.Category = "SVC"; f.Kind = "suggestion" },
		func(f *reports.Filter) { f.Agent = "carol" },
		func(f *reports.Filter) { f.Agent = "Alice" },
		func(f *reports.Filter) { f.Kind = "praise" },
	} {
		f := novFilter()
		change(&f)
		d, err := svc.Dashboard(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := svc.Cases(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var low, lowRows []string
		for _, l := range d.Low {
			low = append(low, l.Number)
		}
		for _, r := range rows {
			if r.Low && r.Survey == "answered" {
				lowRows = append(lowRows, r.Number)
			}
		}
		slices.Sort(low)
		slices.Sort(lowRows)
		if d.Total.Cases != int64(len(rows)) || !slices.Equal(low, lowRows) {
			t.Errorf("filter scope %v branch %q category %q kind %q agent %q: the dashboard counts %d cases (low ratings %v), the export lists %d (%v)",
				f.Scope, f.Branch, f.Category, f.Kind, f.Agent, d.Total.Cases, low, len(rows), lowRows)
		}
	}
}
