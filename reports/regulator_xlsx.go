package reports

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/xuri/excelize/v2"
)

// RegulatorHeader is the header of every table of the regulator figures; the branch table adds
// RegulatorCustomersHeader. Handling times are in days, to two decimals.
var RegulatorHeader = []string{"代码", "名称", "投诉件数", "撤回", "已办结", "按期办结", "超期办结", "按期办结率", "未办结", "平均处理时长（天）", "90% 处理时长（天）"}

// RegulatorCustomersHeader are the branch table's extra columns.
var RegulatorCustomersHeader = []string{"客户数", "每万名客户投诉数"}

// Days is a duration in minutes as days, to two decimals.
func Days(min float64) float64 { return math.Round(min/1440*100) / 100 }

// regulatorCells is a row of the figures as cell values (numbers as numbers, nothing for none).
func regulatorCells(code, label string, f *RegulatorFigures, customers bool) []any {
	cells := []any{code, label, f.Complaints, f.Withdrawn, f.Decided, f.InTime, f.Late, nil, f.Open, nil, nil}
	if f.InTimeShare != nil {
		cells[7] = *f.InTimeShare
	}
	if f.HandlingAvg != nil {
		cells[9] = Days(*f.HandlingAvg)
	}
	if f.HandlingP90 != nil {
		cells[10] = Days(float64(*f.HandlingP90))
	}
	if customers {
		cells = append(cells, nil, nil)
		if f.Customers > 0 {
			cells[11] = f.Customers
		}
		if f.Per10k != nil {
			cells[12] = *f.Per10k
		}
	}
	return cells
}

// WriteXLSX writes the regulator figures as an .xlsx workbook: a summary sheet (the total and the
// branches), one sheet per JR/T 0169 axis (codes indented by level) and one for the receiving
// channels, each with the title and the notes above the table.
func (r *RegulatorReport) WriteXLSX(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	fail := func(err error) error { return fmt.Errorf("write regulator figures: %w", err) }
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Style: 1}, {Type: "right", Style: 1}, {Type: "top", Style: 1}, {Type: "bottom", Style: 1}}})
	if err != nil {
		return fail(err)
	}
	share, err := x.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return fail(err)
	}
	sheet := func(name string, first bool, header []string, rows [][]any) error {
		if first {
			if err := x.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(name); err != nil {
			return err
		}
		if err := x.SetCellValue(name, "A1", r.Title); err != nil {
			return err
		}
		scope := "统计期间：" + r.From + " 至 " + r.To + "（按受理日期；仅投诉，不含建议、表扬）"
		if r.Branch != "" {
			scope += "；网点 " + r.Branch
		}
		if err := x.SetCellValue(name, "A2", scope); err != nil {
			return err
		}
		if err := x.SetCellValue(name, "A3", strings.Join(r.Notes, " ")); err != nil {
			return err
		}
		hdr := make([]any, len(header))
		for i, h := range header {
			hdr[i] = h
		}
		if err := x.SetSheetRow(name, "A5", &hdr); err != nil {
			return err
		}
		end, _ := excelize.CoordinatesToCellName(len(header), 5)
		if err := x.SetCellStyle(name, "A5", end, head); err != nil {
			return err
		}
		for i, row := range rows {
			for j, v := range row {
				if s, ok := v.(string); ok {
					row[j] = SafeCells([]string{s})[0]
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+6)
			if err := x.SetSheetRow(name, cell, &row); err != nil {
				return err
			}
		}
		if len(rows) > 0 {
			last, _ := excelize.CoordinatesToCellName(8, len(rows)+5)
			if err := x.SetCellStyle(name, "H6", last, share); err != nil {
				return err
			}
		}
		if err := x.SetColWidth(name, "A", "A", 12); err != nil {
			return err
		}
		if err := x.SetColWidth(name, "B", "B", 30); err != nil {
			return err
		}
		return x.SetColWidth(name, "C", "M", 12)
	}
	summary := [][]any{regulatorCells("", "合计", &r.Total, true)}
	for i := range r.Branches {
		b := &r.Branches[i]
		summary = append(summary, regulatorCells(b.Key, b.Label, &b.RegulatorFigures, true))
	}
	header := append(append([]string{}, RegulatorHeader...), RegulatorCustomersHeader...)
	header[0], header[1] = "网点代码", "网点"
	if err := sheet("汇总及网点", true, header, summary); err != nil {
		return fail(err)
	}
	for _, ax := range r.Axes {
		var rows [][]any
		for i := range ax.Rows {
			row := &ax.Rows[i]
			label := row.Label
			if row.Level > 1 {
				label = strings.Repeat("　", row.Level-1) + label
			}
			rows = append(rows, regulatorCells(row.Key, label, &row.RegulatorFigures, false))
		}
		if err := sheet(ax.Axis+" "+ax.Name, false, RegulatorHeader, rows); err != nil {
			return fail(err)
		}
	}
	var rows [][]any
	for i := range r.Received {
		row := &r.Received[i]
		rows = append(rows, regulatorCells(row.Key, row.Label, &row.RegulatorFigures, false))
	}
	header = append([]string{}, RegulatorHeader...)
	header[0], header[1] = "受理渠道", "名称"
	if err := sheet("受理渠道", false, header, rows); err != nil {
		return fail(err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fail(err)
	}
	return nil
}
