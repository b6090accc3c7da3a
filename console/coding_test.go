package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/taxonomy"
)

// codeCase codes the case validly on the three JR/T 0169 axes through the API, as an agent
// confirms the bot's proposal before resolving it.
func codeCase(t *testing.T, c *client, number string) {
	t.Helper()
	if st, body := c.doJSON("POST", "/api/v1/cases/"+number+"/coding",
		map[string]string{"jr_channel": "A0101", "jr_business": "B01", "jr_reason": "C01"}); st != 200 {
		t.Fatalf("coding: %d %s", st, body)
	}
}

type jrtAxis struct {
	Axis, Code, Name, Label string
	Valid                   bool
}

// The bot proposes codes; the case page and the API show each axis with code and name (未编码
// where the bot had nothing to go on); a case is not resolved before it is coded, and the
// refusal names the axis; codes that are not the deepest level are refused by name; an agent codes
// it on the page, the timeline and the audit trail say so, the list and the export show it; an
// agent of another branch cannot code it.
func TestCodingACaseOnThePageAndByAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	alice, bob := e.token("alice"), e.login("bob")

	var got struct {
		Coding []jrtAxis `json:"jrt_coding"`
	}
	if st := alice.getJSON("/api/v1/cases/"+number, &got); st != 200 || len(got.Coding) != 3 {
		t.Fatalf("case JSON: %d %+v", st, got)
	}
	want := []jrtAxis{
		{Axis: "A", Code: "A0101", Name: "前台业务渠道/营业现场", Label: "A0101 前台业务渠道/营业现场", Valid: true},
		{Axis: "B", Code: "", Name: "未编码", Label: "未编码"},
		{Axis: "C", Code: "C01", Name: "服务态度及服务质量", Label: "C01 服务态度及服务质量", Valid: true},
	}
	for i, w := range want {
		if got.Coding[i] != w {
			t.Errorf("proposed axis %s: %+v, want %+v", w.Axis, got.Coding[i], w)
		}
	}

	st, page := bob.do("GET", "/cases/"+number, nil)
	for _, w := range []string{`<details id="coding" open>`, `<select name="jr_business" id="jr_business">`, `<option value="A0101" selected>A0101 前台业务渠道/营业现场</option>`,
		`<option value="B03026">B03026 银行卡/信用卡/盗刷</option>`, "业务类别（B）", `<span class="badge warn">未编码</span>`} {
		if st != 200 || !strings.Contains(page, w) {
			t.Errorf("case page lacks %s", w)
		}
	}
	if strings.Contains(page, `<option value="B03">`) || strings.Contains(page, `<option value="A01">`) {
		t.Error("the case page offers a code that is not a leaf")
	}

	resolve := map[string]string{"text": "经核实柜员服务不规范，已批评教育", "reply": "经核实，柜员确有不当，我行已批评教育并向您致歉。"}
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/resolve", resolve); st != http.StatusBadRequest || !strings.Contains(body, "办结前请完成 JR/T 0169 编码：业务类别（B）未编码") {
		t.Fatalf("resolve uncoded: %d %s", st, body)
	}
	st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/coding", map[string]string{"jr_channel": "A01", "jr_business": "B03", "jr_reason": "C01"})
	if st != http.StatusBadRequest || !strings.Contains(body, "业务办理渠道（A）：A01 不是最细一级的编码") || !strings.Contains(body, "业务类别（B）：B03 不是最细一级的编码") {
		t.Fatalf("coding with large-level codes: %d %s", st, body)
	}
	if st, body := e.token("carol").doJSON("POST", "/api/v1/cases/"+number+"/coding", map[string]string{"jr_channel": "A0101", "jr_business": "B01", "jr_reason": "C01"}); st != http.StatusNotFound {
		t.Fatalf("another branch's agent coding: %d %s", st, body)
	}

	if st, body := bob.do("POST", "/cases/"+number+"/coding", url.Values{"jr_channel": {"A0101"}, "jr_business": {"B01"}, "jr_reason": {"C01"}}); st != http.StatusSeeOther {
		t.Fatalf("coding form: %d %s", st, body)
	}
	rec, err := e.App.Store.Case(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	if w := (taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C01"}); rec.Coding != w {
		t.Fatalf("stored coding %+v", rec.Coding)
	}
	if st, tl := bob.do("GET", "/cases/"+number+"/timeline", nil); st != 200 || !strings.Contains(tl, "编码 A0101 营业现场；B01 人民币储蓄；C01 服务态度及服务质量") {
		t.Errorf("timeline lacks the coding: %d", st)
	}
	if st, page := bob.do("GET", "/cases/"+number, nil); st != 200 || strings.Contains(page, `<details id="coding" open>`) || !strings.Contains(page, "B01 人民币储蓄") {
		t.Errorf("case page after coding: %d", st)
	}

	var list struct {
		Cases []struct {
			Number string
			Coding []jrtAxis `json:"jrt_coding"`
		}
	}
	if st := alice.getJSON("/api/v1/cases", &list); st != 200 || len(list.Cases) != 1 || len(list.Cases[0].Coding) != 3 || list.Cases[0].Coding[1].Label != "B01 人民币储蓄" {
		t.Fatalf("case list: %d %+v", st, list)
	}
	if st, page := bob.do("GET", "/cases", nil); st != 200 || !strings.Contains(page, `title="业务类别：人民币储蓄">B01 人民币储蓄</span>`) ||
		!strings.Contains(page, `title="业务办理渠道：前台业务渠道/营业现场">A0101 营业现场</span>`) {
		t.Errorf("the case list page lacks the coding: %d", st)
	}
	st, csv := alice.do("GET", "/api/v1/export/cases.csv", nil)
	if st != 200 || !strings.Contains(csv, ",A0101 前台业务渠道/营业现场,B01 人民币储蓄,C01 服务态度及服务质量,") {
		t.Fatalf("export: %d %s", st, csv)
	}

	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/resolve", resolve); st != 200 {
		t.Fatalf("resolve coded: %d %s", st, body)
	}
	var trail struct {
		Entries []struct{ User, Action, Before, After string }
	}
	if st := e.token("sue").getJSON("/api/v1/audit?type=case&target="+number, &trail); st != 200 {
		t.Fatalf("audit: %d", st)
	}
	found := false
	for _, a := range trail.Entries {
		if a.Action == "case.coding" && a.User == "bob" && a.Before == "A0101 - C01" && a.After == "A0101 B01 C01" {
			found = true
		}
	}
	if !found {
		b, _ := json.Marshal(trail)
		t.Errorf("audit lacks bob's coding: %s", b)
	}
}
