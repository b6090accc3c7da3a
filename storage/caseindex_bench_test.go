package storage

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
)

// oldCaseRow is the console's index row before the index moved into storage (storage.CaseRow):
// the benchmark measures what it held.
type oldCaseRow struct {
	Number      string
	Kind        complaintbot.Kind
	Status      complaintbot.Status
	Category    *complaintbot.Category
	Branch      complaintbot.Branch
	Fields      map[string]string
	Received    time.Time
	ReplyDue    time.Time
	DecisionDue time.Time
	Work        struct {
		Assignee  string
		Malicious *complaintbot.Flag
	}
}

// benchCases calls fn with n cases as the full read decodes them: every string its own
// allocation, as JSON decoding makes it.
func benchCases(n int, fn func(c *complaintbot.Case)) {
	t0 := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	story := "柜员态度很差，让我在窗口等了一个小时也没人理，后来又说系统故障要我明天再来，耽误了我一整天的工作"
	cl := strings.Clone
	for i := range n {
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		c := complaintbot.Case{Number: cl(fmt.Sprintf("TS%s-%04d", at.Format("20060102"), i%10000)), Kind: complaintbot.Kind(cl("complaint")),
			Status:   complaintbot.Status(cl([]string{"received", "investigating", "resolved", "closed"}[i%4])),
			Category: &complaintbot.Category{Code: cl("attitude"), Name: cl("服务态度"), Channel: cl("A01"), Business: cl("B02"), Reason: cl("C03")},
			Branch:   complaintbot.Branch{Code: cl(fmt.Sprintf("%04d", i%40)), Name: cl(fmt.Sprintf("第%d支行", i%40))},
			Fields: map[string]string{complaintbot.FieldDescription: cl(fmt.Sprintf("%d %s", i, story)), complaintbot.FieldRequest: cl("希望道歉并改进"),
				complaintbot.FieldPhone: cl(fmt.Sprintf("138%08d", i)), complaintbot.FieldName: cl("张先生")},
			Received: at, ReplyDue: at.Add(72 * time.Hour), DecisionDue: at.Add(15 * 24 * time.Hour)}
		c.Work.Assignee = cl(fmt.Sprintf("agent%02d", i%30))
		fn(&c)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkCaseIndexHeap measures the live heap of the case index at 100,000 cases, as the
// console kept it before (heapMB-before) and as storage keeps it now (heapMB-after), and the time
// of a first page of the list through the index.
//
//	go test ./storage -run X -bench CaseIndexHeap -benchtime 1x
func BenchmarkCaseIndexHeap(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		base := liveHeap()
		oldRows := map[string]*oldCaseRow{}
		benchCases(n, func(c *complaintbot.Case) {
			r := &oldCaseRow{Number: c.Number, Kind: c.Kind, Status: c.Status, Category: c.Category, Branch: c.Branch, Fields: c.Fields,
				Received: c.Received, ReplyDue: c.ReplyDue, DecisionDue: c.DecisionDue}
			r.Work.Assignee = c.Work.Assignee
			oldRows[r.Number] = r
		})
		oldSorted := make([]*oldCaseRow, 0, len(oldRows))
		for _, r := range oldRows {
			oldSorted = append(oldSorted, r)
		}
		slices.SortFunc(oldSorted, func(a, b *oldCaseRow) int {
			if x := b.Received.Compare(a.Received); x != 0 {
				return x
			}
			return cmp.Compare(b.Number, a.Number)
		})
		before := liveHeap() - base
		runtime.KeepAlive(oldRows)
		runtime.KeepAlive(oldSorted)
		oldRows, oldSorted = nil, nil

		base = liveHeap()
		x := &caseIndex{rows: map[string]*indexRow{}, intern: newInterner(), ready: true, loaded: make(chan struct{})}
		close(x.loaded)
		benchCases(n, func(c *complaintbot.Case) {
			r := newIndexRow(c, x.intern)
			x.rows[r.number] = &r
		})
		x.view(b.Context(), func([]*indexRow) {})
		after := liveHeap() - base

		start := time.Now()
		const pages = 20
		for range pages {
			if rows, _ := x.list(b.Context(), CaseFilter{Branches: []string{"0007", "0008"}, Status: []complaintbot.Status{complaintbot.StatusReceived}}, 0, 51); len(rows) != 51 {
				b.Fatalf("%d rows", len(rows))
			}
		}
		pageTime := time.Since(start) / pages
		start = time.Now()
		for range pages {
			x.list(b.Context(), CaseFilter{Query: "没有这样的话"}, 0, 51) // reads every row
		}
		searchTime := time.Since(start) / pages
		runtime.KeepAlive(x)
		b.ReportMetric(float64(before)/(1<<20), "heapMB-before")
		b.ReportMetric(float64(after)/(1<<20), "heapMB-after")
		b.ReportMetric(float64(pageTime.Microseconds())/1000, "ms/list-page")
		b.ReportMetric(float64(searchTime.Microseconds())/1000, "ms/text-search-all")
	}
}
