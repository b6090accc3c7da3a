package flows

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// Every category of the default flow file has its JR/T 0169 reason in the taxonomy's data file
// (the flow file itself carries no codes any more), and the last complaint category, 其他, is C99.
func TestDefaultCategoriesHaveJRCodes(t *testing.T) {
	d := DefaultDefinition()
	tx, err := taxonomy.Load()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, kind := range kindOrder {
		for _, c := range d.Categories(kind) {
			total++
			if c.Code == "" || c.Name == "" {
				t.Errorf("%s category %+v lacks a code or name", kind, c)
			}
			if c.Channel != "" || c.Business != "" || c.Reason != "" {
				t.Errorf("%s category %s carries JR/T codes of its own: %+v", kind, c.Code, c)
			}
			if r, ok := tx.CategoryReason(c.Code); !ok || !tx.Valid(taxonomy.Reason, r) {
				t.Errorf("%s category %s: no JR/T 0169 reason in taxonomy/jrt0169.yaml (%q)", kind, c.Code, r)
			}
		}
	}
	complaint := d.Categories(complaintbot.KindComplaint)
	if r, _ := tx.CategoryReason(complaint[len(complaint)-1].Code); len(complaint) != 11 || r != "C99" {
		t.Errorf("complaint reasons: want ten categories and 其他 = C99, got %+v (%s)", complaint, r)
	}
	if total == 0 || d.Categories(complaintbot.KindPraise) != nil {
		t.Errorf("categories: %d, praise %v", total, d.Categories(complaintbot.KindPraise))
	}
	// Callers get copies.
	complaint[0].Name = "changed"
	if d.Categories(complaintbot.KindComplaint)[0].Name == "changed" {
		t.Error("Categories returned the definition's own slice")
	}
	bs := d.Branches()
	if len(bs) < 5 || bs[0].Code == "" {
		t.Fatalf("branches %+v", bs)
	}
	bs[1].Aliases[0] = "changed"
	if d.Branches()[1].Aliases[0] == "changed" {
		t.Error("Branches returned the definition's own aliases")
	}
}

func TestLoadDefinitionErrors(t *testing.T) {
	base := string(DefaultYAML())
	if _, err := LoadDefinition([]byte(base)); err != nil {
		t.Fatalf("the default must load: %v", err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown top-level key", "hotline:", "colour: red\nhotline:", "colour"},
		{"unknown step key", "        label: 类别\n", "        lable: 类别\n", "lable"},
		{"missing message", "  resumed: \"好的，我们接着来。\"\n", "", "messages.resumed"},
		{"empty readback line", "  line: \"{n}. {label}：{value}\"", "  line: \"\"", "readback.line"},
		{"unknown step type", "type: datetime", "type: datetim", "kinds.complaint.steps[2].type"},
		{"missing step type", "        type: datetime\n", "", "kinds.complaint.steps[2].type"},
		{"duplicate branch", `code: "0201"`, `code: "0101"`, "branches[3].code"},
		{"reserved branch code", `code: "0201"`, `code: "NONE"`, "branches[3].code"},
		{"category with its own JR/T code", "{code: disclosure, ", "{code: disclosure, jr_reason: C05, ", "categories.complaint[4].jr_reason"},
		{"category of an unknown kind", "  suggestion:\n    - {code: s-branch", "  sugestion:\n    - {code: s-branch", "categories.sugestion"},
		{"menu action", "PROGRESS: progress", "PROGRESS: progres", "menu.PROGRESS"},
		{"text lengths", "min: 8\n        max: 3000", "min: 8000\n        max: 3000", "kinds.complaint.steps[3]"},
		{"missing example", "        example: \"希望网点给出解释并道歉\"\n", "", "kinds.complaint.steps[4].example"},
		{"field asked twice", "      - field: request", "      - field: description", "kinds.complaint.steps[4].field"},
		{"reserved field", "      - field: request", "      - field: readback", "kinds.complaint.steps[4].field"},
		{"wrong field for type", "      - field: occurred_at", "      - field: when", "kinds.complaint.steps[2].field"},
		{"misspelt kind", "  praise:\n    # What customers read", "  praize:\n    # What customers read", "praize"},
		{"empty command list", skipLine(base), "  skip: []", "commands.skip"},
		{"broken YAML", "kinds:\n", "kinds: [\n", "flows: definition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("test is stale: default.yaml has no %q", tc.old)
			}
			_, err := LoadDefinition([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func TestOperatorDefinitionChangesTheCopy(t *testing.T) {
	y := strings.Replace(string(DefaultYAML()), `hotline: "95588"`, `hotline: "96000"`, 1)
	y = strings.Replace(y, "请问是在哪个网点发生的？", "请问是哪家网点？", 1)
	d, err := LoadDefinition([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := New(d, Config{DailyCaseCap: 1})
	c := newChat(t)
	c.e = e
	c.say("投诉")
	c.say("1", "请问是哪家网点？")
	c.facts.cases = []complaintbot.CaseSummary{summary("JY20261128-0001", complaintbot.KindSuggestion, complaintbot.StatusReceived, "NONE", "s-app", saturday)}
	for _, a := range []string{"城西", "昨天", "柜员一直在看手机，让我等了很久。", "道歉", "13812345678"} {
		c.say(a)
	}
	c.say("确认", "96000", "已提交了1件")
}

// skipLine is the commands.skip line of a definition file.
func skipLine(y string) string {
	for _, l := range strings.Split(y, "\n") {
		if strings.HasPrefix(l, "  skip: [") {
			return l
		}
	}
	return "no skip line"
}
