package reports

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// The regulator figures (金融消费者投诉统计) are the complaints of a month or a quarter counted on
// the three JR/T 0169 axes, by branch and by receiving channel, for the statistics a bank reports
// to its regulator. They count complaints only (not suggestions or praise), by the month they were
// received. They are computed from the report facts, not the rollups (whose cells are not cut by
// status, receiving channel and deadline): each day has a summary, the compact facts of its
// complaints (storage.RegulatorDay, one binary field read by _id on the read-only connection),
// built from the day's facts (a projection without the register's texts) whenever the day's
// rollup is recomputed, so a month is 30 lookups.
//
// A complaint is decided when it has a resolution and is no longer open; it is decided in time when
// the resolution is not after the decision deadline (Resolution.At ≤ DecisionDue, the deadline as
// extended). The handling time runs from receipt to the decision. A withdrawn complaint (撤回) is
// counted, and counted as withdrawn, but never as decided. A complaint whose coding on an axis is
// missing or not a leaf of the taxonomy counts under 未编码 on that axis.

// UncodedKey and UncodedLabel name the row of the complaints not coded on an axis.
const (
	UncodedKey   = "uncoded"
	UncodedLabel = "未编码"
)

// RegulatorFigures are the counts and handling times of a set of complaints.
type RegulatorFigures struct {
	Complaints int64 `json:"complaints"`
	Withdrawn  int64 `json:"withdrawn"`
	// Decided complaints, and those decided within the decision deadline or after it.
	Decided int64 `json:"decided"`
	InTime  int64 `json:"decided_in_time"`
	Late    int64 `json:"decided_late"`
	// Open complaints, still awaiting a decision.
	Open int64 `json:"open"`
	// InTimeShare is InTime / Decided (nil when none is decided).
	InTimeShare *float64 `json:"in_time_share"`
	// Handling time from receipt to decision, in minutes, over the decided complaints (nil when
	// none): the average, and the 90th percentile by nearest rank.
	HandlingAvg *float64 `json:"handling_avg_min"`
	HandlingP90 *int64   `json:"handling_p90_min"`
	// Customers is the number of customers configured for the row's branches (0: not
	// configured), Per10k the complaints per 10,000 of them (nil without a count).
	Customers int64    `json:"customers,omitempty"`
	Per10k    *float64 `json:"per_10k_customers,omitempty"`
}

// RegulatorRow is one line of a breakdown: a JR/T 0169 code (at its level), a branch or a
// receiving channel.
type RegulatorRow struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	// Level is the JR/T 0169 level of the code (1 大类, 2 中类, 3 小类); 0 for other rows.
	Level int `json:"level,omitempty"`
	// Leaf: the code is one a case carries (the deepest level of its branch).
	Leaf bool `json:"leaf,omitempty"`
	RegulatorFigures
}

// RegulatorAxis is the breakdown of the complaints on one JR/T 0169 axis: every large-level code,
// and every code below it that has complaints, in the standard's order, each counting the
// complaints coded on it or below it; the last row is 未编码 when some are not coded.
type RegulatorAxis struct {
	Axis string         `json:"axis"`
	Name string         `json:"name"`
	Rows []RegulatorRow `json:"rows"`
}

// RegulatorReport is the regulator figures of a period.
type RegulatorReport struct {
	// Period is "2026-11" (a month) or "2026-Q4" (a quarter); From and To its first and last day.
	Period string `json:"period"`
	Title  string `json:"title"`
	From   string `json:"from"`
	To     string `json:"to"`
	// Branch is the one branch the report is limited to ("" for all the user's branches).
	Branch string           `json:"branch,omitempty"`
	AsOf   time.Time        `json:"as_of"`
	Total  RegulatorFigures `json:"total"`
	// Axes are A 业务办理渠道, B 业务类别 and C 投诉原因, in that order.
	Axes     []RegulatorAxis `json:"axes"`
	Branches []RegulatorRow  `json:"branches"`
	// Received is the breakdown by receiving channel (受理渠道).
	Received []RegulatorRow `json:"received_channels"`
	// Notes say what the reader must know: branches without a customer count, the check of the codes.
	Notes []string `json:"notes"`
}

// RegulatorQuery says which regulator figures to compute.
type RegulatorQuery struct {
	// Period is a month ("2026-11") or a quarter ("2026-Q4").
	Period string
	// Scope limits the figures to these branch codes; nil means every branch (head office).
	Scope []string
	// Branch, when set, limits them to one branch (within Scope).
	Branch string
	// Branches are the bank's branches (the flow file's list): their names, and a row for each
	// one in scope even without complaints.
	Branches []complaintbot.Branch
	// Customers is the number of customers of each branch by code (config reports.customers).
	Customers map[string]int
	// Taxonomy is the JR/T 0169 classification; nil: the embedded one.
	Taxonomy *taxonomy.Taxonomy
}

// ParsePeriod reads a regulator period, a month "2026-11" or a quarter "2026-Q4", and returns its
// first and last day (Asia/Shanghai) and whether it is a quarter.
func ParsePeriod(p string) (from, to time.Time, quarter bool, err error) {
	p = strings.ToUpper(strings.TrimSpace(p))
	if y, q, ok := strings.Cut(p, "-Q"); ok {
		year, e1 := strconv.Atoi(y)
		n, e2 := strconv.Atoi(q)
		if e1 != nil || e2 != nil || len(y) != 4 || n < 1 || n > 4 {
			return from, to, false, fmt.Errorf("regulator period %q: not a quarter like 2026-Q4", p)
		}
		from = time.Date(year, time.Month(3*n-2), 1, 0, 0, 0, 0, complaintbot.Shanghai)
		return from, from.AddDate(0, 3, -1), true, nil
	}
	from, err = time.ParseInLocation("2006-01", p, complaintbot.Shanghai)
	if err != nil {
		return from, to, false, fmt.Errorf("regulator period %q: not a month like 2026-11 or a quarter like 2026-Q4", p)
	}
	return from, from.AddDate(0, 1, -1), false, nil
}

// PeriodTitle is the period as a title says it ("2026 年 11 月", "2026 年第 4 季度").
func PeriodTitle(p string) string {
	from, _, quarter, err := ParsePeriod(p)
	if err != nil {
		return p
	}
	if quarter {
		return fmt.Sprintf("%d 年第 %d 季度", from.Year(), (int(from.Month())+2)/3)
	}
	return fmt.Sprintf("%d 年 %d 月", from.Year(), int(from.Month()))
}

// ReceivedChannels are the receiving channels (受理渠道) in the order the figures list them.
var ReceivedChannels = []string{complaintbot.ReceivedWeChat, complaintbot.ReceivedPhone, complaintbot.ReceivedCounter,
	complaintbot.ReceivedLetter, complaintbot.ReceivedEmail, complaintbot.ReceivedRegulator}

// CodesNote is the reminder that the JR/T 0169 numeric codes are to be checked (see the data file).
const CodesNote = "JR/T 0169 数字编码系依据标准公开资料按标准顺序编排，首次向监管报送前须对照已发布的标准文本核对。"

// embeddedTaxonomy is the embedded JR/T 0169 file, loaded once.
var embeddedTaxonomy = sync.OnceValues(taxonomy.Load)

// regAcc accumulates the figures of a set of complaints.
type regAcc struct {
	complaints, withdrawn, decided, inTime, open int64
	mins                                         []int64
}

func (a *regAcc) add(f *storage.RegulatorFact) {
	a.complaints++
	st := complaintbot.Status(f.Status)
	switch {
	case st == complaintbot.StatusWithdrawn:
		a.withdrawn++
	case st.Open():
		a.open++
	case f.ResolvedAt != nil:
		a.decided++
		if f.DecisionDue.IsZero() || !f.ResolvedAt.After(f.DecisionDue) {
			a.inTime++
		}
		a.mins = append(a.mins, minutes(f.ResolvedAt.Sub(f.Received)))
	}
}

func (a *regAcc) figures() RegulatorFigures {
	if a == nil {
		a = &regAcc{}
	}
	out := RegulatorFigures{Complaints: a.complaints, Withdrawn: a.withdrawn, Decided: a.decided, InTime: a.inTime,
		Late: a.decided - a.inTime, Open: a.open, InTimeShare: ratio(a.inTime, a.decided, 4)}
	if n := len(a.mins); n > 0 {
		var sum int64
		for _, m := range a.mins {
			sum += m
		}
		avg := math.Round(float64(sum)/float64(n)*10) / 10
		out.HandlingAvg = &avg
		out.HandlingP90 = p90(a.mins)
	}
	return out
}

// per10k sets the customers and the complaints per 10,000 customers.
func (f *RegulatorFigures) per10k(customers int64) {
	if customers <= 0 {
		return
	}
	f.Customers = customers
	v := math.Round(float64(f.Complaints)*10000/float64(customers)*100) / 100
	f.Per10k = &v
}

// Regulator computes the regulator figures of the query's period.
func (s *Service) Regulator(ctx context.Context, q RegulatorQuery) (*RegulatorReport, error) {
	from, to, _, err := ParsePeriod(q.Period)
	if err != nil {
		return nil, err
	}
	tx := q.Taxonomy
	if tx == nil {
		if tx, err = embeddedTaxonomy(); err != nil {
			return nil, fmt.Errorf("regulator figures: %w", err)
		}
	}
	branches := q.Scope
	if q.Branch != "" {
		if q.Scope != nil && !slices.Contains(q.Scope, q.Branch) {
			branches = []string{}
		} else {
			branches = []string{q.Branch}
		}
	}
	known, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return nil, err
	}
	var total regAcc
	nodes := map[string]*regAcc{}          // JR/T code (any level) → its complaints
	uncoded := map[taxonomy.Axis]*regAcc{} // axis → the complaints not coded on it
	byBranch := map[string]*regAcc{}       // branch code → its complaints
	names := map[string]string{}           // branch code → name, as the facts hold it
	byReceived := map[string]*regAcc{}     // receiving channel → its complaints
	get := func(m map[string]*regAcc, k string) *regAcc {
		a := m[k]
		if a == nil {
			a = &regAcc{}
			m[k] = a
		}
		return a
	}
	inScope := func(code string) bool {
		return branches == nil || slices.Contains(branches, code)
	}
	for _, day := range periodIDs(from, to, "") {
		if !known[day] {
			continue
		}
		facts, err := s.regulatorDay(ctx, day)
		if err != nil {
			return nil, err
		}
		for i := range facts {
			f := &facts[i]
			if !inScope(f.Branch) {
				continue
			}
			total.add(f)
			for _, a := range taxonomy.Axes() {
				code := f.Coding.Code(a)
				if !tx.Valid(a, code) {
					x := uncoded[a]
					if x == nil {
						x = &regAcc{}
						uncoded[a] = x
					}
					x.add(f)
					continue
				}
				for _, n := range tx.Path(code) {
					get(nodes, n.Code).add(f)
				}
			}
			get(byBranch, f.Branch).add(f)
			if f.BranchName != "" {
				names[f.Branch] = f.BranchName
			}
			via := f.ReceivedVia
			if via == "" {
				via = complaintbot.ReceivedWeChat // facts from before it was recorded: every case came through the bot
			}
			get(byReceived, via).add(f)
		}
	}

	r := &RegulatorReport{Period: q.Period, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Branch: q.Branch,
		AsOf: s.clock.Now(), Total: total.figures(), Axes: []RegulatorAxis{}, Branches: []RegulatorRow{}, Received: []RegulatorRow{}}
	r.Title = "金融消费者投诉统计表（" + PeriodTitle(q.Period) + "）"
	for _, a := range taxonomy.Axes() {
		ax := RegulatorAxis{Axis: string(a), Name: tx.AxisName(a), Rows: []RegulatorRow{}}
		var walk func(ns []taxonomy.Node)
		walk = func(ns []taxonomy.Node) {
			for _, n := range ns {
				x := nodes[n.Code]
				if x == nil && n.Level != taxonomy.Large {
					continue
				}
				ax.Rows = append(ax.Rows, RegulatorRow{Key: n.Code, Label: n.Name, Level: int(n.Level), Leaf: n.Leaf, RegulatorFigures: x.figures()})
				if x != nil {
					walk(n.Children)
				}
			}
		}
		walk(tx.Axis(a))
		if x := uncoded[a]; x != nil {
			ax.Rows = append(ax.Rows, RegulatorRow{Key: UncodedKey, Label: UncodedLabel, RegulatorFigures: x.figures()})
		}
		r.Axes = append(r.Axes, ax)
	}

	// Branches: every branch in scope, and any other that has complaints (不涉及网点, a branch
	// since removed from the list), by code with 不涉及网点 last.
	var codes []string
	for _, b := range q.Branches {
		if inScope(b.Code) && !slices.Contains(codes, b.Code) {
			codes = append(codes, b.Code)
			if names[b.Code] == "" {
				names[b.Code] = b.Name
			}
		}
	}
	for code := range byBranch {
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	slices.SortFunc(codes, func(a, b string) int {
		return cmp.Or(cmp.Compare(boolInt(a == complaintbot.NoBranchCode), boolInt(b == complaintbot.NoBranchCode)), cmp.Compare(a, b))
	})
	var customers int64
	var missing []string
	for _, code := range codes {
		row := RegulatorRow{Key: code, Label: cmp.Or(names[code], code), RegulatorFigures: byBranch[code].figures()}
		if code == complaintbot.NoBranchCode {
			row.Label = cmp.Or(names[code], "不涉及网点")
		} else if n := q.Customers[code]; n > 0 {
			row.per10k(int64(n))
			customers += int64(n)
		} else {
			missing = append(missing, row.Label)
		}
		r.Branches = append(r.Branches, row)
	}
	// The rate of the whole is only given when every branch in it has its count: a branch without
	// one would count its complaints over nobody.
	if len(missing) == 0 {
		r.Total.per10k(customers)
	} else {
		r.Notes = append(r.Notes, "以下网点未配置客户数（config.yaml reports.customers），不计算每万名客户投诉数，合计亦不计算："+strings.Join(missing, "、")+"。")
	}
	for _, ch := range ReceivedChannels {
		r.Received = append(r.Received, RegulatorRow{Key: ch, Label: complaintbot.ReceivedLabel(ch), RegulatorFigures: byReceived[ch].figures()})
	}
	var other []string
	for ch := range byReceived {
		if !slices.Contains(ReceivedChannels, ch) {
			other = append(other, ch)
		}
	}
	slices.Sort(other)
	for _, ch := range other {
		r.Received = append(r.Received, RegulatorRow{Key: ch, Label: complaintbot.ReceivedLabel(ch), RegulatorFigures: byReceived[ch].figures()})
	}
	r.Notes = append(r.Notes, CodesNote)
	return r, nil
}

// regulatorDay returns the complaints of day as the figures read them: the day's stored summary,
// or, when there is none (a day whose rollup was last recomputed before summaries existed), the
// day's facts, from which the summary is then stored.
func (s *Service) regulatorDay(ctx context.Context, day string) ([]storage.RegulatorFact, error) {
	if d, err := s.store.RegulatorDayOf(ctx, day); err != nil {
		return nil, err
	} else if d != nil {
		return d.Facts, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, err := s.store.RegulatorDayOf(ctx, day); err != nil {
		return nil, err
	} else if d != nil {
		return d.Facts, nil // stored meanwhile
	}
	return s.buildRegulatorDay(ctx, day)
}

// buildRegulatorDay stores the summary of day afresh from its facts and returns its complaints.
// The caller holds mu, like every writer of the facts, so that a summary never holds facts older
// than the day's last change: rebuildDirty builds it again whenever it recomputes the day's rollup.
func (s *Service) buildRegulatorDay(ctx context.Context, day string) ([]storage.RegulatorFact, error) {
	if err := s.store.DropRegulatorDay(ctx, day); err != nil {
		return nil, err
	}
	d := &storage.RegulatorDay{Day: day, Built: s.clock.Now(), Facts: []storage.RegulatorFact{}}
	err := s.store.EachRegulatorFact(ctx, day, nil, func(f *storage.RegulatorFact) error {
		d.Facts = append(d.Facts, *f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.PutRegulatorDay(ctx, d); err != nil {
		return nil, err
	}
	return d.Facts, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
