package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// The embedded server cannot sort or filter without reading every document (seconds at 10,000
// cases, on the connection the webhook's customers wait on), so on it the case lists, searches
// and counts (ListCases, CountCasesBy) are answered from an in-memory index of every case's list
// fields instead. The store keeps it current from its own writes: every change to a case made
// through the store announces itself (notifyCaseChange), and the index reads that case again by
// _id. It is read in full from SQLite at open (caseRowsFromSQLite: a few seconds at 100,000
// cases) and again every caseRescanEvery, to catch what was written behind the store's back, on
// the index's own goroutine, which Close stops. On MongoDB there is no index: the indexed queries
// answer directly.

// caseRescanEvery is how often the case index is read again in full.
const caseRescanEvery = 6 * time.Hour

// caseIndexWait bounds how long a list waits for the index's first read after a start before it
// asks the database instead: the query reads and sorts every case as well, which on a year of
// cases doubles the work the start already does and takes the CPU the webhook's customers need.
const caseIndexWait = 2 * time.Minute

// indexRow is what the index keeps of a case: the fields a list shows and a filter reads, small.
// Repeated values (kind, status, assignee, category, branch) are shared between rows; times are
// milliseconds since 1970, the precision the database keeps and compares.
type indexRow struct {
	number                          string
	kind                            complaintbot.Kind
	status                          complaintbot.Status
	assignee                        string
	category                        *complaintbot.Category
	branch                          *complaintbot.Branch
	malicious                       *complaintbot.Flag
	level                           string
	risk                            *complaintbot.Risk
	extensionRequest                *complaintbot.ExtensionRequest
	coding                          *taxonomy.Coding // shared; nil when uncoded
	received, replyDue, decisionDue int64
	// repliedAt is when a person first replied (0: not yet), for the task list's reply deadline.
	repliedAt int64
	// text holds the texts a search reads, one after the other: description, request, name and
	// phone (one allocation instead of four); ends are where the first three end.
	text string
	ends [3]uint32
}

// overdue is complaintbot.IsOverdue of the row's case at now (Unix milliseconds, as the row's
// times are: a time within a millisecond after a deadline is not past it, as in the database's
// query).
func (r *indexRow) overdue(now int64) bool {
	if !r.status.Open() {
		return false
	}
	passed := func(due int64) bool { return due > zeroTimeMs && due < now }
	return passed(r.decisionDue) || (r.repliedAt == 0 && passed(r.replyDue))
}

// zeroTimeMs is the zero time.Time in Unix milliseconds: a deadline not set.
var zeroTimeMs = time.Time{}.UnixMilli()

func (r *indexRow) description() string { return r.text[:r.ends[0]] }
func (r *indexRow) request() string     { return r.text[r.ends[0]:r.ends[1]] }
func (r *indexRow) name() string        { return r.text[r.ends[1]:r.ends[2]] }
func (r *indexRow) phone() string       { return r.text[r.ends[2]:] }

// interner shares the repeated values of the index's rows.
type interner struct {
	strs       map[string]string
	categories map[complaintbot.Category]*complaintbot.Category
	branches   map[string]*complaintbot.Branch
	codings    map[taxonomy.Coding]*taxonomy.Coding
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, categories: map[complaintbot.Category]*complaintbot.Category{}, branches: map[string]*complaintbot.Branch{},
		codings: map[taxonomy.Coding]*taxonomy.Coding{}}
}

// coding shares a case's JR/T 0169 codes (few combinations among many cases); nil when uncoded.
func (in *interner) coding(c taxonomy.Coding) *taxonomy.Coding {
	if c.IsZero() {
		return nil
	}
	if in == nil {
		return &c
	}
	if x, ok := in.codings[c]; ok {
		return x
	}
	in.codings[c] = &c
	return &c
}

func (in *interner) str(s string) string {
	if in == nil || s == "" {
		return s
	}
	if x, ok := in.strs[s]; ok {
		return x
	}
	in.strs[s] = s
	return s
}

func (in *interner) category(c *complaintbot.Category) *complaintbot.Category {
	if c == nil {
		return nil
	}
	if in == nil {
		x := *c
		return &x
	}
	if x, ok := in.categories[*c]; ok {
		return x
	}
	x := *c
	in.categories[x] = &x
	return &x
}

func (in *interner) branch(b complaintbot.Branch) *complaintbot.Branch {
	if in == nil {
		return &b
	}
	key := b.Code + "\x00" + b.Name + "\x00" + strings.Join(b.Aliases, "\x00")
	if x, ok := in.branches[key]; ok {
		return x
	}
	in.branches[key] = &b
	return &b
}

// newIndexRow makes the index's row of a case read with its list fields (in may be nil).
func newIndexRow(c *complaintbot.Case, in *interner) indexRow {
	r := indexRow{number: c.Number, kind: complaintbot.Kind(in.str(string(c.Kind))), status: complaintbot.Status(in.str(string(c.Status))),
		assignee: in.str(c.Work.Assignee), category: in.category(c.Category), branch: in.branch(c.Branch), malicious: c.Work.Malicious,
		level: in.str(c.Level), risk: c.Risk, extensionRequest: c.Work.ExtensionRequest, coding: in.coding(c.Coding),
		received: c.Received.UnixMilli(), replyDue: c.ReplyDue.UnixMilli(), decisionDue: c.DecisionDue.UnixMilli()}
	if c.RepliedAt != nil {
		r.repliedAt = c.RepliedAt.UnixMilli()
	}
	d, q, n, p := c.Fields[complaintbot.FieldDescription], c.Fields[complaintbot.FieldRequest], c.Fields[complaintbot.FieldName], c.Fields[complaintbot.FieldPhone]
	r.text = d + q + n + p
	r.ends = [3]uint32{uint32(len(d)), uint32(len(d) + len(q)), uint32(len(d) + len(q) + len(n))}
	return r
}

// listCase is the row as a case read with its list fields (see ListCases); Fields holds the
// texts the index keeps.
func (r *indexRow) listCase() complaintbot.Case {
	c := complaintbot.Case{Number: r.number, Kind: r.kind, Status: r.status, Branch: *r.branch,
		Received: msTime(r.received), ReplyDue: msTime(r.replyDue), DecisionDue: msTime(r.decisionDue)}
	if r.category != nil {
		cat := *r.category
		c.Category = &cat
	}
	c.Work.Assignee = r.assignee
	if r.malicious != nil {
		f := *r.malicious
		c.Work.Malicious = &f
	}
	c.Level = r.level
	if r.repliedAt != 0 {
		t := msTime(r.repliedAt)
		c.RepliedAt = &t
	}
	if r.risk != nil {
		x := *r.risk
		c.Risk = &x
	}
	if r.extensionRequest != nil {
		x := *r.extensionRequest
		c.Work.ExtensionRequest = &x
	}
	if r.coding != nil {
		c.Coding = *r.coding
	}
	for k, v := range map[string]string{complaintbot.FieldDescription: r.description(), complaintbot.FieldRequest: r.request(),
		complaintbot.FieldName: r.name(), complaintbot.FieldPhone: r.phone()} {
		if v != "" {
			if c.Fields == nil {
				c.Fields = map[string]string{}
			}
			c.Fields[k] = v
		}
	}
	return c
}

// msTime is the time the driver decodes from a date of ms milliseconds since 1970.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// newerFirst orders rows as the lists are: newest receipt first, then by number, descending.
func newerFirst(a, b *indexRow) int {
	if x := cmp.Compare(b.received, a.received); x != 0 {
		return x
	}
	return strings.Compare(b.number, a.number)
}

// caseMatcher is a CaseFilter ready to test rows: exactly what the filter's query selects.
type caseMatcher struct {
	f                 CaseFilter
	now, from, to     int64
	query, upper      string
	byNumber, byPhone bool
	digits            string
}

func (f CaseFilter) matcher() caseMatcher {
	m := caseMatcher{f: f, now: f.Now.UnixMilli(), from: f.From.UnixMilli(), to: f.To.UnixMilli()}
	if q := strings.TrimSpace(f.Query); q != "" {
		m.query, m.upper = q, strings.ToUpper(q)
		m.byNumber = complaintbot.IsCaseNumber(m.upper)
		m.digits = onlyDigits(q)
		m.byPhone = len(m.digits) >= 4 && len(m.digits) == len(strings.ReplaceAll(q, " ", ""))
	}
	return m
}

func (m *caseMatcher) match(r *indexRow) bool {
	f := &m.f
	if f.Branches != nil && !slices.Contains(f.Branches, r.branch.Code) {
		return false
	}
	if f.Branch != "" && r.branch.Code != f.Branch {
		return false
	}
	if len(f.Status) > 0 && !slices.Contains(f.Status, r.status) {
		return false
	}
	if f.Kind != "" && r.kind != f.Kind {
		return false
	}
	if f.Category != "" && (r.category == nil || r.category.Code != f.Category) {
		return false
	}
	switch f.Assignee {
	case "":
	case "-":
		if r.assignee != "" {
			return false
		}
	default:
		if r.assignee != f.Assignee {
			return false
		}
	}
	if f.Overdue && !r.overdue(m.now) {
		return false
	}
	if f.Risk && r.risk == nil {
		return false
	}
	if !f.From.IsZero() && r.received < m.from {
		return false
	}
	if !f.To.IsZero() && r.received >= m.to {
		return false
	}
	if m.query != "" {
		if m.byNumber {
			return r.number == m.upper
		}
		if strings.HasPrefix(r.number, m.upper) || strings.Contains(r.description(), m.query) || strings.Contains(r.request(), m.query) ||
			strings.Contains(r.name(), m.query) {
			return true
		}
		return m.byPhone && strings.Contains(r.phone(), m.digits)
	}
	return true
}

// caseIndex is the embedded server's in-memory index of the cases (see above). A nil index (on
// MongoDB) answers nothing: its callers ask the database.
type caseIndex struct {
	s    *Store
	life context.Context
	stop context.CancelFunc
	done chan struct{}
	// loaded is closed once the first full read is done (or failed).
	loaded chan struct{}

	mu     sync.Mutex
	ready  bool
	rows   map[string]*indexRow
	sorted []*indexRow // newest first; nil when it must be rebuilt
	intern *interner

	// changed holds the cases announced as changed since they were last read; poke wakes the
	// index's goroutine to read them. While a full read runs, rescanned collects them too, to be
	// read again after it (the full read may have seen them before the change).
	changedMu sync.Mutex
	changed   map[string]bool
	rescanned map[string]bool
	poke      chan struct{}
}

// startCaseIndex starts the index's goroutine, which reads the cases in full and keeps them
// current until stopCaseIndex.
func (s *Store) startCaseIndex() {
	x := &caseIndex{s: s, done: make(chan struct{}), loaded: make(chan struct{}), poke: make(chan struct{}, 1)}
	x.life, x.stop = context.WithCancel(context.Background())
	s.caseIndex = x
	go x.run()
}

// stopCaseIndex stops the index's goroutine and waits for it.
func (s *Store) stopCaseIndex() {
	if x := s.caseIndex; x != nil {
		x.stop()
		<-x.done
	}
}

func (x *caseIndex) run() {
	defer close(x.done)
	_ = x.rescan(x.life) // logged; the lists ask the database until a full read succeeds
	close(x.loaded)
	t := time.NewTicker(caseRescanEvery)
	defer t.Stop()
	for {
		select {
		case <-x.life.Done():
			return
		case <-t.C:
			_ = x.rescan(x.life) // logged; the index keeps its rows meanwhile
		case <-x.poke:
			x.mu.Lock()
			x.readChanged(x.life)
			x.mu.Unlock()
		}
	}
}

// rescan reads every case again from SQLite.
func (x *caseIndex) rescan(ctx context.Context) error {
	x.changedMu.Lock()
	x.rescanned = map[string]bool{}
	x.changedMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	in := newInterner()
	rows := map[string]*indexRow{}
	err := x.s.caseRowsFromSQLite(ctx, func(c *complaintbot.Case) {
		r := newIndexRow(c, in)
		rows[r.number] = &r
	})
	x.changedMu.Lock()
	again := x.rescanned
	x.rescanned = nil
	if err == nil {
		if x.changed == nil {
			x.changed = map[string]bool{}
		}
		for n := range again {
			x.changed[n] = true
		}
	}
	x.changedMu.Unlock()
	if err != nil {
		if x.life.Err() == nil {
			x.s.log.Error("read the case index", "err", err)
		}
		return fmt.Errorf("read the case index: %w", err)
	}
	x.mu.Lock()
	x.rows, x.sorted, x.intern, x.ready = rows, nil, in, true
	x.mu.Unlock()
	return nil
}

// caseChanged records that the case changed, to be read again before the next answer.
func (x *caseIndex) caseChanged(number string) {
	if x == nil {
		return
	}
	x.changedMu.Lock()
	if x.changed == nil {
		x.changed = map[string]bool{}
	}
	x.changed[number] = true
	if x.rescanned != nil {
		x.rescanned[number] = true
	}
	x.changedMu.Unlock()
	select {
	case x.poke <- struct{}{}:
	default:
	}
}

// readChanged reads again the cases announced as changed; the caller holds mu.
func (x *caseIndex) readChanged(ctx context.Context) {
	x.changedMu.Lock()
	numbers := x.changed
	x.changed = nil
	x.changedMu.Unlock()
	for n := range numbers {
		c, err := x.s.caseListRow(ctx, n)
		switch {
		case err == nil:
			x.put(c)
		case errors.Is(err, ErrNotFound):
			x.remove(n)
		default:
			// Read it again next time rather than keep a stale row silently.
			x.changedMu.Lock()
			if x.changed == nil {
				x.changed = map[string]bool{}
			}
			x.changed[n] = true
			x.changedMu.Unlock()
			if ctx.Err() == nil {
				x.s.log.Error("read a case for the case index", "case", n, "err", err)
			}
			return
		}
	}
}

// put stores the case's row; the caller holds mu.
func (x *caseIndex) put(c *complaintbot.Case) {
	if !x.ready {
		return
	}
	r := newIndexRow(c, x.intern)
	if old, ok := x.rows[r.number]; ok {
		moved := old.received != r.received
		*old = r // the sorted list points to it
		if moved {
			x.sorted = nil
		}
		return
	}
	p := &r
	x.rows[r.number] = p
	if x.sorted != nil {
		i, _ := slices.BinarySearchFunc(x.sorted, p, newerFirst)
		x.sorted = slices.Insert(x.sorted, i, p)
	}
}

// remove forgets the case; the caller holds mu.
func (x *caseIndex) remove(number string) {
	if _, ok := x.rows[number]; ok {
		delete(x.rows, number)
		x.sorted = nil
	}
}

// view runs fn on the rows, newest first, when the index is loaded, and reports whether it did.
// Right after a start it waits for the first full read (up to caseIndexWait).
func (x *caseIndex) view(ctx context.Context, fn func(rows []*indexRow)) bool {
	if x == nil {
		return false
	}
	t := time.NewTimer(caseIndexWait)
	select {
	case <-x.loaded:
	case <-ctx.Done():
	case <-t.C:
	}
	t.Stop()
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.ready {
		return false
	}
	x.readChanged(ctx) // so that a list read right after a change shows it
	if x.sorted == nil {
		s := make([]*indexRow, 0, len(x.rows))
		for _, r := range x.rows {
			s = append(s, r)
		}
		slices.SortFunc(s, newerFirst)
		x.sorted = s
	}
	fn(x.sorted)
	return true
}

// list is ListCases from the index; ok is false when the index cannot answer.
func (x *caseIndex) list(ctx context.Context, f CaseFilter, skip, limit int) (out []complaintbot.Case, ok bool) {
	m := f.matcher()
	out = []complaintbot.Case{}
	ok = x.view(ctx, func(rows []*indexRow) {
		for _, r := range rows {
			if limit > 0 && len(out) >= limit { // no limit: all, as the database's query
				break
			}
			if !m.match(r) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, r.listCase())
		}
	})
	return out, ok
}

// countBy is CountCasesBy from the index, for the fields it keeps; ok is false when the index
// cannot answer.
func (x *caseIndex) countBy(ctx context.Context, f CaseFilter, field string) (out map[string]int, ok bool) {
	var key func(r *indexRow) string
	switch field {
	case "status":
		key = func(r *indexRow) string { return string(r.status) }
	case "kind":
		key = func(r *indexRow) string { return string(r.kind) }
	case "branch.code":
		key = func(r *indexRow) string { return r.branch.Code }
	default:
		return nil, false
	}
	m := f.matcher()
	out = map[string]int{}
	ok = x.view(ctx, func(rows []*indexRow) {
		for _, r := range rows {
			if m.match(r) {
				out[key(r)]++
			}
		}
	})
	return out, ok
}

// RefreshCaseIndex reads the embedded server's case index again in full, now (after cases were
// written behind the store's back, e.g. imported or seeded through Collection); it does nothing
// on MongoDB.
func (s *Store) RefreshCaseIndex(ctx context.Context) error {
	x := s.caseIndex
	if x == nil {
		return nil
	}
	select {
	case <-x.loaded:
	case <-ctx.Done():
		return ctx.Err()
	}
	return x.rescan(ctx)
}
