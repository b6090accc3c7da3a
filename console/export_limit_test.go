package console_test

import (
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/console"
)

// An export that cannot hold every matching case says so in its last line instead of ending as if
// it were complete; people are named by display name and JR/T codes with their names.
func TestCaseExportSaysWhenItHoldsOnlyTheNewest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, c := range []string{"oExportCust01", "oExportCust02", "oExportCust03"} {
		e.registerCase(c, "城东支行", "柜员态度很差")
	}
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/cases/TS20261127-0001/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	defer console.SetMaxExport(2)()
	_, csv := e.login("alice").do("GET", "/export/cases.csv", nil)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 4 || !strings.Contains(lines[3], "仅导出最新的 2 件") || strings.Contains(csv, "TS20261127-0001,") {
		t.Fatalf("an export of 2 of 3 cases:\n%s", csv)
	}
	restore := console.SetMaxExport(20000)
	defer restore()
	_, csv = e.login("alice").do("GET", "/export/cases.csv", nil)
	if strings.Contains(csv, "仅导出") || !strings.Contains(csv, ",王丽,") || strings.Contains(csv, ",alice,") {
		t.Errorf("the whole export names the assignee otherwise than 王丽, or says it is cut:\n%s", csv)
	}
	// The bot's proposal: the counter (柜员, 窗口), the business left to the agent, the category's reason.
	if !strings.Contains(csv, ",A0101 前台业务渠道/营业现场,未编码,C01 服务态度及服务质量,") {
		t.Errorf("the export shows JR/T codes without their names, or not 未编码:\n%s", csv)
	}
}
