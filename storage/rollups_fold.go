package storage

import (
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
)

// FoldFacts computes a day's rollup in Go from its facts, built at built: the reference the
// database's pipelines (ComputeDayRollup) are checked against, and the fast way to seed
// the rollups of many days (benchmarks).
func FoldFacts(day string, built time.Time, facts []ReportFact) *ReportRollup {
	cells := map[CellKey]*ReportCell{}
	r := &ReportRollup{ID: day, Low: []ReportLow{}}
	for i := range facts {
		f := &facts[i]
		k := factKey(f)
		x := cells[k]
		if x == nil {
			x = &ReportCell{CellKey: k, Ratings: make([]int64, 6)}
			cells[k] = x
		}
		one := ReportCell{Cases: 1, Ratings: make([]int64, 6), Customers: []CustomerCount{{Key: CustomerKeyNumber(f.Customer), N: 1}}}
		switch f.ReplyState {
		case DeadlineMet:
			one.ReplyMet = 1
		case DeadlineMissed:
			one.ReplyMissed = 1
		}
		switch f.DecisionState {
		case DeadlineMet:
			one.DecisionMet = 1
		case DeadlineMissed:
			one.DecisionMissed = 1
		case DeadlineWithdrawn:
			one.Withdrawn = 1
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
				r.Low = append(r.Low, ReportLow{CellKey: k, Number: f.Number, Day: f.Day, Rating: f.Rating, Comment: f.Comment, FollowUp: f.FollowUp})
			}
		}
		AddCell(x, &one)
	}
	parts := &ReportRollup{ID: day}
	for _, x := range cells {
		parts.Cells = append(parts.Cells, *x)
	}
	out := MergeRollups(day, built, []*ReportRollup{parts})
	slices.SortFunc(r.Low, func(a, b ReportLow) int { return strings.Compare(a.Number, b.Number) })
	out.Low = r.Low
	return out
}
