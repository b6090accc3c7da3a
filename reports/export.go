package reports

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/textnorm"
	"github.com/xuri/excelize/v2"
)

// MaxRows is the most cases one export holds.
const MaxRows = 100000

// ErrTooMany means the export would hold more than MaxRows cases.
var ErrTooMany = errors.New("too many cases for one export")

// Cases returns the facts of the filter's cases, oldest first, read from the fact collections of
// the period's days (small collections: a scan of each is cheap on the embedded server too). Each
// fact's Handler is the case's assignee by display name.
func (s *Service) Cases(ctx context.Context, f Filter) ([]storage.ReportFact, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	known, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return nil, err
	}
	q := f.facts()
	out := []storage.ReportFact{}
	for _, id := range periodIDs(f.From, f.To, "") {
		if !known[id] {
			continue
		}
		err := s.store.EachReportFact(ctx, id, q, func(x *storage.ReportFact) error {
			if len(out) >= MaxRows {
				return ErrTooMany
			}
			out = append(out, *x)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b storage.ReportFact) int {
		return cmp.Or(a.Received.Compare(b.Received), cmp.Compare(a.Number, b.Number))
	})
	// The handler (承办人) is the case's assignee, by display name.
	names, err := s.userLabels(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Handler = label(names, out[i].Handler)
	}
	return out, nil
}

// CaseHeader is the header row of the case list export.
var CaseHeader = []string{"案件编号", "类型", "受理时间", "答复期限", "处理期限", "首次答复时间", "办结时间", "网点代码", "网点", "类别",
	"业务办理渠道（JR/T 0169）", "业务类别（JR/T 0169）", "投诉原因（JR/T 0169）", "状态", "按时答复", "按时办结", "当前超期", "首次答复用时（分钟）", "办结用时（分钟）",
	"满意度评分", "客户评价", "回访状态", "承办人", "联系电话", "受理渠道"}

// CaseRow is the export row of a fact; the phone number is masked unless fullPhone.
func CaseRow(x *storage.ReportFact, fullPhone bool) []string {
	phone := x.Phone
	if !fullPhone {
		phone = complaintbot.MaskPhone(phone)
	}
	rating := ""
	if x.Survey == string(complaintbot.SurveyAnswered) && x.Rating > 0 {
		rating = strconv.Itoa(x.Rating)
	}
	mins := func(has bool, v int64) string {
		if !has {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	over := "否"
	if x.Overdue {
		over = "是"
	}
	return []string{x.Number, complaintbot.Kind(x.Kind).Label(), ts(x.Received), ts(x.ReplyDue), ts(x.DecisionDue), tsp(x.RepliedAt), tsp(x.ResolvedAt),
		x.Branch, x.BranchName, x.CategoryName, JRTLabel(x.Coding.Channel), JRTLabel(x.Coding.Business), JRTLabel(x.Coding.Reason), complaintbot.Status(x.Status).Label(),
		DeadlineLabel(x.ReplyState), DeadlineLabel(x.DecisionState), over, mins(x.HasReply, x.ReplyMin), mins(x.HasResolve, x.ResolveMin),
		rating, x.Comment, FollowUpLabel(x.FollowUp), x.Handler, phone, complaintbot.ReceivedLabel(x.ReceivedVia)}
}

// DeadlineLabel is the Chinese label of a deadline state.
func DeadlineLabel(s string) string {
	switch s {
	case storage.DeadlineMet:
		return "是"
	case storage.DeadlineMissed:
		return "否"
	case storage.DeadlineWithdrawn:
		return "已撤回"
	}
	return "未到期"
}

// FollowUpLabel is the Chinese label of a follow-up status.
func FollowUpLabel(s string) string {
	switch storage.FollowUpStatus(s) {
	case storage.FollowUpOpen:
		return "待回访"
	case storage.FollowUpDone:
		return "已回访"
	}
	return ""
}

// SurveyLabel is the Chinese label of a survey status.
func SurveyLabel(s string) string {
	switch complaintbot.SurveyStatus(s) {
	case complaintbot.SurveySent:
		return "待评价"
	case complaintbot.SurveyAnswered:
		return "已评价"
	case complaintbot.SurveyExpired:
		return "未评价（已过期）"
	case complaintbot.SurveyUndeliverable:
		return "未送达（消息未能发给客户）"
	}
	return "未发送"
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(complaintbot.Shanghai).Format("2006-01-02 15:04")
}

func tsp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

// SafeCells keeps a spreadsheet from reading customer text as a formula, and shows what hidden
// controls it held (textnorm.Visible); every export passes its cells through it.
func SafeCells(row []string) []string {
	for i, v := range row {
		v = textnorm.Visible(v) // no hidden direction overrides or zero-width characters in a file
		row[i] = v
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			row[i] = "'" + v
		}
	}
	return row
}

// WriteCSV writes the case list as CSV (UTF-8 with a BOM, which Excel needs).
func WriteCSV(w io.Writer, rows []storage.ReportFact, fullPhone bool) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CaseHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for i := range rows {
		if err := cw.Write(SafeCells(CaseRow(&rows[i], fullPhone))); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteXLSX writes the case list as an .xlsx workbook (one sheet, 案件清单), all cells text.
func WriteXLSX(w io.Writer, rows []storage.ReportFact, fullPhone bool) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "案件清单"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	write := func(n int, row []string) error {
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = textnorm.Visible(v) // text cells: no formula to guard, but hidden controls
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	}
	if err := write(1, CaseHeader); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	for i := range rows {
		if err := write(i+2, CaseRow(&rows[i], fullPhone)); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
