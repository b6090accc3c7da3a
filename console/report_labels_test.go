package console_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The reports page's category filter lists every category once with a label of its own (the two
// kinds' 其他 are told apart), and its count charts ask for whole-number ticks, which the chart
// script gives them.
func TestReportFilterLabelsAreDistinctAndCountsHaveWholeTicks(t *testing.T) {
	t.Parallel()
	e, _, _ := reportEnv(t)
	st, body := e.login("root").do("GET", "/reports?from=2026-11-01&to=2026-11-30", nil)
	if st != 200 {
		t.Fatalf("reports page: %d", st)
	}
	sel := regexp.MustCompile(`(?s)<select name="category".*?</select>`).FindString(body)
	labels := regexp.MustCompile(`<option value="[^"]+"[^>]*>([^<]*)</option>`).FindAllStringSubmatch(sel, -1)
	if len(labels) < 2 {
		t.Fatalf("category filter: %s", sel)
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l[1]] {
			t.Errorf("the category filter shows %q twice", l[1])
		}
		seen[l[1]] = true
	}
	if !seen["其他（投诉）"] {
		t.Errorf("no 其他（投诉） among %v", labels)
	}
	charts := regexp.MustCompile(`(?s)<script type="application/json" id="report-charts">(.*?)</script>`).FindStringSubmatch(body)
	if charts == nil {
		t.Fatal("no chart data")
	}
	var specs []struct {
		ID     string `json:"id"`
		Counts bool   `json:"counts"`
	}
	if err := json.Unmarshal([]byte(charts[1]), &specs); err != nil {
		t.Fatalf("chart data: %v", err)
	}
	counts := map[string]bool{}
	for _, c := range specs {
		counts[c.ID] = c.Counts
	}
	for _, id := range []string{"c-ratings", "c-trend", "c-branch", "c-top"} {
		if !counts[id] {
			t.Errorf("chart %s: its counts axis does not ask for whole-number ticks", id)
		}
	}
	if counts["c-deadlines"] {
		t.Error("the deadline shares chart has whole-number ticks")
	}
	js, err := os.ReadFile("static/reports.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), "spec.counts") || !strings.Contains(string(js), "precision: 0") {
		t.Error("reports.js does not give count axes whole-number ticks")
	}
}
