package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
)

// A template setting written the way WeChat showed templates before 2023-05-04 (a first or
// remark line, a value that cannot fit the case number and date in 20 characters) stops the
// start with a sentence naming the key; the shipped fields start.
func TestOldStyleTemplateDataStopsStartUp(t *testing.T) {
	for name, c := range map[string]struct {
		field, value, want string
	}{
		"first line": {"first", "{text}", "scheduler.template_data.first: WeChat no longer shows a template's first and remark lines"},
		"remark":     {"remark", "感谢您的耐心", "scheduler.template_data.remark"},
		"too long":   {"keyword1", "您的投诉编号是{number}，请记好", "scheduler.template_data.keyword1"},
	} {
		cfg := apptest.Config(t.TempDir())
		cfg.Scheduler.TemplateData[c.field] = c.value
		a, err := app.New(context.Background(), cfg, app.Options{})
		if err == nil {
			_ = a.Shutdown(context.Background())
			t.Fatalf("%s: started", name)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a refusal naming %q", name, err, c.want)
		}
	}
}
