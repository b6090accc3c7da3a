package app_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
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

// A template message's {status} and {kind} read the operator's flow file, as the chat does: the
// customer reads one name for a status wherever it reaches them.
func TestTemplateMessagesNameTheStatusAsTheFlowFileDoes(t *testing.T) {
	custom := strings.Replace(string(flows.DefaultYAML()), "  investigating: 调查处理中\n", "  investigating: 正在调查核实\n", 1)
	if custom == string(flows.DefaultYAML()) {
		t.Fatal("the test's edit did not apply")
	}
	path := filepath.Join(t.TempDir(), "flow.yaml")
	if err := os.WriteFile(path, []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	h := apptest.New(t, func(c *config.Config) {
		c.Intake.FlowFile = path
		schedConfig(withTemplates)(c)
		c.Scheduler.TemplateData["keyword4"] = "{kind}"
	})
	who := "oFlowTpl0001"
	number := register(t, h, who) // Friday 27 Nov 10:00
	h.Clock.Set(shanghai(2026, 11, 27, 11, 0, 0))
	setStatus(t, h, number, complaintbot.StatusInvestigating)
	runJobs(t, h)
	// Nothing new for 72 hours, the window closed: "still working on it" as a template.
	at(t, h, shanghai(2026, 11, 30, 11, 0, 0))
	at(t, h, shanghai(2026, 11, 30, 11, 5, 0))
	var tpl *fakewechat.Sent
	for _, m := range h.App.Sandbox.SentTo(who) {
		if m.TemplateID == "TPL-PROGRESS" {
			tpl = &m
		}
	}
	if tpl == nil {
		t.Fatalf("no progress template sent: %v", h.App.Sandbox.SentTo(who))
	}
	if tpl.Data["keyword2"] != "正在调查核实" || tpl.Data["keyword4"] != "投诉" {
		t.Fatalf("template data %v: want the flow file's status name 正在调查核实 and kind 投诉", tpl.Data)
	}
}
