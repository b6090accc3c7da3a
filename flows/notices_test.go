package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// An operator's notices section written before escalated_overdue and reopened_low_rating existed
// keeps loading: its escalated and reopened texts (then the scheduler's notices of its own
// escalations and reopenings) are used for them.
func TestOldNoticesSectionLoads(t *testing.T) {
	y := string(DefaultYAML())
	var kept []string
	for _, line := range strings.Split(y, "\n") {
		if strings.HasPrefix(line, "  escalated_overdue:") || strings.HasPrefix(line, "  reopened_low_rating:") {
			continue
		}
		kept = append(kept, line)
	}
	y = strings.Replace(strings.Join(kept, "\n"), "已提交总行相关部门处理，我们会尽快答复您。", "已转交上级处理。", 1)
	d, err := LoadDefinition([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(d, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := complaintbot.CaseSummary{Number: "TS20261127-0001", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusEscalated}
	if n := e.Notice(NoticeEscalatedOverdue, c, NoticeData{}); !strings.Contains(n, "已转交上级处理。") {
		t.Fatalf("escalated_overdue from the file's escalated: %q", n)
	}
	if n := e.Notice(NoticeReopenedLowRating, c, NoticeData{}); !strings.Contains(n, "已重新进入处理流程") {
		t.Fatalf("reopened_low_rating from the file's reopened: %q", n)
	}
}

// The resolution notice must carry the agent's reply and the extension notice the reason: the
// console tells the agent the customer gets them.
func TestNoticesMustCarryReplyAndReason(t *testing.T) {
	base := string(DefaultYAML())
	for name, tc := range map[string][2]string{
		"resolved without {reply}":  {"处理答复：{reply}", "请回复“进度”查询"},
		"extended without {reason}": {"原因：{reason}。", ""},
	} {
		if !strings.Contains(base, tc[0]) {
			t.Fatalf("%s: stale test", name)
		}
		_, err := LoadDefinition([]byte(strings.Replace(base, tc[0], tc[1], 1)))
		if err == nil || !strings.Contains(err.Error(), "notices.") {
			t.Errorf("%s: %v", name, err)
		}
	}
	e, err := New(DefaultDefinition(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := complaintbot.CaseSummary{Number: "TS20261127-0001", Kind: complaintbot.KindSuggestion}
	due := time.Date(2026, 12, 30, 23, 59, 59, 0, complaintbot.Shanghai)
	if n := e.Notice(NoticeExtended, c, NoticeData{Decision: due, Reason: "需要调取录像"}); n != "因情况较为复杂，您的建议（编号 TS20261127-0001）的处理期限延长至2026年12月30日。原因：需要调取录像。给您带来不便，敬请谅解。" {
		t.Fatalf("extension notice %q", n)
	}
}

// What customers read for a case's kind and status comes from the flow file, so an operator who
// renames them there changes every text that names them.
func TestKindAndStatusNamesComeFromTheFlowFile(t *testing.T) {
	src := strings.Replace(string(defaultYAML), "  received: 已受理", "  received: 已收到，待处理", 1)
	src = strings.Replace(src, "    name: 投诉", "    name: 投诉件", 1)
	def, err := LoadDefinition([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(def, Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := complaintbot.CaseSummary{Number: "TS20261128-0001", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived}
	text := e.Notice(NoticeProgress, c, NoticeData{Expected: saturday.AddDate(0, 0, 3)})
	if !strings.Contains(text+e.Notice(NoticeAccepted, c, NoticeData{}), "投诉件") {
		t.Errorf("the notices do not use the flow file's name for the kind: %q", text)
	}
	if got := def.statusName(complaintbot.StatusReceived); got != "已收到，待处理" {
		t.Errorf("status name %q", got)
	}
	// A flow file without the names (written before they existed) reads the embedded default's.
	old := strings.Replace(string(defaultYAML), "statuses:\n  received: 已受理\n", "statuses:\n", 1)
	old = strings.Replace(old, "    name: 投诉\n", "", 1)
	if old == string(defaultYAML) {
		t.Fatal("the default file's layout changed: the test removes nothing")
	}
	d2, err := LoadDefinition([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if got := d2.statusName(complaintbot.StatusReceived); got != "已受理" {
		t.Errorf("without a status name in the file: %q", got)
	}
	if got := d2.KindName(complaintbot.KindComplaint); got != "投诉" {
		t.Errorf("without a kind name in the file: %q", got)
	}
}
