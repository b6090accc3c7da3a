package reports_test

import (
	"slices"
	"testing"

	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// The exports show each axis with its code and names; an axis not coded says so, and a code the
// taxonomy does not have as such (a category's older code) stays readable as it is.
func TestCodingLabels(t *testing.T) {
	t.Parallel()
	got := reports.CodingLabels(taxonomy.Coding{Channel: "A0101", Reason: "C10"})
	want := []string{"A0101 前台业务渠道/营业现场", "未编码", "C10 消费者资金安全"}
	if !slices.Equal(got, want) {
		t.Fatalf("CodingLabels = %q, want %q", got, want)
	}
	if got := reports.JRTLabel("A03"); got != "A03" {
		t.Fatalf("an older code: %q", got)
	}
}
