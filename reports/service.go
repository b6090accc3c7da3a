package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// Service keeps the report facts and rollups current and answers the reports. Build it with New;
// it is safe for concurrent use.
type Service struct {
	store *storage.Store
	clock complaintbot.Clock
	log   *slog.Logger

	// mu serialises the writers (refreshes, repairs, rebuilds) so that a rollup is never computed
	// from a day whose facts are half written by another of them.
	mu         sync.Mutex
	lastRepair time.Time
	// nextDue holds, by day, the earliest deadline still pending among the day's facts (as of the
	// last scan; farFuture: none), so that Repair re-dates only the days where one has passed.
	nextDue map[string]time.Time
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// pendingDue is the earliest deadline of the fact still to come (farFuture: none).
func pendingDue(f *storage.ReportFact) time.Time {
	due := farFuture
	if f.ReplyState == storage.DeadlinePending && !f.ReplyDue.IsZero() && f.ReplyDue.Before(due) {
		due = f.ReplyDue
	}
	if f.DecisionState == storage.DeadlinePending && !f.DecisionDue.IsZero() && f.DecisionDue.Before(due) {
		due = f.DecisionDue
	}
	return due
}

// noteDue lowers the day's next pending deadline for facts just written; the caller holds mu.
func (s *Service) noteDue(facts []storage.ReportFact) {
	for i := range facts {
		f := &facts[i]
		if nd, ok := s.nextDue[f.Day]; ok {
			if d := pendingDue(f); d.Before(nd) {
				s.nextDue[f.Day] = d
			}
		}
	}
}

// New returns the reports service over store.
func New(store *storage.Store, clock complaintbot.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, clock: clock, log: log.With("component", "reports"), nextDue: map[string]time.Time{}}
}

// RepairLookback is how far back Repair re-dates the deadline states of open cases.
const RepairLookback = 60 * 24 * time.Hour

// RefreshCases rebuilds the facts of the given cases (after a change) and recomputes the rollups
// of their days.
func (s *Service) RefreshCases(ctx context.Context, numbers ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx, numbers, nil); err != nil {
		return err
	}
	return s.rebuildDirty(ctx)
}

// refresh rebuilds the facts of the cases numbers; surveys holds, by case, a survey known to have
// changed (nil: look it up as factOf does).
func (s *Service) refresh(ctx context.Context, numbers []string, surveys map[string]*complaintbot.Survey) error {
	now := s.clock.Now()
	var facts []storage.ReportFact
	for _, n := range numbers {
		c, err := s.store.ScanCase(ctx, n)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("refresh report fact: %w", err)
		}
		f, err := s.factOf(ctx, c, surveys[n], now)
		if err != nil {
			return err
		}
		facts = append(facts, f)
	}
	s.noteDue(facts)
	return s.store.PutReportFacts(ctx, facts)
}

// factOf builds the fact of c; sv is its latest survey when the caller knows it. Otherwise the
// survey is the one the case's satisfaction names, or the one the stored fact knew. The fact is
// marked New when none is stored yet (a case registered since the last look), so that it is
// inserted rather than replaced.
func (s *Service) factOf(ctx context.Context, c *complaintbot.Case, sv *complaintbot.Survey, now time.Time) (storage.ReportFact, error) {
	if sv == nil && c.Satisfaction != nil && c.Satisfaction.Survey != "" {
		got, err := s.store.ReportSurveyByID(ctx, c.Satisfaction.Survey)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return storage.ReportFact{}, err
		}
		sv = got
	}
	day := c.Received.In(complaintbot.Shanghai).Format("2006-01-02")
	old, err := s.store.ReportFactOf(ctx, day, c.Number)
	isNew := errors.Is(err, storage.ErrNotFound)
	if err != nil && !isNew {
		return storage.ReportFact{}, err
	}
	if sv == nil && old != nil && old.SurveyID != "" {
		if got, err := s.store.ReportSurveyByID(ctx, old.SurveyID); err == nil {
			sv = got
		}
	}
	if sv, err = s.reached(ctx, sv); err != nil {
		return storage.ReportFact{}, err
	}
	follow := ""
	if sv != nil && sv.Status == complaintbot.SurveyAnswered && sv.Low {
		st, err := s.store.FollowUpStatusOf(ctx, sv.ID)
		if err != nil {
			return storage.ReportFact{}, err
		}
		follow = string(st)
	}
	f := BuildFact(c, sv, follow, now)
	f.New = isNew
	return f, nil
}

// reached returns sv as the reports count it: a survey unanswered (sent or expired) whose question the
// outbox marked undeliverable, with no reminder that got through, never reached the customer and
// is counted apart (storage.SurveyUndeliverable), not as asked. It reads the question's and the
// reminder's outbox messages by _id.
func (s *Service) reached(ctx context.Context, sv *complaintbot.Survey) (*complaintbot.Survey, error) {
	if sv == nil || (sv.Status != complaintbot.SurveySent && sv.Status != complaintbot.SurveyExpired) {
		return sv, nil
	}
	q, err := s.store.ReportOutboxStatus(ctx, "survey:"+sv.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return sv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report survey %s: %w", sv.ID, err)
	}
	if q != complaintbot.OutboxUndeliverable {
		return sv, nil
	}
	if sv.Reminded != nil {
		r, err := s.store.ReportOutboxStatus(ctx, "survey:"+sv.ID+":remind")
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("report survey %s: %w", sv.ID, err)
		}
		if r == complaintbot.OutboxSent {
			return sv, nil
		}
	}
	out := *sv
	out.Status = complaintbot.SurveyUndeliverable
	return &out, nil
}

// RebuildDirty recomputes the rollups of the days and months marked dirty.
func (s *Service) RebuildDirty(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rebuildDirty(ctx)
}

func (s *Service) rebuildDirty(ctx context.Context) error {
	days, weeks, months, err := s.store.DirtyReports(ctx)
	if err != nil {
		return err
	}
	if len(days) == 0 && len(weeks) == 0 && len(months) == 0 {
		return nil
	}
	periods, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, day := range days {
		if err := s.store.ClearReportDirty(ctx, day); err != nil {
			return err
		}
		r, err := s.dayRollup(ctx, day, now)
		if err != nil {
			return err
		}
		if err := s.store.PutReportRollup(ctx, r); err != nil {
			return err
		}
		// The day's facts changed: so does its summary for the regulator figures (regulator.go).
		if _, err := s.buildRegulatorDay(ctx, day); err != nil {
			return err
		}
		periods[day] = true
	}
	// A week or a month is the sum of its days.
	for _, group := range []struct {
		ids  []string
		days func(string) []string
	}{{weeks, daysOfWeek}, {months, daysOfMonth}} {
		for _, id := range group.ids {
			if err := s.store.ClearReportDirty(ctx, id); err != nil {
				return err
			}
			var ids []string
			for _, d := range group.days(id) {
				if periods[d] {
					ids = append(ids, d)
				}
			}
			parts, err := s.store.ReportRollups(ctx, ids)
			if err != nil {
				return err
			}
			parts = slices.DeleteFunc(parts, func(r *storage.ReportRollup) bool { return r == nil })
			if err := s.store.PutReportRollup(ctx, storage.MergeRollups(id, now, parts)); err != nil {
				return err
			}
			periods[id] = true
		}
	}
	ids := make([]string, 0, len(periods))
	for id := range periods {
		ids = append(ids, id)
	}
	return s.store.SetReportPeriods(ctx, ids)
}

// dayRollup computes the rollup of a day from its facts (see storage.Store.ComputeDayRollup).
func (s *Service) dayRollup(ctx context.Context, day string, now time.Time) (*storage.ReportRollup, error) {
	return s.store.ComputeDayRollup(ctx, day, now)
}

// Repair catches up on what events missed: it refreshes the facts of the cases changed and the
// surveys sent, answered or expired since the last repair (at start: the last day), re-dates the
// deadline states of the open cases of the last RepairLookback, and recomputes the dirty rollups.
func (s *Service) Repair(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	since := s.lastRepair
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	touched := map[string]bool{}
	err := s.store.ScanCasesUpdated(ctx, since, now, 500, func(b []complaintbot.Case) error {
		for i := range b {
			touched[b[i].Number] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report repair: %w", err)
	}
	surveys := map[string]*complaintbot.Survey{}
	err = s.store.EachReportSurvey(ctx, since, 500, func(b []complaintbot.Survey) error {
		for i := range b {
			sv := b[i]
			if prev := surveys[sv.Case]; prev == nil || sv.Round > prev.Round {
				surveys[sv.Case] = &sv
			}
			touched[sv.Case] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report repair: %w", err)
	}
	var facts []storage.ReportFact
	for n := range touched {
		c, err := s.store.ScanCase(ctx, n)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("report repair: %w", err)
		}
		f, err := s.factOf(ctx, c, surveys[n], now)
		if err != nil {
			return err
		}
		facts = append(facts, f)
	}
	s.noteDue(facts)
	if err := s.store.PutReportFacts(ctx, facts); err != nil {
		return err
	}
	if err := s.restateOpen(ctx, now, touched); err != nil {
		return err
	}
	s.lastRepair = now
	return s.rebuildDirty(ctx)
}

// restateOpen re-dates the deadline states of the open cases received in the last RepairLookback,
// reading only the days where a pending deadline has passed since they were last read (all of
// them the first time): each read scans the day's facts.
func (s *Service) restateOpen(ctx context.Context, now time.Time, skip map[string]bool) error {
	periods, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	for d := now.Add(-RepairLookback); !d.After(now); d = d.Add(24 * time.Hour) {
		day := d.In(complaintbot.Shanghai).Format("2006-01-02")
		if !periods[day] {
			continue
		}
		if nd, ok := s.nextDue[day]; ok && nd.After(now) {
			continue // nothing of that day fell due since it was last looked at
		}
		if err := s.restateDay(ctx, day, now, skip); err != nil {
			return err
		}
	}
	return nil
}

// restatePassed re-dates the open cases' facts of the days where a deadline known to be pending
// (nextDue, as of their last read) has passed by now, and rolls those days up again: a deadline
// passing reaches the figures at the next drain, not only at the repair or once the deadlines job
// marks the case. Days not read since the start are left to Repair. The caller holds mu.
func (s *Service) restatePassed(ctx context.Context, now time.Time) error {
	var days []string
	for day, due := range s.nextDue {
		if !due.After(now) {
			days = append(days, day)
		}
	}
	if len(days) == 0 {
		return nil
	}
	for _, day := range days {
		if err := s.restateDay(ctx, day, now, nil); err != nil {
			return err
		}
	}
	return s.rebuildDirty(ctx)
}

// restateDay re-dates the deadline states and overdue flags of the open cases' facts of day (but
// those in skip), stores the facts that changed, and notes the day's next pending deadline; the
// caller holds mu.
func (s *Service) restateDay(ctx context.Context, day string, now time.Time, skip map[string]bool) error {
	open := []string{string(complaintbot.StatusReceived), string(complaintbot.StatusInvestigating), string(complaintbot.StatusEscalated), string(complaintbot.StatusReopened)}
	var changed []storage.ReportFact
	next := farFuture
	err := s.store.EachReportFact(ctx, day, storage.FactFilter{Statuses: open}, func(f *storage.ReportFact) error {
		if skip[f.Number] {
			return nil
		}
		before := *f
		Restate(f, now)
		if f.ReplyState != before.ReplyState || f.DecisionState != before.DecisionState || f.Overdue != before.Overdue {
			changed = append(changed, *f)
		}
		if d := pendingDue(f); d.Before(next) {
			next = d
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.nextDue[day] = next
	return s.store.PutReportFacts(ctx, changed)
}

// Rebuild recomputes every fact and rollup from the cases and the surveys: the fact collections
// are dropped and refilled with InsertMany, then every day and month is rolled up again. It reads
// the whole cases and surveys collections once each.
func (s *Service) Rebuild(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	now := s.clock.Now()
	surveys := map[string]*complaintbot.Survey{}
	err := s.store.EachReportSurvey(ctx, time.Time{}, 1000, func(b []complaintbot.Survey) error {
		for i := range b {
			sv := b[i]
			if prev := surveys[sv.Case]; prev == nil || sv.Round > prev.Round {
				surveys[sv.Case] = &sv
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild reports: %w", err)
	}
	periods, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	for _, day := range storedDays(periods) {
		if err := s.store.DropReportFacts(ctx, day); err != nil {
			return err
		}
		if err := s.store.MarkReportDirty(ctx, day); err != nil {
			return err
		}
	}
	n := 0
	err = s.store.EachReportCase(ctx, time.Time{}, time.Time{}, 1000, func(b []complaintbot.Case) error {
		byDay := map[string][]storage.ReportFact{}
		for i := range b {
			sv, err := s.reached(ctx, surveys[b[i].Number])
			if err != nil {
				return err
			}
			follow := ""
			if sv != nil && sv.Status == complaintbot.SurveyAnswered && sv.Low {
				st, err := s.store.FollowUpStatusOf(ctx, sv.ID)
				if err != nil {
					return err
				}
				follow = string(st)
			}
			f := BuildFact(&b[i], sv, follow, now)
			byDay[f.Day] = append(byDay[f.Day], f)
		}
		for day, facts := range byDay {
			if err := s.store.InsertReportFacts(ctx, day, facts); err != nil && !storage.IsDuplicate(err) {
				return err
			}
			if err := s.store.MarkReportDirty(ctx, day); err != nil {
				return err
			}
			n += len(facts)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild reports: %w", err)
	}
	if err := s.rebuildDirty(ctx); err != nil {
		return err
	}
	if err := s.store.SetReportLayout(ctx, storage.RollupLayout); err != nil {
		return err
	}
	s.lastRepair = now
	s.nextDue = map[string]time.Time{}
	s.log.Info("report facts rebuilt", "cases", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// UpgradeRollups has the rollups stored under an older storage.RollupLayout recomputed: it marks
// every stored day dirty, so that the next repair (within RepairSpec) or drain with work rolls
// them up again from their facts, and records the current layout. From a layout before 3 it
// first re-dates the open cases' facts of the last RepairLookback (their overdue flag). Until the
// recompute the dashboard shows the older figures. It changes nothing when the layout is current.
func (s *Service) UpgradeRollups(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.store.ReportLayout(ctx)
	if err != nil || v >= storage.RollupLayout {
		return err
	}
	periods, err := s.store.ReportPeriods(ctx)
	if err != nil {
		return err
	}
	if v < 3 {
		// Layout 3: a case past its reply date unreplied is overdue too (complaintbot.IsOverdue).
		// The open cases' facts of the last RepairLookback say so from now on; an open case
		// received before is past its decision deadline (60 days at most on the extension
		// ladder, bar waits on the customer), overdue already, and the nightly rebuild restates
		// every fact.
		clear(s.nextDue)
		if err := s.restateOpen(ctx, s.clock.Now(), nil); err != nil {
			return err
		}
	}
	days := storedDays(periods)
	for _, day := range days {
		if err := s.store.MarkReportDirty(ctx, day); err != nil {
			return err
		}
	}
	if err := s.store.SetReportLayout(ctx, storage.RollupLayout); err != nil {
		return err
	}
	s.log.Info("report rollups marked for recompute under the new layout", "days", len(days), "layout", storage.RollupLayout)
	return nil
}

// storedDays returns the days ("2026-11-27") among the stored periods (ReportPeriods also lists
// weeks and months).
func storedDays(periods map[string]bool) []string {
	var days []string
	for id := range periods {
		if len(id) == len("2006-01-02") {
			days = append(days, id)
		}
	}
	return days
}

// DrainBatch is how many marks Drain takes at a time.
const DrainBatch = 500

// Drain brings the figures of the cases marked stale (storage.Store.MarkCaseReport) up to date:
// it refreshes their facts (which marks their days dirty, durably), and only then deletes the
// marks it read, so that a drain cut short (a crash, a shutdown) leaves them for the next one,
// and a mark written meanwhile (a different document) is drained next time; then it recomputes
// the rollups of the dirty days, once. It returns how many cases it refreshed. It runs as the
// leased job JobDrain, every DrainSpec.
func (s *Service) Drain(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.restatePassed(ctx, s.clock.Now()); err != nil {
		return 0, fmt.Errorf("drain report marks: %w", err)
	}
	done := 0
	for {
		marks, err := s.store.PendingReports(ctx, DrainBatch)
		if err != nil {
			return done, err
		}
		if len(marks) == 0 {
			break
		}
		seen := map[string]bool{}
		surveys := map[string]*complaintbot.Survey{}
		var numbers, ids []string
		for _, m := range marks {
			ids = append(ids, m.ID)
			if !seen[m.Case] {
				seen[m.Case] = true
				numbers = append(numbers, m.Case)
			}
			if m.Survey == "" {
				continue
			}
			sv, err := s.store.ReportSurveyByID(ctx, m.Survey)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return done, fmt.Errorf("drain report marks: %w", err)
			}
			// The case's latest survey is the one the facts show.
			if prev := surveys[m.Case]; prev == nil || sv.Round >= prev.Round {
				surveys[m.Case] = sv
			}
		}
		// The facts' days are marked dirty as the facts are written, durably: the marks can go
		// before the days are summed again, which happens once, after the last batch (on a busy
		// day each batch summed the whole day again).
		if err := s.refresh(ctx, numbers, surveys); err != nil {
			return done, fmt.Errorf("drain report marks: %w", err)
		}
		if err := s.store.ClearPendingReports(ctx, ids); err != nil {
			return done, err
		}
		done += len(numbers)
		if len(marks) < DrainBatch {
			break
		}
	}
	if err := s.rebuildDirty(ctx); err != nil {
		return done, fmt.Errorf("drain report marks: %w", err)
	}
	return done, nil
}

// The reports' background jobs, which the app registers with the scheduler (scheduler.Job): run
// through a lease, so that one instance runs each at a time.
const (
	// JobDrain runs Drain: the way figures arrive.
	JobDrain = "reports.drain"
	// JobRepair runs Repair: the safety net for what no mark announced.
	JobRepair = "reports.repair"
	// JobRebuild runs Rebuild.
	JobRebuild = "reports.rebuild"
)

// The jobs' default specs (Asia/Shanghai): drain every 20 seconds (so that a change is on the
// dashboard within a drain's interval plus its run, well inside a minute), repair every ten
// minutes, rebuild every night at 02:00.
const (
	DrainSpec   = "@every 20s"
	RepairSpec  = "@every 10m"
	RebuildSpec = "0 2 * * *"
)

// Run turns the case changes the bus announces (events.Case: the console's case workflow, the
// webhook's survey answers) into durable marks (storage.Store.MarkCaseReport) as they arrive,
// until ctx is done; the leased job JobDrain then brings the figures up to date, on whichever
// instance holds its lease. The bus is this process's own, so every instance runs its own Run.
// Changes made by the scheduler and the outbox worker are marked where they are made. When ctx
// ends, the events already received are still marked.
func (s *Service) Run(ctx context.Context, bus *events.Bus) {
	if bus == nil {
		<-ctx.Done()
		return
	}
	ch, stop := bus.Subscribe(events.Case)
	defer stop()
	// A mark is written even if ctx ends meanwhile: the shutdown is what it must survive.
	mark := func(ctx context.Context, e events.Event) {
		if e.Kind != events.Case || e.Ref == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		at := e.At
		if at.IsZero() {
			at = s.clock.Now()
		}
		if err := s.store.MarkCaseReport(ctx, e.Ref, "", at); err != nil {
			s.log.Error("mark report stale", "case", e.Ref, "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			// Mark what was announced already.
			for {
				select {
				case e, ok := <-ch:
					if !ok {
						return
					}
					mark(ctx, e)
				default:
					return
				}
			}
		case e, ok := <-ch:
			if !ok {
				<-ctx.Done()
				return
			}
			mark(ctx, e)
		}
	}
}

// daysOfWeek lists the days "2026-11-23"… of an ISO week "2026-W48".
func daysOfWeek(week string) []string {
	var y, w int
	if _, err := fmt.Sscanf(week, "%04d-W%02d", &y, &w); err != nil {
		return nil
	}
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, complaintbot.Shanghai)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+(w-1)*7)
	out := make([]string, 7)
	for i := range out {
		out[i] = monday.AddDate(0, 0, i).Format("2006-01-02")
	}
	return out
}

// daysOfMonth lists the days "2026-11-01"… of a month "2026-11".
func daysOfMonth(month string) []string {
	t, err := time.ParseInLocation("2006-01", month, complaintbot.Shanghai)
	if err != nil {
		return nil
	}
	var out []string
	for d := t; d.Month() == t.Month(); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}
