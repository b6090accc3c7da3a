package app_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/flows"
)

// An operator renames a category and adds a branch in their own flow file: no rebuild.
func TestOperatorFlowFileReplacesTheBuiltInFlow(t *testing.T) {
	custom := strings.Replace(string(flows.DefaultYAML()), "name: 服务态度,", "name: 服务态度与礼仪,", 1)
	custom = strings.Replace(custom, "branches:\n", "branches:\n  - code: \"0901\"\n    name: 滨江支行\n    aliases: [滨江网点]\n", 1)
	// An older flow file, without the short question for an opening that tells nothing yet:
	// such an opening gets the category list, as it did.
	custom = regexp.MustCompile(`(?m)^\s*no_story:.*\n`).ReplaceAllString(custom, "")
	if custom == string(flows.DefaultYAML()) {
		t.Fatal("the test's edit did not apply")
	}
	path := filepath.Join(t.TempDir(), "flow.yaml")
	if err := os.WriteFile(path, []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	h := apptest.New(t, func(c *config.Config) { c.Intake.FlowFile = path })
	expect(t, h, "oFlow00001", "我要投诉", "服务态度与礼仪")
	expect(t, h, "oFlow00001", "1", "网点")
	expect(t, h, "oFlow00001", "滨江", "什么时候")
}

func TestBrokenFlowFileStopsStartUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flow.yaml")
	_ = os.WriteFile(path, []byte("kinds:\n  complaint:\n    steps:\n      - field: x\n        type: telepathy\n"), 0o600)
	cfg := apptest.Config(t.TempDir())
	cfg.Intake.FlowFile = path
	_, err := app.New(context.Background(), cfg, app.Options{})
	if err == nil || !strings.Contains(err.Error(), "intake.flow_file") {
		t.Fatalf("want an error naming intake.flow_file, got %v", err)
	}
}
