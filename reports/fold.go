package reports

import (
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// FoldFacts computes a day's rollup in Go from its facts, built at built: the reference the
// database's pipelines (storage.ComputeDayRollup) are checked against, and the fast way to seed
// the rollups of many days (benchmarks).
func FoldFacts(day string, built time.Time, facts []storage.ReportFact) *storage.ReportRollup {
	cells := map[storage.CellKey]*storage.ReportCell{}
	r := &storage.ReportRollup{ID: day, Low: []storage.ReportLow{}}
	for i := range facts {
		f := &facts[i]
		k := storage.CellKey{Branch: f.Branch, BranchName: f.BranchName, Category: f.Category, CategoryName: f.CategoryName, Channel: f.Channel,
			Business: f.Business, Reason: f.Reason, Kind: f.Kind, Agent: f.Agent}
		x := cells[k]
		if x == nil {
			x = &storage.ReportCell{CellKey: k, Ratings: make([]int64, 6)}
			cells[k] = x
		}
		one := storage.ReportCell{Cases: 1, Ratings: make([]int64, 6), Customers: []storage.CustomerCount{{Key: storage.CustomerKeyNumber(f.Customer), N: 1}}}
		switch f.ReplyState {
		case storage.DeadlineMet:
			one.ReplyMet = 1
		case storage.DeadlineMissed:
			one.ReplyMissed = 1
		}
		switch f.DecisionState {
		case storage.DeadlineMet:
			one.DecisionMet = 1
		case storage.DeadlineMissed:
			one.DecisionMissed = 1
		}
		if f.Overdue {
			one.Overdue = 1
		}
		if f.HasReply {
			one.ReplyN, one.ReplySum, one.ReplyMins = 1, f.ReplyMin, []int64{f.ReplyMin}
		}
		if f.HasResolve {
			one.ResolveN, one.ResolveSum, one.ResolveMins = 1, f.ResolveMin, []int64{f.ResolveMin}
		}
		if f.Survey != "" && f.Survey != string(complaintbot.SurveyUndeliverable) {
			one.Surveys = 1
		}
		switch complaintbot.SurveyStatus(f.Survey) {
		case complaintbot.SurveyUndeliverable:
			one.Undeliverable = 1
		case complaintbot.SurveyExpired:
			one.Expired = 1
		case complaintbot.SurveyAnswered:
			one.Answered = 1
			one.Ratings[f.Rating] = 1
			if f.Low {
				r.Low = append(r.Low, storage.ReportLow{CellKey: k, Number: f.Number, Day: f.Day, Rating: f.Rating, Comment: f.Comment, FollowUp: f.FollowUp})
			}
		}
		storage.AddCell(x, &one)
	}
	parts := &storage.ReportRollup{ID: day}
	for _, x := range cells {
		parts.Cells = append(parts.Cells, *x)
	}
	out := storage.MergeRollups(day, built, []*storage.ReportRollup{parts})
	slices.SortFunc(r.Low, func(a, b storage.ReportLow) int { return strings.Compare(a.Number, b.Number) })
	out.Low = r.Low
	return out
}
