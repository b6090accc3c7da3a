package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
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
	"go.mongodb.org/mongo-driver/v2/bson"
)

var regBranches = []complaintbot.Branch{{Code: "0001", Name: "营业部"}, {Code: "0101", Name: "城东支行"}, {Code: "0201", Name: "城西支行"}}

// regCases makes n cases received from September to December 2026 across the branches (and 不涉
// 及网点), kinds, codes (some not coded, some coded with a code that is no leaf), statuses and
// receiving channels, deterministically.
func regCases(t testing.TB, tx *taxonomy.Taxonomy, n int) []complaintbot.Case {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 14))
	leaves := map[taxonomy.Axis][]taxonomy.Node{}
	for _, a := range taxonomy.Axes() {
		// A few leaves per axis, of every level the axis has, so that codes share their levels.
		all := tx.Leaves(a)
		var pick []taxonomy.Node
		for _, lv := range []taxonomy.Level{taxonomy.Large, taxonomy.Middle, taxonomy.Small} {
			if i := slices.IndexFunc(all, func(n taxonomy.Node) bool { return n.Level == lv }); i >= 0 {
				pick = append(pick, all[i])
			}
		}
		for len(pick) < 4 {
			pick = append(pick, all[len(all)-len(pick)])
		}
		leaves[a] = pick[:4]
	}
	branches := append(slices.Clone(regBranches), complaintbot.Branch{})
	kinds := []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindComplaint, complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise}
	channels := append(slices.Clone(reports.ReceivedChannels), "")
	var out []complaintbot.Case
	for i := range n {
		c := complaintbot.Case{}
		c.Kind = kinds[rng.IntN(len(kinds))]
		// Five days a month: each day has its own fact collection, and rebuilding fewer is faster.
		day := []int{1, 9, 17, 25, 30}[rng.IntN(5)]
		received := time.Date(2026, time.Month(9+rng.IntN(4)), day, 8+rng.IntN(10), rng.IntN(60), 0, 0, complaintbot.Shanghai)
		c.Number = fmt.Sprintf("%s%s-%04d", c.Kind.Prefix(), received.Format("20060102"), i+1)
		c.Received, c.Updated, c.SourceTurn = received, received, "turn-"+c.Number
		c.ReplyDue, c.DecisionDue = received.Add(72*time.Hour), received.Add(15*24*time.Hour)
		if rng.IntN(6) == 0 { // extended
			c.DecisionDue = received.Add(30 * 24 * time.Hour)
		}
		c.Branch = branches[rng.IntN(len(branches))]
		c.OpenID = fmt.Sprintf("o%03d", rng.IntN(40))
		c.Channel = channels[rng.IntN(len(channels))]
		switch rng.IntN(8) {
		case 0: // not coded
		case 1: // partly coded, and with a large-level code on B
			c.Coding = taxonomy.Coding{Channel: leaves[taxonomy.Channel][rng.IntN(4)].Code, Business: "B03"}
		default:
			for _, a := range taxonomy.Axes() {
				c.Coding = c.Coding.With(a, leaves[a][rng.IntN(4)].Code)
			}
		}
		c.Status = complaintbot.StatusInvestigating
		switch rng.IntN(6) {
		case 0: // open
		case 1:
			c.Status = complaintbot.StatusWithdrawn
		default:
			c.Status = []complaintbot.Status{complaintbot.StatusResolved, complaintbot.StatusClosed}[rng.IntN(2)]
			at := received.Add(time.Duration(30+rng.IntN(40*24*60)) * time.Minute)
			if rng.IntN(8) == 0 { // exactly on the deadline: in time
				at = c.DecisionDue
			}
			c.Work.Resolution = &complaintbot.Resolution{Text: "已处理", Reply: "已答复", By: "alice", At: at}
		}
		if rng.IntN(10) == 0 { // reopened after a decision: open again, the old resolution kept
			c.Status = complaintbot.StatusReopened
			c.Work.Resolution = &complaintbot.Resolution{Text: "已处理", By: "alice", At: received.Add(24 * time.Hour)}
		}
		out = append(out, c)
	}
	return out
}

// seedRegCases stores regCases' 160 cases and rebuilds the reports from them as of the last
// evening of 2026.
func seedRegCases(t *testing.T) (*storage.Store, *reports.Service, []complaintbot.Case, *taxonomy.Taxonomy) {
	t.Helper()
	tx, err := taxonomy.Load()
	if err != nil {
		t.Fatal(err)
	}
	st := storagetest.Open(t)
	ctx := context.Background()
	all := regCases(t, tx, 160)
	for i := range all {
		if _, err := st.Collection("cases").InsertOne(ctx, all[i]); err != nil {
			t.Fatal(err)
		}
	}
	svc := reports.New(st, complaintbot.NewManualClock(time.Date(2026, 12, 31, 20, 0, 0, 0, complaintbot.Shanghai)), slog.New(slog.DiscardHandler))
	if err := svc.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return st, svc, all, tx
}

// handFigures counts the complaints that pass keep, the way a clerk would with the rules of the
// report: every complaint counts; withdrawn ones as withdrawn; decided ones (not open, with a
// resolution) in time when the resolution is not after the decision deadline.
func handFigures(cases []complaintbot.Case, keep func(*complaintbot.Case) bool) reports.RegulatorFigures {
	var f reports.RegulatorFigures
	var mins []int64
	for i := range cases {
		c := &cases[i]
		if !keep(c) {
			continue
		}
		f.Complaints++
		switch c.Status {
		case complaintbot.StatusWithdrawn:
			f.Withdrawn++
		case complaintbot.StatusResolved, complaintbot.StatusClosed:
			f.Decided++
			if c.Work.Resolution.At.After(c.DecisionDue) {
				f.Late++
			} else {
				f.InTime++
			}
			mins = append(mins, int64(c.Work.Resolution.At.Sub(c.Received)/time.Minute))
		default:
			f.Open++
		}
	}
	if f.Decided > 0 {
		v := math.Round(float64(f.InTime)/float64(f.Decided)*10000) / 10000
		f.InTimeShare = &v
		var sum int64
		for _, m := range mins {
			sum += m
		}
		avg := math.Round(float64(sum)/float64(len(mins))*10) / 10
		f.HandlingAvg = &avg
		slices.Sort(mins)
		// Nearest rank: the smallest value with at least 90% of the values at or below it.
		var p int64
		for k, m := range mins {
			if float64(k+1) >= 0.9*float64(len(mins)) {
				p = m
				break
			}
		}
		f.HandlingP90 = &p
	}
	return f
}

func TestRegulatorFiguresMatchAHandCount(t *testing.T) {
	t.Parallel()
	_, svc, all, tx := seedRegCases(t)
	ctx := context.Background()
	customers := map[string]int{"0001": 52000, "0101": 31000, "0201": 27000}
	inPeriod := func(from, to time.Time) func(*complaintbot.Case) bool {
		return func(c *complaintbot.Case) bool {
			return c.Kind == complaintbot.KindComplaint && !c.Received.Before(from) && c.Received.Before(to)
		}
	}
	and := func(a, b func(*complaintbot.Case) bool) func(*complaintbot.Case) bool {
		return func(c *complaintbot.Case) bool { return a(c) && b(c) }
	}
	for _, tc := range []struct {
		period   string
		from, to time.Time
		scope    []string
	}{
		{"2026-Q4", time.Date(2026, 10, 1, 0, 0, 0, 0, complaintbot.Shanghai), time.Date(2027, 1, 1, 0, 0, 0, 0, complaintbot.Shanghai), nil},
		{"2026-11", time.Date(2026, 11, 1, 0, 0, 0, 0, complaintbot.Shanghai), time.Date(2026, 12, 1, 0, 0, 0, 0, complaintbot.Shanghai), nil},
		{"2026-Q3", time.Date(2026, 7, 1, 0, 0, 0, 0, complaintbot.Shanghai), time.Date(2026, 10, 1, 0, 0, 0, 0, complaintbot.Shanghai), []string{"0101", "0201"}},
	} {
		t.Run(tc.period, func(t *testing.T) {
			r, err := svc.Regulator(ctx, reports.RegulatorQuery{Period: tc.period, Scope: tc.scope, Branches: regBranches, Customers: customers, Taxonomy: tx})
			if err != nil {
				t.Fatal(err)
			}
			keep := inPeriod(tc.from, tc.to)
			if tc.scope != nil {
				keep = and(keep, func(c *complaintbot.Case) bool { return slices.Contains(tc.scope, c.Branch.Code) })
			}
			want := handFigures(all, keep)
			if want.Complaints < 5 || tc.period == "2026-Q4" && (want.Withdrawn == 0 || want.Late == 0 || want.InTime == 0 || want.Open == 0) {
				t.Fatalf("the seeded set is too thin for %s: %+v", tc.period, want)
			}
			// The total's rate: every branch in scope has its count; 不涉及网点 has none but is in
			// head office's total.
			var people int64
			for _, b := range regBranches {
				if tc.scope == nil || slices.Contains(tc.scope, b.Code) {
					people += int64(customers[b.Code])
				}
			}
			rate := math.Round(float64(want.Complaints)*10000/float64(people)*100) / 100
			want.Customers, want.Per10k = people, &rate
			same(t, "total", r.Total, want)

			// Each axis: a row per code with complaints (and every large-level code), counting the
			// complaints coded on it or below it — a code's children extend its digits.
			for ai, a := range taxonomy.Axes() {
				ax := r.Axes[ai]
				if ax.Axis != string(a) {
					t.Fatalf("axis %d is %s, want %s", ai, ax.Axis, a)
				}
				var sum int64
				for _, row := range ax.Rows {
					var w reports.RegulatorFigures
					if row.Key == reports.UncodedKey {
						w = handFigures(all, and(keep, func(c *complaintbot.Case) bool { return !tx.Valid(a, c.Coding.Code(a)) }))
					} else {
						code := row.Key
						w = handFigures(all, and(keep, func(c *complaintbot.Case) bool {
							return tx.Valid(a, c.Coding.Code(a)) && strings.HasPrefix(c.Coding.Code(a), code)
						}))
					}
					same(t, fmt.Sprintf("axis %s row %s", a, row.Key), row.RegulatorFigures, w)
					if row.Leaf || row.Key == reports.UncodedKey {
						sum += row.Complaints
					}
				}
				if sum != want.Complaints {
					t.Errorf("axis %s: leaves and 未编码 add up to %d, want %d", a, sum, want.Complaints)
				}
				uncoded := handFigures(all, and(keep, func(c *complaintbot.Case) bool { return !tx.Valid(a, c.Coding.Code(a)) })).Complaints
				if hasRow := ax.Rows[len(ax.Rows)-1].Key == reports.UncodedKey; hasRow != (uncoded > 0) {
					t.Errorf("axis %s: a 未编码 row last is %v, with %d complaints not coded", a, hasRow, uncoded)
				}
			}
			// Middle and small levels of B are there for the codes used.
			levels := map[int]bool{}
			for _, row := range r.Axes[1].Rows {
				levels[row.Level] = true
			}
			if tc.period == "2026-Q4" && (!levels[1] || !levels[2] || !levels[3]) {
				t.Errorf("business rows have levels %v, want 1, 2 and 3", levels)
			}

			// Branches: each in scope (with its rate), and 不涉及网点 for head office.
			var keys []string
			for _, row := range r.Branches {
				keys = append(keys, row.Key)
				w := handFigures(all, and(keep, func(c *complaintbot.Case) bool {
					return c.Branch.Code == row.Key || (row.Key == complaintbot.NoBranchCode && c.Branch.Code == "")
				}))
				if n := customers[row.Key]; n > 0 {
					v := math.Round(float64(w.Complaints)*10000/float64(n)*100) / 100
					w.Customers, w.Per10k = int64(n), &v
				}
				same(t, "branch "+row.Key, row.RegulatorFigures, w)
			}
			wantKeys := []string{"0001", "0101", "0201", complaintbot.NoBranchCode}
			if tc.scope != nil {
				wantKeys = tc.scope
			}
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("branch rows %v, want %v", keys, wantKeys)
			}

			// Receiving channels, the cases from before it was recorded counting as WeChat.
			for _, row := range r.Received {
				w := handFigures(all, and(keep, func(c *complaintbot.Case) bool {
					return c.Channel == row.Key || (row.Key == complaintbot.ReceivedWeChat && c.Channel == "")
				}))
				same(t, "received via "+row.Key, row.RegulatorFigures, w)
			}
		})
	}
}

func TestRegulatorRateNeedsEveryBranchCount(t *testing.T) {
	t.Parallel()
	_, svc, _ := setup(t)
	r, err := svc.Regulator(context.Background(), reports.RegulatorQuery{Period: "2026-11", Branches: []complaintbot.Branch{east, west},
		Customers: map[string]int{"0101": 20000}})
	if err != nil {
		t.Fatal(err)
	}
	// November's complaints in the shared seed: 5 in 城东 (0101), 1 in 城西 (0201).
	if r.Total.Complaints != 6 || r.Total.Per10k != nil {
		t.Errorf("total %+v: want 6 complaints and no rate (城西 has no customer count)", r.Total)
	}
	if len(r.Branches) != 2 || r.Branches[0].Per10k == nil || *r.Branches[0].Per10k != 2.5 || r.Branches[1].Per10k != nil {
		t.Errorf("branches %+v: want 城东 at 2.5 per 10,000 and 城西 without a rate", r.Branches)
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "城西支行") {
		t.Errorf("notes %q do not name the branch without a count", r.Notes)
	}
	for _, bad := range []string{"2026-13", "2026-Q5", "2026Q1", "11/2026", ""} {
		if _, err := svc.Regulator(context.Background(), reports.RegulatorQuery{Period: bad}); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
}

func TestRegulatorXLSXHoldsTheFigures(t *testing.T) {
	t.Parallel()
	_, svc, _ := setup(t)
	r, err := svc.Regulator(context.Background(), reports.RegulatorQuery{Period: "2026-Q4", Branches: []complaintbot.Branch{east, west},
		Customers: map[string]int{"0101": 20000, "0201": 10000}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{"汇总及网点", "A 业务办理渠道", "B 业务类别", "C 投诉原因", "受理渠道"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := x.GetRows("汇总及网点")
	if err != nil {
		t.Fatal(err)
	}
	// Title, period, notes, a blank line, the header, the total, then 城东 and 城西.
	if len(rows) != 8 || rows[0][0] != "金融消费者投诉统计表（2026 年第 4 季度）" || rows[4][0] != "网点代码" {
		t.Fatalf("summary sheet: %q", rows)
	}
	// Q4 in the shared seed: 7 complaints (one in October), all coded nowhere: 未编码 on every axis.
	if rows[5][1] != "合计" || rows[5][2] != "7" || rows[6][1] != "城东支行" || rows[6][2] != "6" || rows[6][11] != "20000" || rows[6][12] != "3" {
		t.Errorf("summary rows: %q", rows[5:])
	}
	c, err := x.GetRows("C 投诉原因")
	if err != nil {
		t.Fatal(err)
	}
	last := c[len(c)-1]
	if last[1] != reports.UncodedLabel || last[2] != "7" {
		t.Errorf("reason sheet ends with %q, want 未编码 with 7", last)
	}
}

// The figures follow a change to a case made after they were first computed: the day's stored
// summary is dropped when the day's facts change.
func TestRegulatorFiguresFollowAChange(t *testing.T) {
	t.Parallel()
	st, svc, _ := setup(t)
	ctx := context.Background()
	q := reports.RegulatorQuery{Period: "2026-11", Branches: []complaintbot.Branch{east, west}}
	before, err := svc.Regulator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// November in the shared seed: 6 complaints, 4 decided (3 in time), TS20261110-0001 open.
	if before.Total.Complaints != 6 || before.Total.Decided != 4 || before.Total.InTime != 3 || before.Total.Open != 2 || before.Total.Withdrawn != 0 {
		t.Fatalf("before: %+v", before.Total)
	}
	// 城西's open complaint is withdrawn, 城东's is decided on its 5th day.
	if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261120-0001"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusWithdrawn}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: "TS20261110-0001"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved},
			{Key: "work.resolution", Value: complaintbot.Resolution{Text: "已处理", By: "bob", At: nov(15)}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshCases(ctx, "TS20261120-0001", "TS20261110-0001"); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Regulator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total.Complaints != 6 || after.Total.Decided != 5 || after.Total.InTime != 4 || after.Total.Open != 0 || after.Total.Withdrawn != 1 {
		t.Errorf("after the changes: %+v", after.Total)
	}
	if w := after.Branches[1]; w.Key != "0201" || w.Withdrawn != 1 || w.Decided != 0 || w.Complaints != 1 {
		t.Errorf("城西 after the withdrawal: %+v", w)
	}
}
