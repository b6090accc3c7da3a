package reports_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
	"github.com/xuri/excelize/v2"
)

// The exports, the register and the dashboard say the same thing: the handler (承办人) is the
// case's assignee by display name, not whoever resolved it; JR/T 0169 codes come with their
// names; complaint volume counts complaints only; the register has the case number.
func TestExportsRegisterAndDashboardSayWhatTheyMean(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	if err := st.CreateUser(ctx, &storage.User{Name: "wangli", DisplayName: "王丽", Role: storage.RoleAgent, Branches: []string{"0101"}}); err != nil {
		t.Fatal(err)
	}
	// The category carries the flow file's older codes; the case its own coding, which is what counts.
	cat := &complaintbot.Category{Code: "attitude", Name: "服务态度", Channel: "A01", Business: "B99", Reason: "C01"}
	mk := func(number string, kind complaintbot.Kind, received time.Time) {
		t.Helper()
		c := &complaintbot.Case{Number: number, Kind: kind, Status: complaintbot.StatusResolved, OpenID: "o" + number, Channel: "wechat",
			Branch: east, Category: cat, Received: received, ReplyDue: received.Add(72 * time.Hour), DecisionDue: received.Add(15 * 24 * time.Hour),
			SourceTurn: "turn:" + number, Updated: received, Coding: taxonomy.Coding{Channel: "A01034", Business: "B9903", Reason: "C01"}}
		c.Fields = map[string]string{complaintbot.FieldPhone: "13812345678", complaintbot.FieldDescription: "柜员态度差"}
		if kind == complaintbot.KindComplaint {
			c.Fields[complaintbot.FieldName] = "张先生"
		}
		c.Work.Assignee = "wangli"
		// An administrator closed it on the agent's behalf.
		c.Work.Resolution = &complaintbot.Resolution{Text: "已致歉", Reply: "致歉", By: "admin", At: received.Add(time.Hour)}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mk("TS20261102-0001", complaintbot.KindComplaint, nov(2))
	mk("BY20261103-0001", complaintbot.KindPraise, nov(3))
	mk("JY20261104-0001", complaintbot.KindSuggestion, nov(4))
	svc := reports.New(st, complaintbot.NewManualClock(now), slog.New(slog.DiscardHandler))
	if err := svc.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}

	rows, err := svc.Cases(ctx, reports.Filter{From: nov(1), To: nov(29), Kind: string(complaintbot.KindComplaint)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reports.WriteXLSX(&buf, rows, false); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.GetRows("案件清单")
	if err != nil || len(got) != 2 {
		t.Fatalf("case list: %d rows %v", len(got), err)
	}
	col := func(name string) string {
		i := slices.Index(reports.CaseHeader, name)
		if i < 0 || i >= len(got[1]) {
			t.Fatalf("no column %s", name)
		}
		return got[1][i]
	}
	if h := col("承办人"); h != "王丽" {
		t.Errorf("export handler %q, want the assignee's display name 王丽", h)
	}
	for _, c := range []struct{ column, want string }{{"业务办理渠道（JR/T 0169）", "A01034 "}, {"业务类别（JR/T 0169）", "B9903 "}, {"投诉原因（JR/T 0169）", "C01 "}} {
		if v := col(c.column); !strings.HasPrefix(v, c.want) || len(v) <= len(c.want) {
			t.Errorf("%s %q: want the code with its name", c.column, v)
		}
	}
	if v := col("业务办理渠道（JR/T 0169）"); !strings.Contains(v, "网络公众平台") {
		t.Errorf("channel %q", v)
	}

	reg, err := svc.Register(ctx, nil, "0101", "2026-11", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Rows) != 1 || reg.Rows[0].Handler != "王丽" || reg.Rows[0].Customer != "张先生 138****5678" {
		t.Fatalf("register rows: %+v", reg.Rows)
	}
	buf.Reset()
	if err := reg.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	if x, err = excelize.OpenReader(&buf); err != nil {
		t.Fatal(err)
	}
	sheet, _ := x.GetRows("投诉登记簿")
	if len(sheet) < 3 || sheet[1][1] != "案件编号" || sheet[2][1] != "TS20261102-0001" || sheet[2][3] != "张先生 138****5678" || sheet[2][len(sheet[2])-1] != "王丽" {
		t.Errorf("register sheet: %q", sheet)
	}

	// Whatever the filter (none here), complaint volume counts the one complaint; the praise and
	// the suggestion are shown apart, by kind.
	d, err := svc.Dashboard(ctx, reports.Filter{From: nov(1), To: nov(29)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Cases != 3 || d.Complaints != 1 {
		t.Errorf("cases %d, complaints %d", d.Total.Cases, d.Complaints)
	}
	if len(d.TopReasons) != 1 || d.TopReasons[0].Cases != 1 || d.TopReasons[0].Label != "服务态度" {
		t.Errorf("top reasons: %+v", d.TopReasons)
	}
	if len(d.ByChannel) != 1 || d.ByChannel[0].Cases != 1 || !strings.HasPrefix(d.ByChannel[0].Label, "A01034 ") || !strings.Contains(d.ByChannel[0].Label, "网络公众平台") {
		t.Errorf("by channel: %+v", d.ByChannel)
	}
	if len(d.ComplaintsByBranch) != 1 || d.ComplaintsByBranch[0].Cases != 1 {
		t.Errorf("complaints by branch: %+v", d.ComplaintsByBranch)
	}
	same(t, "kinds", groupsOf(d.ByKind), map[string]int64{"complaint": 1, "praise": 1, "suggestion": 1})
	if len(d.ByAgent) != 1 || d.ByAgent[0].Key != "wangli" || d.ByAgent[0].Label != "王丽" {
		t.Errorf("by agent: %+v", d.ByAgent)
	}
}
