package console

import (
	"testing"

	"github.com/complaintbot/complaintbot/reports"
)

// The response-rate card tells the supervisor about the surveys that never reached a customer,
// which are not among those sent.
func TestResponseCardNamesTheSurveysThatNeverArrived(t *testing.T) {
	if got := responseNote(reports.Figures{Surveys: 10, Answered: 4}); got != "4 / 10 份已发送" {
		t.Errorf("all delivered: %q", got)
	}
	if got := responseNote(reports.Figures{Surveys: 10, Answered: 4, Undeliverable: 3}); got != "4 / 10 份已发送；另有 3 份未送达" {
		t.Errorf("three undeliverable: %q", got)
	}
}
