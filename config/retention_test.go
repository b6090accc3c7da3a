package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/config"
)

// A retention period shorter than the three years the rules ask for is refused at start, with a
// plain message naming the key; from the environment too. The default keeps three years.
func TestRetentionShorterThanThreeYearsIsRefused(t *testing.T) {
	t.Parallel()
	if d := config.Default().Retention; d.CaseYears != 3 || d.CaselessDays != 180 {
		t.Errorf("default retention: %+v", d)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("retention:\n  case_years: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), "retention.case_years is 2") || !strings.Contains(err.Error(), "at least 3 years") {
		t.Errorf("case_years 2: %v", err)
	}
	_, err = config.Load("", []string{"COMPLAINTBOT_RETENTION_CASE_YEARS=1"})
	if err == nil || !strings.Contains(err.Error(), "retention.case_years is 1") {
		t.Errorf("case_years 1 from the environment: %v", err)
	}
	if _, err := config.Load("", []string{"COMPLAINTBOT_RETENTION_CASE_YEARS=5", "COMPLAINTBOT_RETENTION_CASELESS_DAYS=90"}); err != nil {
		t.Errorf("5 years and 90 days: %v", err)
	}
	if _, err := config.Load("", []string{"COMPLAINTBOT_RETENTION_CASELESS_DAYS=7"}); err == nil || !strings.Contains(err.Error(), "retention.caseless_days") {
		t.Errorf("caseless_days 7: %v", err)
	}
}
