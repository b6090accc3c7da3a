package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/config"
)

func TestBranchCustomerCounts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	good := "reports:\n  customers: {\"0001\": 52000, \"0101\": 31000}\n"
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Reports.Customers["0001"] != 52000 || cfg.Reports.Customers["0101"] != 31000 || len(cfg.Reports.Customers) != 2 {
		t.Errorf("customers: %v", cfg.Reports.Customers)
	}
	bad := "reports:\n  customers: {\"0101\": -5, \"\": 10}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path, nil)
	if err == nil || !strings.Contains(err.Error(), "reports.customers.0101 must not be below 0") || !strings.Contains(err.Error(), "reports.customers: a branch code is empty") {
		t.Errorf("bad counts: %v", err)
	}
}
