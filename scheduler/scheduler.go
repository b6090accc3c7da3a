package scheduler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/robfig/cron/v3"
)

// The scheduled jobs.
const (
	// JobNotices follows case changes (reminders, surveys), sends "still working on it" notices,
	// and reopens cases rated low.
	JobNotices = "notices"
	// JobDeadlines reminds before deadlines, marks missed ones overdue and escalates, and sweeps
	// the cases changed since its last run for changes nobody announced.
	JobDeadlines = "deadlines"
	// JobSurveys sends satisfaction surveys, their reminder, and expires unanswered ones.
	JobSurveys = "surveys"
	// JobHousekeeping expires idle drafts and abandoned queue entries (telling the customer) and
	// deletes old records.
	JobHousekeeping = "housekeeping"
	// JobCheckpoint copies the embedded database's write-ahead log into the database file and
	// truncates it (see storage.Store.CheckpointWAL), every 10 seconds; it is not scheduled on
	// MongoDB.
	JobCheckpoint = "checkpoint"
)

// Jobs lists the jobs; RunDue runs the first three, in this order.
var Jobs = []string{JobNotices, JobDeadlines, JobSurveys, JobHousekeeping, JobCheckpoint, JobIdleReturn}

// checkpointSpec is when JobCheckpoint runs: often, because a checkpoint can reset the WAL only at
// a moment when no long read holds an old snapshot (under load the WAL grows by several MB a
// second while one does), and a run that finds one busy costs next to nothing.
const checkpointSpec = "@every 10s"

// settle is how far behind now a job's checkpoint stays: an entry due at t is written before t (or
// at t by a clock at most this far off) and is visible to a run that starts settle after it.
const settle = 30 * time.Second

// Conversations changes customers' conversation state outside their own messages; the housekeeping
// job uses it to clear idle drafts and take customers out of the queue. *conversations.Service is one.
type Conversations interface {
	State(ctx context.Context, openID string) (complaintbot.ConversationState, error)
	Control(ctx context.Context, openID, note string, change func(st *complaintbot.ConversationState) ([]string, error)) (complaintbot.ConversationState, error)
}

// Options are what a Scheduler works with.
type Options struct {
	Store  *storage.Store
	Engine *flows.Engine
	Convs  Conversations
	Clock  complaintbot.Clock
	Log    *slog.Logger
	// Outbox is poked when a job queued messages (may be nil).
	Outbox *OutboxWorker
	// Owner names this instance in job leases; every instance needs its own.
	Owner  string
	Config config.Scheduler
	// HTTP posts to the WeCom group robot; nil means a client with a 5-second timeout.
	HTTP *http.Client
	// Idle returns idle conversations to the bot (JobIdleReturn); nil leaves the job out.
	Idle IdleReturner
	// Queue takes customers who waited too long out of the queue (JobHousekeeping); nil leaves
	// that step out.
	Queue QueueExpirer
	// Cases makes the scheduler's own changes to cases (escalating overdue ones, reopening those
	// rated low) and tells their customers; nil means one built from Store, Engine, Clock and Log.
	Cases *cases.Service
	// Jobs are other packages' background jobs, run on their specs through the same leases as the
	// built-in jobs (see Job).
	Jobs []Job
}

// Scheduler runs the cron jobs. Several instances (one per process) may run against one database:
// each run of a job takes the job's lease for the current lease period (an insert on a unique
// key), so one instance runs it at a time; every step is keyed so that running it twice does
// nothing more, and a run stopped midway is finished by the next one.
type Scheduler struct {
	store  *storage.Store
	engine *flows.Engine
	convs  Conversations
	clock  complaintbot.Clock
	log    *slog.Logger
	outbox *OutboxWorker
	owner  string
	cfg    config.Scheduler
	http   *http.Client
	idle   IdleReturner
	queue  QueueExpirer
	cases  *cases.Service
	jobs   map[string]Job
	order  []string // the registered jobs' names, as given

	// AfterBatch, when set, is called after each batch a job works through with the number of
	// items done so far in the run; an error stops the run there (tests use it to cut a run short,
	// as a crash would).
	AfterBatch func(job string, done int) error

	mu   sync.Mutex
	cron *cron.Cron

	// walWarnAt is the WAL size from which JobCheckpoint logs again that it could not truncate it.
	walWarnAt atomic.Int64
}

// New returns a Scheduler; it does nothing until Start (or RunOnce).
func New(o Options) (*Scheduler, error) {
	if o.Store == nil || o.Engine == nil || o.Clock == nil || o.Owner == "" {
		return nil, errors.New("scheduler: Store, Engine, Clock and Owner are required")
	}
	if problems := o.Config.Validate(); len(problems) > 0 {
		return nil, fmt.Errorf("scheduler: %v", problems)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	if o.Cases == nil {
		o.Cases = cases.New(cases.Deps{Store: o.Store, Engine: o.Engine, Clock: o.Clock, Log: o.Log})
	}
	jobs, err := checkJobs(o.Jobs)
	if err != nil {
		return nil, err
	}
	x := &Scheduler{store: o.Store, engine: o.Engine, convs: o.Convs, clock: o.Clock, log: o.Log, outbox: o.Outbox,
		owner: o.Owner, cfg: o.Config, http: o.HTTP, idle: o.Idle, queue: o.Queue, cases: o.Cases, jobs: jobs}
	for _, j := range o.Jobs {
		x.order = append(x.order, j.Name)
	}
	return x, nil
}

// Start schedules the jobs by their cron specs (Asia/Shanghai); runs use ctx, so cancelling it
// stops them midway (they resume next time). Stop ends the schedule.
func (x *Scheduler) Start(ctx context.Context) error {
	logger := cronLogger{x.log}
	c := cron.New(cron.WithLocation(complaintbot.Shanghai), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	specs := map[string]string{JobNotices: x.cfg.NoticesSpec, JobDeadlines: x.cfg.DeadlinesSpec,
		JobSurveys: x.cfg.SurveysSpec, JobHousekeeping: x.cfg.HousekeepingSpec, JobCheckpoint: checkpointSpec, JobIdleReturn: idleReturnSpec}
	for _, job := range Jobs {
		if job == JobCheckpoint && !x.store.Embedded() {
			continue // MongoDB has no WAL of ours
		}
		if job == JobIdleReturn && x.idle == nil {
			continue
		}
		if _, err := c.AddFunc(specs[job], func() { x.runLogged(ctx, job) }); err != nil {
			return fmt.Errorf("scheduler.%s_spec: %w", job, err)
		}
	}
	for _, job := range x.order {
		if _, err := c.AddFunc(x.jobs[job].Spec, func() { x.runLogged(ctx, job) }); err != nil {
			return fmt.Errorf("scheduler: job %s: %w", job, err)
		}
	}
	x.mu.Lock()
	x.cron = c
	x.mu.Unlock()
	c.Start()
	return nil
}

// Stop ends the schedule and waits for running jobs to return.
func (x *Scheduler) Stop() {
	x.mu.Lock()
	c := x.cron
	x.cron = nil
	x.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
}

func (x *Scheduler) runLogged(ctx context.Context, job string) {
	start := time.Now()
	r, err := x.RunOnce(ctx, job)
	switch {
	case err != nil && ctx.Err() == nil:
		x.log.Error("scheduled job failed", "job", job, "done", r.Done, "err", err)
	case r.Ran && r.Done > 0:
		x.log.Info("scheduled job", "job", job, "done", r.Done, "took", time.Since(start).Round(time.Millisecond))
	}
}

// Run is the outcome of one RunOnce.
type Run struct {
	// Ran is false when another instance holds the job's lease.
	Ran bool
	// Done counts the items the run worked on.
	Done int
}

// errLeaseLost stops a run whose lease period ended and went to another instance.
var errLeaseLost = errors.New("lease lost to another instance")

// RunOnce runs the job now if this instance gets its lease for the current period.
func (x *Scheduler) RunOnce(ctx context.Context, job string) (Run, error) {
	ok, err := x.store.AcquireLease(ctx, job, x.owner, x.clock.Now(), x.cfg.Lease.D())
	if err != nil || !ok {
		return Run{}, err
	}
	var n int
	switch job {
	case JobNotices:
		n, err = x.notices(ctx)
	case JobDeadlines:
		n, err = x.deadlines(ctx)
	case JobSurveys:
		n, err = x.surveys(ctx)
	case JobHousekeeping:
		n, err = x.housekeeping(ctx)
	case JobCheckpoint:
		err = x.checkpoint(ctx)
	case JobIdleReturn:
		n, err = x.idleReturn(ctx)
	default:
		j, ok := x.jobs[job]
		if !ok {
			return Run{}, fmt.Errorf("scheduler: unknown job %q", job)
		}
		n, err = x.runRegistered(ctx, j)
	}
	if errors.Is(err, errLeaseLost) {
		x.log.Info("scheduled job handed over", "job", job, "done", n)
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("job %s: %w", job, err)
	}
	return Run{Ran: true, Done: n}, err
}

// RunDue runs the notices, deadlines and surveys jobs once, in that order.
func (x *Scheduler) RunDue(ctx context.Context) error {
	for _, job := range Jobs[:3] {
		if _, err := x.RunOnce(ctx, job); err != nil {
			return err
		}
	}
	return nil
}

// hold renews the job's lease for the current period, failing with errLeaseLost when another
// instance took it.
func (x *Scheduler) hold(ctx context.Context, job string) error {
	ok, err := x.store.AcquireLease(ctx, job, x.owner, x.clock.Now(), x.cfg.Lease.D())
	if err != nil {
		return err
	}
	if !ok {
		return errLeaseLost
	}
	return nil
}

// step is called after each batch: it renews the lease and lets AfterBatch stop the run.
func (x *Scheduler) step(ctx context.Context, job string, done int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if x.AfterBatch != nil {
		if err := x.AfterBatch(job, done); err != nil {
			return err
		}
	}
	return x.hold(ctx, job)
}

// pass works through the entries of kinds due since the checkpoint named cp, batch by batch, and
// moves the checkpoint once all are done. Entries are written due no earlier than when they are
// written, so everything due up to settle before now is seen by this pass; the checkpoint stays
// settle behind now and remembers which of the later entries this pass did, so the next pass does
// only the others. A pass cut short leaves the checkpoint where it was, and the next one works
// through the same entries again, which fn must take in its stride (every step is keyed).
func (x *Scheduler) pass(ctx context.Context, job, cp string, kinds []string, fn func(context.Context, []storage.DueEntry, time.Time) error) (int, error) {
	now := x.clock.Now()
	after, skip, err := x.store.JobCheckpoint(ctx, cp)
	if err != nil {
		return 0, err
	}
	next := now.Add(-settle)
	var recent []string // done entries due after the next checkpoint
	done := 0
	err = x.store.ScanDue(ctx, kinds, after, now, x.cfg.BatchSize, func(batch []storage.DueEntry) error {
		todo := batch[:0]
		for _, e := range batch {
			if !skip[e.ID] {
				todo = append(todo, e)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		if err := fn(ctx, todo, now); err != nil {
			return err
		}
		for _, e := range todo {
			if e.At.After(next) && len(recent) <= storage.MaxCheckpointDone {
				recent = append(recent, e.ID)
			}
		}
		done += len(todo)
		return x.step(ctx, job, done)
	})
	if err != nil {
		return done, err
	}
	return done, x.store.SetJobCheckpoint(ctx, cp, next, recent)
}

// enqueue queues messages and pokes the outbox.
func (x *Scheduler) enqueue(ctx context.Context, msgs []complaintbot.OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	n, err := x.store.EnqueueMany(ctx, msgs)
	if err != nil {
		return err
	}
	if n > 0 && x.outbox != nil {
		x.outbox.Poke()
	}
	return nil
}

// pokeOutbox makes the outbox look for due messages at once (a notice was just queued).
func (x *Scheduler) pokeOutbox() {
	if x.outbox != nil {
		x.outbox.Poke()
	}
}

// schedule stores entries, none due before now.
func (x *Scheduler) schedule(ctx context.Context, now time.Time, entries ...storage.DueEntry) error {
	for i := range entries {
		if entries[i].At.Before(now) {
			entries[i].At = now
		}
	}
	return x.store.InsertDue(ctx, entries)
}

// checkpoint runs JobCheckpoint. It counts nothing as done (it would log a line a minute); a WAL
// it could not truncate because long reads held it is logged when it has grown large.
func (x *Scheduler) checkpoint(ctx context.Context) error {
	r, err := x.store.CheckpointWAL(ctx)
	if err != nil {
		return err
	}
	next := x.walWarnAt.Load()
	switch {
	case !r.Busy:
		x.walWarnAt.Store(0)
	case r.After >= max(next, walWarnBytes):
		// Logged again only once it has doubled.
		x.walWarnAt.Store(2 * r.After)
		x.log.Warn("the embedded database's WAL could not be truncated: long reads kept holding it (tried again every 10 s)",
			"wal_mb", r.After>>20)
	}
	return nil
}

// walWarnBytes is the WAL size from which a checkpoint that could not truncate it is logged.
const walWarnBytes = 256 << 20

// cronLogger passes robfig/cron's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// key makes an id part from something that may hold an openid (a handoff id is a turn id), so
// that ids, and the errors and logs that name them, carry none.
func key(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:10])
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
