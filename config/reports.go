package config

import (
	"fmt"
	"slices"
	"strings"
)

// Reports configures the supervisors' and the regulator's figures.
type Reports struct {
	// Customers is the number of customers of each branch, by branch code (the flow file's
	// branches), for the regulator figures' complaints per 10,000 customers. A branch without a
	// count gets no rate, and then neither does the total.
	Customers map[string]int `yaml:"customers"`
}

func defaultReports() Reports { return Reports{Customers: map[string]int{}} }

func (r Reports) validate() []string {
	var p []string
	codes := make([]string, 0, len(r.Customers))
	for code := range r.Customers {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		switch {
		case strings.TrimSpace(code) == "":
			p = append(p, "reports.customers: a branch code is empty")
		case r.Customers[code] < 0:
			p = append(p, fmt.Sprintf("reports.customers.%s must not be below 0", code))
		}
	}
	return p
}
