package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// The audit trail's names of the exports (an export is audited before its data leaves; one
// whose entry cannot be written is refused, ErrUnaudited) and of their target.
const (
	// AuditExport is an export of report figures or of the report's case list (target: the
	// period of the regulator figures, else none; after: what was exported).
	AuditExport = "report.export"
	// AuditRegister is the complaint register read or exported (target: its month).
	AuditRegister = "report.register"
	// AuditTarget is the exports' audit target type.
	AuditTarget = "report"
)

// Audit names the audit codes (and target type) of these actions for the audit trail's page.
var Audit = complaintbot.AuditVocabulary{Actions: map[string]string{AuditExport: "导出报表", AuditRegister: "导出投诉登记簿"}}

// ErrUnaudited: the export's audit entry could not be written, so no data was handed out.
var ErrUnaudited = errors.New("reports: the audit entry could not be written")

// audit writes the entry of an export before its data is handed out; when it cannot be written
// the cause is logged and ErrUnaudited returned.
func (s *Service) audit(ctx context.Context, who complaintbot.Actor, action, target, branch, after string) error {
	e := &storage.AuditEntry{At: s.clock.Now(), User: who.Name(), Action: action, TargetType: AuditTarget, Target: target,
		Branch: branch, After: after, Addr: who.Addr}
	if err := s.store.Audit(ctx, e); err != nil {
		s.log.Error("write audit trail: export not carried out", "action", action, "err", err)
		return fmt.Errorf("%w: %w", ErrUnaudited, err)
	}
	return nil
}

// ExportCases returns the facts of the filter's cases (Cases) for who, once the export is
// audited (AuditExport; after: "cases.json", the rows, whether phone numbers are whole, and
// query, the request as asked). Phone numbers are masked unless fullPhone.
func (s *Service) ExportCases(ctx context.Context, who complaintbot.Actor, f Filter, fullPhone bool, query string) ([]storage.ReportFact, error) {
	rows, err := s.Cases(ctx, f)
	if err != nil {
		return nil, err
	}
	if !fullPhone {
		for i := range rows {
			rows[i].Phone = complaintbot.MaskPhone(rows[i].Phone)
		}
	}
	if err := s.audit(ctx, who, AuditExport, "", f.Branch, fmt.Sprintf("cases.json %d rows; full phone %v; %s", len(rows), fullPhone, query)); err != nil {
		return nil, err
	}
	return rows, nil
}

// The formats of an exported file.
const (
	// CSV is comma-separated text (UTF-8 with a byte-order mark, WriteCSV).
	CSV = "csv"
	// XLSX is an Excel workbook (WriteXLSX).
	XLSX = "xlsx"
)

// ExportCasesFile returns the filter's case list as a file in format (CSV or XLSX, another is
// refused) for who, once the export is audited (AuditExport; after: "cases." and the format, the
// rows, whether phone numbers are whole, and query). Phone numbers are masked unless fullPhone.
func (s *Service) ExportCasesFile(ctx context.Context, who complaintbot.Actor, f Filter, format string, fullPhone bool, query string) ([]byte, error) {
	write := map[string]func(io.Writer, []storage.ReportFact, bool) error{CSV: WriteCSV, XLSX: WriteXLSX}[format]
	if write == nil {
		return nil, fmt.Errorf("export cases: unknown format %q", format)
	}
	rows, err := s.Cases(ctx, f)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := write(&buf, rows, fullPhone); err != nil {
		return nil, fmt.Errorf("export cases as %s: %w", format, err)
	}
	if err := s.audit(ctx, who, AuditExport, "", f.Branch, fmt.Sprintf("cases.%s %d rows; full phone %v; %s", format, len(rows), fullPhone, query)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RegisterQuery says which complaint register to read (Register).
type RegisterQuery struct {
	// Scope are the reader's branches (nil: all), Branch the register's, Month its month
	// ("2026-11").
	Scope  []string
	Branch string
	Month  string
	// FullPhone asks for whole phone numbers (masked otherwise).
	FullPhone bool
	// BranchName names the branch when no case of the month does.
	BranchName string
}

// register reads the register q asks for.
func (s *Service) register(ctx context.Context, q RegisterQuery) (*Register, error) {
	r, err := s.Register(ctx, q.Scope, q.Branch, q.Month, q.FullPhone)
	if err != nil {
		return nil, err
	}
	if r.BranchName == "" {
		r.BranchName = q.BranchName
	}
	return r, nil
}

// ExportRegister returns the complaint register for who, once its reading is audited
// (AuditRegister; after: as, how it is shown — "register.json", "register page" — and the rows).
func (s *Service) ExportRegister(ctx context.Context, who complaintbot.Actor, q RegisterQuery, as string) (*Register, error) {
	r, err := s.register(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, who, AuditRegister, r.Month, r.Branch, fmt.Sprintf("%s %d rows", as, len(r.Rows))); err != nil {
		return nil, err
	}
	return r, nil
}

// ExportRegisterXLSX returns the complaint register and its workbook (Register.WriteXLSX) for
// who, once the export is audited (AuditRegister; after: "register.xlsx" and the rows).
func (s *Service) ExportRegisterXLSX(ctx context.Context, who complaintbot.Actor, q RegisterQuery) (*Register, []byte, error) {
	r, err := s.register(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf); err != nil {
		return nil, nil, fmt.Errorf("export the register: %w", err)
	}
	if err := s.audit(ctx, who, AuditRegister, r.Month, r.Branch, fmt.Sprintf("register.xlsx %d rows", len(r.Rows))); err != nil {
		return nil, nil, err
	}
	return r, buf.Bytes(), nil
}

// ExportRegulator returns the regulator figures (Regulator) for who, once the export is audited
// (AuditExport; target: the period; after: "regulator.json" and the period).
func (s *Service) ExportRegulator(ctx context.Context, who complaintbot.Actor, q RegulatorQuery) (*RegulatorReport, error) {
	r, err := s.Regulator(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, who, AuditExport, r.Period, r.Branch, "regulator.json "+r.Period); err != nil {
		return nil, err
	}
	return r, nil
}

// ExportRegulatorXLSX returns the regulator figures and their workbook
// (RegulatorReport.WriteXLSX) for who, once the export is audited (AuditExport; target: the
// period; after: "regulator.xlsx" and the period).
func (s *Service) ExportRegulatorXLSX(ctx context.Context, who complaintbot.Actor, q RegulatorQuery) (*RegulatorReport, []byte, error) {
	r, err := s.Regulator(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf); err != nil {
		return nil, nil, fmt.Errorf("export the regulator figures: %w", err)
	}
	if err := s.audit(ctx, who, AuditExport, r.Period, r.Branch, "regulator.xlsx "+r.Period); err != nil {
		return nil, nil, err
	}
	return r, buf.Bytes(), nil
}
