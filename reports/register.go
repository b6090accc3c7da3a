package reports

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/xuri/excelize/v2"
)

// RegisterRow is one complaint in the register (客户投诉登记簿).
type RegisterRow struct {
	No       int    `json:"no"`
	Number   string `json:"number"`
	Received string `json:"received"`
	Customer string `json:"customer"`
	Content  string `json:"content"`
	// Coding is the case's JR/T 0169 codes with their names, A, B and C (未编码 for an axis not
	// coded), one per line.
	Coding       string `json:"coding"`
	Department   string `json:"department"`
	Handling     string `json:"handling"`
	Reply        string `json:"reply"`
	Result       string `json:"result"`
	Satisfaction string `json:"satisfaction"`
	Handler      string `json:"handler"`
}

// Register is a branch's complaint register for a month.
type Register struct {
	Branch     string        `json:"branch"`
	BranchName string        `json:"branch_name"`
	Month      string        `json:"month"`
	Rows       []RegisterRow `json:"rows"`
}

// RegisterHeader is the register's header row, in the order of the rules' layout, with the case
// number after the serial number (to find the case again). The customer column holds the name the
// customer gave, if any, and the phone number (masked unless asked otherwise); the handler
// (经办人) is the case's assignee, by display name. The JR/T 0169 codes follow the content.
var RegisterHeader = []string{"序号", "案件编号", "受理日期", "客户（姓名、联系电话）", "投诉内容", "投诉分类（JR/T 0169）", "责任部门", "处理情况", "答复情况", "处理结果", "客户满意度", "经办人"}

// SignOff is the line the branch head signs.
const SignOff = "网点负责人（签字）：____________________        日期：________年____月____日"

// Register returns the complaint register of a branch (within scope) for a month ("2026-11");
// phone numbers are masked unless fullPhone.
func (s *Service) Register(ctx context.Context, scope []string, branch, month string, fullPhone bool) (*Register, error) {
	first, err := time.ParseInLocation("2006-01", month, complaintbot.Shanghai)
	if err != nil {
		return nil, fmt.Errorf("register month %q: %w", month, err)
	}
	f := Filter{From: first, To: first.AddDate(0, 1, -1), Scope: scope, Branch: branch, Kind: string(complaintbot.KindComplaint)}
	facts, err := s.Cases(ctx, f)
	if err != nil {
		return nil, err
	}
	r := &Register{Branch: branch, Month: month, Rows: []RegisterRow{}}
	for i := range facts {
		x := &facts[i]
		r.BranchName = x.BranchName
		phone := x.Phone
		if !fullPhone {
			phone = complaintbot.MaskPhone(phone)
		}
		customer := strings.TrimSpace(strings.Join(nonEmpty(x.Name, phone), " "))
		content := x.Description
		if x.Request != "" {
			content += "（诉求：" + x.Request + "）"
		}
		sat := SurveyLabel(x.Survey)
		if x.Survey == string(complaintbot.SurveyAnswered) && x.Rating > 0 {
			sat = strconv.Itoa(x.Rating) + " 分（" + ratingLabel(x.Rating) + "）"
			if x.Comment != "" {
				sat += "：" + x.Comment
			}
		}
		result := complaintbot.Status(x.Status).Label()
		if x.DecisionState == storage.DeadlineMissed {
			result += "（超期）"
		}
		r.Rows = append(r.Rows, RegisterRow{No: i + 1, Number: x.Number, Received: x.Received.In(complaintbot.Shanghai).Format("2006-01-02"),
			Customer: customer, Content: content, Coding: strings.Join(CodingLabels(x.Coding), "\n"), Department: x.Department, Handling: x.Handling, Reply: x.Reply, Result: result,
			Satisfaction: sat, Handler: x.Handler})
	}
	return r, nil
}

func nonEmpty(l ...string) []string {
	var out []string
	for _, s := range l {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func ratingLabel(r int) string {
	switch r {
	case 5:
		return "非常满意"
	case 4:
		return "满意"
	case 3:
		return "一般"
	case 2:
		return "不满意"
	}
	return "非常不满意"
}

// Title is the register's title line.
func (r *Register) Title() string {
	name := r.BranchName
	if name == "" {
		name = r.Branch
	}
	return fmt.Sprintf("客户投诉登记簿（%s · %s）", name, strings.Replace(r.Month, "-", " 年 ", 1)+" 月")
}

// WriteXLSX writes the register as an .xlsx workbook laid out for printing (landscape A4, the
// header repeated on every page, the sign-off line at the end).
func (r *Register) WriteXLSX(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "投诉登记簿"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	fail := func(err error) error { return fmt.Errorf("write register: %w", err) }
	if err := x.SetCellValue(sheet, "A1", r.Title()); err != nil {
		return fail(err)
	}
	if err := x.MergeCell(sheet, "A1", "L1"); err != nil {
		return fail(err)
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border: []excelize.Border{{Type: "left", Style: 1}, {Type: "right", Style: 1}, {Type: "top", Style: 1}, {Type: "bottom", Style: 1}}})
	if err != nil {
		return fail(err)
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Style: 1}, {Type: "right", Style: 1}, {Type: "top", Style: 1}, {Type: "bottom", Style: 1}}})
	if err != nil {
		return fail(err)
	}
	title, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return fail(err)
	}
	if err := x.SetCellStyle(sheet, "A1", "A1", title); err != nil {
		return fail(err)
	}
	row := func(n int, vals []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return x.SetSheetRow(sheet, cell, &vals)
	}
	hdr := make([]any, len(RegisterHeader))
	for i, h := range RegisterHeader {
		hdr[i] = h
	}
	if err := row(2, hdr); err != nil {
		return fail(err)
	}
	if err := x.SetCellStyle(sheet, "A2", "L2", head); err != nil {
		return fail(err)
	}
	for i, rr := range r.Rows {
		vals := SafeCells([]string{strconv.Itoa(rr.No), rr.Number, rr.Received, rr.Customer, rr.Content, rr.Coding, rr.Department, rr.Handling, rr.Reply, rr.Result, rr.Satisfaction, rr.Handler})
		cells := make([]any, len(vals))
		for j, v := range vals {
			cells[j] = v
		}
		if err := row(i+3, cells); err != nil {
			return fail(err)
		}
	}
	last := len(r.Rows) + 2
	if len(r.Rows) > 0 {
		end, _ := excelize.CoordinatesToCellName(len(RegisterHeader), last)
		if err := x.SetCellStyle(sheet, "A3", end, wrap); err != nil {
			return fail(err)
		}
	}
	sign, _ := excelize.CoordinatesToCellName(1, last+2)
	if err := x.SetCellValue(sheet, sign, SignOff); err != nil {
		return fail(err)
	}
	for col, width := range map[string]float64{"A": 6, "B": 17, "C": 12, "D": 18, "E": 36, "F": 24, "G": 12, "H": 28, "I": 28, "J": 14, "K": 18, "L": 10} {
		if err := x.SetColWidth(sheet, col, col, width); err != nil {
			return fail(err)
		}
	}
	orient, size := "landscape", 9 // A4
	if err := x.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &orient, Size: &size}); err != nil {
		return fail(err)
	}
	if err := x.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$2:$2", Scope: sheet}); err != nil {
		return fail(err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fail(err)
	}
	return nil
}
