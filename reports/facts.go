// Package reports computes the supervisors' reports: satisfaction, deadline compliance and volume
// figures, the filtered case list (CSV, .xlsx) and the complaint register (客户投诉登记簿).
//
// The embedded database scans a whole collection for every query that is not a lookup by _id, so
// no report reads the cases collection at request time. Instead (see storage/report_facts.go):
//
//  1. every case has a compact fact (its report dimensions and measures) in the fact collection of
//     the day it was received (report_facts_YYYYMMDD, a few hundred documents), replaced by _id when
//     the case or its survey changes: every change that moves a figure leaves a durable mark
//     (storage.Store.MarkCaseReport, an insert, written where the change is made or by Run from the
//     bus) and the leased job JobDrain (Service.Drain, every 20 s) refreshes the marked cases;
//     Service.Repair, every ten minutes, is the safety net for what no mark announced, and also
//     re-dates the deadline states of open cases as time passes;
//  2. a changed day is marked dirty (an insert with _id = the day; E11000 = already dirty) and its
//     rollup is recomputed from its facts by one-accumulator $group pipelines in the database
//     (Service.RebuildDirty) — per-day and per-month rollup documents of cells (branch × category
//     × kind × agent) with counts, sums, sorted duration lists and customer counts;
//  3. the dashboard reads the rollups of the requested period by _id (whole months as one month
//     document, the rest as days), keeps the cells that pass the filters and the user's branches,
//     and sums them. This merging in Go is the documented fallback for what the embedded server
//     lacks ($facet, several accumulators per $group, $avg, percentiles): averages are sums over
//     counts, the 90th percentiles are exact (nearest rank) over the merged sorted lists.
//
// Service.Rebuild rebuilds every fact and rollup from the cases and surveys (nightly, and at start).
package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// maxText caps the customer text kept in a fact (the register shows it; the case has all of it).
const maxText = 500

// CustomerKey is the short, one-way key of a customer used to find repeat complainants.
func CustomerKey(openID string) string {
	if openID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("complaintbot-report:" + openID))
	return hex.EncodeToString(sum[:8])
}

// BuildFact makes the fact of a case as of now; sv is the case's latest survey (nil when none is
// known) and followUp the status of its follow-up call ("" when none).
func BuildFact(c *complaintbot.Case, sv *complaintbot.Survey, followUp string, now time.Time) storage.ReportFact {
	local := c.Received.In(complaintbot.Shanghai)
	y, w := local.ISOWeek()
	f := storage.ReportFact{Number: c.Number, Day: local.Format("2006-01-02"), Week: fmt.Sprintf("%04d-W%02d", y, w), Month: local.Format("2006-01"),
		Kind: string(c.Kind), Status: string(c.Status), Branch: c.Branch.Code, BranchName: c.Branch.Name, Agent: c.Work.Assignee,
		Customer: CustomerKey(c.OpenID), Received: c.Received, ReplyDue: c.ReplyDue, DecisionDue: c.DecisionDue, AsOf: now,
		Name: c.Fields[complaintbot.FieldName], Phone: c.Fields[complaintbot.FieldPhone],
		Description: cut(c.Fields[complaintbot.FieldDescription]), Request: cut(c.Fields[complaintbot.FieldRequest]),
		Department: c.Work.Departments.Responsible, Handler: c.Work.Assignee, Coding: c.Coding, ReceivedVia: c.Channel}
	if f.Branch == "" {
		f.Branch = complaintbot.NoBranchCode
	}
	if f.BranchName == "" {
		f.BranchName = "不涉及网点"
	}
	if f.Department == "" {
		f.Department = c.Work.Departments.Host
	}
	if c.Category != nil {
		f.Category, f.CategoryName = c.Category.Code, c.Category.Name
	}
	// The dashboard's JR/T 0169 groups are the case's own codes (an uncoded axis: ""), never the
	// older codes a category carried.
	f.Channel, f.Business, f.Reason = c.Coding.Channel, c.Coding.Business, c.Coding.Reason
	// The first reply is the first message a person sent about the case, or the resolution's reply
	// if that came first; the case is decided when it is resolved or closed with a resolution.
	first := c.RepliedAt
	if r := c.Work.Resolution; r != nil {
		f.Handling, f.Reply = cut(r.Text), cut(r.Reply)
		if first == nil || r.At.Before(*first) {
			at := r.At
			first = &at
		}
		if !c.Status.Open() {
			at := r.At
			f.ResolvedAt = &at
		}
	}
	f.RepliedAt = first
	if first != nil {
		f.HasReply, f.ReplyMin = true, minutes(first.Sub(c.Received))
	}
	if f.ResolvedAt != nil {
		f.HasResolve, f.ResolveMin = true, minutes(f.ResolvedAt.Sub(c.Received))
	}
	if sv != nil {
		f.Survey, f.SurveyID, f.Rating, f.Low, f.Comment = string(sv.Status), sv.ID, sv.Rating, sv.Low, cut(sv.Comment)
		if sv.Status != complaintbot.SurveyAnswered {
			f.Rating, f.Low = 0, false
		}
	} else if s := c.Satisfaction; s != nil {
		f.Survey, f.SurveyID, f.Rating, f.Comment = string(complaintbot.SurveyAnswered), s.Survey, s.Rating, cut(s.Comment)
		f.Low = s.Rating > 0 && s.Rating <= 2
	}
	if f.Low {
		f.FollowUp = followUp
	}
	Restate(&f, now)
	return f
}

// Restate recomputes the fact's deadline states and overdue flag as of now (they change with time
// alone, without any change to the case).
func Restate(f *storage.ReportFact, now time.Time) {
	open := complaintbot.Status(f.Status).Open()
	f.ReplyState = state(f.RepliedAt, f.ReplyDue, now)
	f.DecisionState = state(f.ResolvedAt, f.DecisionDue, now)
	if complaintbot.Status(f.Status) == complaintbot.StatusWithdrawn {
		// Withdrawn (撤回): the case ended without a decision; a reply not given by then is moot.
		f.DecisionState = storage.DeadlineWithdrawn
		if f.RepliedAt == nil {
			f.ReplyState = storage.DeadlineWithdrawn
		}
	}
	f.Overdue = complaintbot.IsOverdue(open, f.ReplyDue, f.RepliedAt != nil, f.DecisionDue, now)
	f.AsOf = now
}

func state(done *time.Time, due, now time.Time) string {
	switch {
	case done != nil && (due.IsZero() || !done.After(due)):
		return storage.DeadlineMet
	case done != nil:
		return storage.DeadlineMissed
	case !due.IsZero() && now.After(due):
		return storage.DeadlineMissed
	}
	return storage.DeadlinePending
}

func minutes(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d / time.Minute)
}

func cut(s string) string {
	r := []rune(s)
	if len(r) <= maxText {
		return s
	}
	return string(r[:maxText]) + "…"
}
