package reports

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Filter selects what a report covers. Dates are days in Asia/Shanghai; To is inclusive.
type Filter struct {
	From, To time.Time
	// Scope limits the report to these branch codes; nil means every branch (head office).
	Scope    []string
	Branch   string
	Category string
	Kind     string
	Agent    string
	// Trend is "week" or "month" ("" chooses: weeks up to 92 days, months beyond).
	Trend string
}

// MaxDays is the longest period a report covers.
const MaxDays = 732

// Validate checks the period and fills in the trend granularity.
func (f *Filter) Validate() error {
	if f.From.IsZero() || f.To.IsZero() || f.To.Before(f.From) {
		return fmt.Errorf("the period is missing or reversed")
	}
	if f.To.Sub(f.From) > MaxDays*24*time.Hour {
		return fmt.Errorf("the period is longer than %d days", MaxDays)
	}
	if f.Trend != "week" && f.Trend != "month" {
		f.Trend = "week"
		if f.To.Sub(f.From) > 92*24*time.Hour {
			f.Trend = "month"
		}
	}
	return nil
}

// facts is the filter's selection of facts and rollup cells (the branch scope and the four
// dimensions; the period is the caller's).
func (f *Filter) facts() storage.FactFilter {
	return storage.FactFilter{Branches: f.Scope, Branch: f.Branch, Category: f.Category, Kind: f.Kind, Agent: f.Agent}
}

// Figures are the satisfaction, deadline and volume figures of a set of cases.
type Figures struct {
	Cases int64 `json:"cases"`
	// Satisfaction.
	Surveys  int64 `json:"surveys"`  // asked
	Answered int64 `json:"answered"` // rated
	Expired  int64 `json:"expired"`
	// Undeliverable surveys never reached the customer: not counted as asked.
	Undeliverable int64    `json:"undeliverable"`
	Response      *float64 `json:"response_rate"` // answered / asked
	Ratings       [5]int64 `json:"ratings"`       // count of ratings 1…5
	AvgRating     *float64 `json:"avg_rating"`
	Satisfied     int64    `json:"satisfied"`       // ratings 4–5
	SatShare      *float64 `json:"satisfied_share"` // satisfied / answered
	// Deadlines: shares over the cases whose deadline is met or missed (not those still pending).
	ReplyMet       int64    `json:"reply_met"`
	ReplyMissed    int64    `json:"reply_missed"`
	ReplyShare     *float64 `json:"reply_in_time_share"`
	DecisionMet    int64    `json:"decision_met"`
	DecisionMissed int64    `json:"decision_missed"`
	DecisionShare  *float64 `json:"decision_in_time_share"`
	Overdue        int64    `json:"overdue_now"`
	// Withdrawn counts the cases the customer withdrew (撤回) before a decision: neither met nor
	// missed, never overdue.
	Withdrawn int64 `json:"withdrawn"`
	// Durations in minutes (nil when there is none). The 90th percentiles are given for the
	// total and by branch only (nil in the other breakdowns).
	Replies    int64    `json:"replies"`
	ReplyAvg   *float64 `json:"reply_avg_min"`
	ReplyP90   *int64   `json:"reply_p90_min"`
	Resolved   int64    `json:"resolved"`
	ResolveAvg *float64 `json:"resolve_avg_min"`
	ResolveP90 *int64   `json:"resolve_p90_min"`
}

// Group is the figures of one value of a breakdown (a branch, a week…).
type Group struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Figures
}

// Repeat is a customer with several cases in the period.
type Repeat struct {
	Customer string `json:"customer"` // the customer's one-way key
	Cases    int64  `json:"cases"`
}

// FollowUpFigures counts follow-up calls by where they stand.
type FollowUpFigures struct {
	Open int64 `json:"open"` // 待回访
	Done int64 `json:"done"` // 已回访
}

// Dashboard is everything the reports page shows.
type Dashboard struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	Trend string  `json:"trend"`
	Total Figures `json:"total"`
	// Trends and breakdowns.
	ByPeriod   []Group `json:"by_period"`
	ByBranch   []Group `json:"by_branch"`
	ByCategory []Group `json:"by_category"`
	ByAgent    []Group `json:"by_agent"`
	ByKind     []Group `json:"by_kind"`
	// Complaint volume (投诉数量) counts complaints only, whatever the filter; suggestions and
	// praise are in ByKind, apart. The JR/T 0169 groups are labelled with code and name.
	Complaints         int64   `json:"complaints"`
	ComplaintsByBranch []Group `json:"complaints_by_branch"`
	ByChannel          []Group `json:"by_jr_channel"`
	ByBusiness         []Group `json:"by_jr_business"`
	ByReason           []Group `json:"by_jr_reason"`
	// ByReceived counts complaints by receiving channel (受理渠道: the Official Account, phone,
	// counter, letter, e-mail, regulator referrals).
	ByReceived []Group `json:"by_received_channel"`
	TopReasons []Group `json:"top_reasons"` // the ten categories with the most complaints
	// Repeat complainants: customers with two cases or more in the period.
	RepeatCustomers int64    `json:"repeat_customers"`
	RepeatCases     int64    `json:"repeat_cases"`
	Repeats         []Repeat `json:"repeats"`
	// Low ratings with their comment and follow-up status, newest first (at most 200).
	Low []storage.ReportLow `json:"low_ratings"`
	// FollowUps counts the follow-up calls (回访) the period's low ratings raised, by where they
	// stand: all of them, not only the 200 listed.
	FollowUps FollowUpFigures `json:"follow_ups"`
	// Periods says how many rollup documents were read.
	Periods int `json:"rollups_read"`
}

// periodIDs splits [from, to] into the rollups to read: whole months ("2026-11") or whole ISO
// weeks ("2026-W48") as the trend asks (none: days only), and the remaining days.
func periodIDs(from, to time.Time, trend string) []string {
	from, to = day(from), day(to)
	var ids []string
	for d := from; !d.After(to); {
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, complaintbot.Shanghai)
		last := first.AddDate(0, 1, -1)
		if trend == "month" && d.Equal(first) && !last.After(to) {
			ids = append(ids, d.Format("2006-01"))
			d = last.AddDate(0, 0, 1)
			continue
		}
		if trend == "week" && d.Weekday() == time.Monday && !d.AddDate(0, 0, 6).After(to) {
			y, w := d.ISOWeek()
			ids = append(ids, fmt.Sprintf("%04d-W%02d", y, w))
			d = d.AddDate(0, 0, 7)
			continue
		}
		ids = append(ids, d.Format("2006-01-02"))
		d = d.AddDate(0, 0, 1)
	}
	return ids
}

func day(t time.Time) time.Time {
	l := t.In(complaintbot.Shanghai)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, complaintbot.Shanghai)
}

// trendKey is the week ("2026-W48") or month of a period id.
func trendKey(id, trend string) string {
	if strings.Contains(id, "W") {
		return id
	}
	if trend == "month" || len(id) == 7 {
		return id[:7]
	}
	t, err := time.ParseInLocation("2006-01-02", id, complaintbot.Shanghai)
	if err != nil {
		return id
	}
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// Dashboard computes the figures of the filter from the rollups.
func (s *Service) Dashboard(ctx context.Context, f Filter) (*Dashboard, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	known, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range periodIDs(f.From, f.To, f.Trend) {
		if known[id] {
			ids = append(ids, id)
		}
	}
	rollups, err := s.store.ReportRollups(ctx, ids)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{From: day(f.From).Format("2006-01-02"), To: day(f.To).Format("2006-01-02"), Trend: f.Trend, Low: []storage.ReportLow{}}
	total := &storage.ReportCell{Ratings: make([]int64, 6)}
	groups := map[string]map[string]*acc{}
	add := func(dim, key, label string, c *storage.ReportCell) {
		m := groups[dim]
		if m == nil {
			m = map[string]*acc{}
			groups[dim] = m
		}
		a := m[key]
		if a == nil {
			a = &acc{label: label, cell: storage.ReportCell{Ratings: make([]int64, 6)}}
			m[key] = a
		}
		if dim == "branch" {
			// The 90th percentiles are shown for the total and by branch: only these keep the
			// duration lists (merging and sorting them for every breakdown would cost more than
			// the rest of the dashboard). Repeat complainants are counted over the total only.
			storage.AddCounts(&a.cell, c)
			a.cell.ReplyMins = append(a.cell.ReplyMins, c.ReplyMins...)
			a.cell.ResolveMins = append(a.cell.ResolveMins, c.ResolveMins...)
			return
		}
		storage.AddCounts(&a.cell, c)
	}
	names, err := s.userLabels(ctx)
	if err != nil {
		return nil, err
	}
	sel := f.facts()
	complaints := string(complaintbot.KindComplaint)
	for _, r := range rollups {
		if r == nil {
			continue
		}
		d.Periods++
		period := trendKey(r.ID, f.Trend)
		for i := range r.Cells {
			c := &r.Cells[i]
			if !sel.MatchesCell(&c.CellKey) {
				continue
			}
			storage.AddCell(total, c)
			add("period", period, period, c)
			add("branch", c.Branch, c.BranchName, c)
			add("category", c.Category, or(c.CategoryName, "未分类"), c)
			add("agent", c.Agent, or(label(names, c.Agent), "未指派"), c)
			add("kind", c.Kind, complaintbot.Kind(c.Kind).Label(), c)
			if c.Kind != complaints {
				continue
			}
			d.Complaints += c.Cases
			add("c_branch", c.Branch, c.BranchName, c)
			add("c_category", c.Category, or(c.CategoryName, "未分类"), c)
			add("channel", c.Channel, or(JRTLabel(c.Channel), "—"), c)
			add("business", c.Business, or(JRTLabel(c.Business), "—"), c)
			add("reason", c.Reason, or(JRTLabel(c.Reason), "—"), c)
			received := or(c.ReceivedVia, complaintbot.ReceivedWeChat)
			add("received", received, complaintbot.ReceivedLabel(received), c)
		}
		for _, l := range r.Low {
			if sel.MatchesCell(&l.CellKey) {
				d.Low = append(d.Low, l)
				switch storage.FollowUpStatus(l.FollowUp) {
				case storage.FollowUpOpen:
					d.FollowUps.Open++
				case storage.FollowUpDone:
					d.FollowUps.Done++
				}
			}
		}
	}
	d.Total = figures(total)
	list := func(dim string, byKey bool) []Group {
		out := []Group{}
		for k, a := range groups[dim] {
			out = append(out, Group{Key: k, Label: a.label, Figures: figures(&a.cell)})
		}
		slices.SortFunc(out, func(a, b Group) int {
			if byKey {
				return cmp.Compare(a.Key, b.Key)
			}
			return cmp.Or(cmp.Compare(b.Cases, a.Cases), cmp.Compare(a.Key, b.Key))
		})
		return out
	}
	d.ByPeriod = list("period", true)
	d.ByBranch = list("branch", false)
	d.ByCategory = list("category", false)
	d.ByAgent = list("agent", false)
	d.ByKind = list("kind", false)
	d.ByChannel = list("channel", false)
	d.ByBusiness = list("business", false)
	d.ByReason = list("reason", false)
	d.ByReceived = list("received", false)
	d.ComplaintsByBranch = list("c_branch", false)
	top := list("c_category", false)
	d.TopReasons = top[:min(10, len(top))]
	perCustomer := map[uint64]int64{}
	for _, c := range total.Customers {
		perCustomer[c.Key] += c.N
	}
	d.Repeats = []Repeat{}
	for k, n := range perCustomer {
		if n >= 2 && k != 0 {
			d.RepeatCustomers++
			d.RepeatCases += n
			d.Repeats = append(d.Repeats, Repeat{Customer: fmt.Sprintf("%016x", k), Cases: n})
		}
	}
	slices.SortFunc(d.Repeats, func(a, b Repeat) int {
		return cmp.Or(cmp.Compare(b.Cases, a.Cases), cmp.Compare(a.Customer, b.Customer))
	})
	d.Repeats = d.Repeats[:min(50, len(d.Repeats))]
	slices.SortFunc(d.Low, func(a, b storage.ReportLow) int {
		return cmp.Or(cmp.Compare(b.Day, a.Day), cmp.Compare(b.Number, a.Number))
	})
	d.Low = d.Low[:min(200, len(d.Low))]
	return d, nil
}

type acc struct {
	label string
	cell  storage.ReportCell
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// figures turns a summed cell into the figures.
func figures(c *storage.ReportCell) Figures {
	f := Figures{Cases: c.Cases, Surveys: c.Surveys, Answered: c.Answered, Expired: c.Expired, Undeliverable: c.Undeliverable, ReplyMet: c.ReplyMet, ReplyMissed: c.ReplyMissed,
		DecisionMet: c.DecisionMet, DecisionMissed: c.DecisionMissed, Overdue: c.Overdue, Withdrawn: c.Withdrawn, Replies: c.ReplyN, Resolved: c.ResolveN}
	var sum int64
	for r := 1; r <= 5 && r < len(c.Ratings); r++ {
		f.Ratings[r-1] = c.Ratings[r]
		sum += int64(r) * c.Ratings[r]
		if r >= 4 {
			f.Satisfied += c.Ratings[r]
		}
	}
	rated := f.Ratings[0] + f.Ratings[1] + f.Ratings[2] + f.Ratings[3] + f.Ratings[4]
	f.AvgRating = ratio(sum, rated, 2)
	f.SatShare = ratio(f.Satisfied, rated, 4)
	f.Response = ratio(c.Answered, c.Surveys, 4)
	f.ReplyShare = ratio(c.ReplyMet, c.ReplyMet+c.ReplyMissed, 4)
	f.DecisionShare = ratio(c.DecisionMet, c.DecisionMet+c.DecisionMissed, 4)
	f.ReplyAvg = ratio(c.ReplySum, c.ReplyN, 1)
	f.ResolveAvg = ratio(c.ResolveSum, c.ResolveN, 1)
	f.ReplyP90 = p90(c.ReplyMins)
	f.ResolveP90 = p90(c.ResolveMins)
	return f
}

// ratio is a/b rounded to digits decimals, nil when b is 0.
func ratio(a, b int64, digits int) *float64 {
	if b == 0 {
		return nil
	}
	p := math.Pow10(digits)
	v := math.Round(float64(a)/float64(b)*p) / p
	return &v
}

// p90 is the 90th percentile by nearest rank: the smallest value with at least 90% of the values
// at or below it.
func p90(values []int64) *int64 {
	if len(values) == 0 {
		return nil
	}
	s := slices.Clone(values)
	slices.Sort(s)
	i := int(math.Ceil(0.9*float64(len(s)))) - 1
	v := s[max(i, 0)]
	return &v
}
