package soak

import (
	"cmp"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
)

// plan is how big a soak is.
type plan struct {
	waves     int // waves of customers; each wave confirms at once
	customers int // customers per wave
	// startupEvery: every startupEvery-th wave kills the service a second time shortly after the
	// restart of its intake kill (during the start-up recovery); 0 never.
	startupEvery int
	// outageWave: in this wave the service stays down longer than WeChat retries after the kill
	// among the confirmations (0: in no wave), so some 确认 are given up.
	outageWave int
	// intakeStallEvery: every intakeStallEvery-th wave also stalls the service during the intake
	// (0: never).
	intakeStallEvery int
	// finalRecovery: once start-up recovery would finish the turns cut off in the last wave,
	// kill and restart the service once more, so that what recovery sends is checked too.
	finalRecovery bool
	// resolve: when the check finds cut-off sends the outbox has not decided yet (their claims are
	// younger than its stale-claim age), start the service once more and leave it running until
	// it has, then check again.
	resolve  bool
	modes    []string // plain, aes
	seed     uint64
	keep     bool
	logLevel string
}

// The ways a wave's confirmations are cut.
const (
	killVariant   = iota // one kill while they are in flight
	stallVariant         // a kill while they are in flight, then a stall with WeChat's retries in flight, then a kill
	outageVariant        // a kill while they are in flight, the service down past WeChat's last retry
)

// variant says how wave w's confirmations are cut: the short soak's one wave gets the stall
// variant; the full one cycles kill, stall, outage (in the outage wave), kill, stall, kill.
func (p plan) variant(w int) int {
	switch {
	case w == p.outageWave:
		return outageVariant
	case p.waves == 1 || w%3 == 2:
		return stallVariant
	}
	return killVariant
}

// kills is how many kills the plan makes.
func (p plan) kills() int {
	n := 0
	for w := 1; w <= p.waves; w++ {
		n += 2 // one in the intake, one among the confirmations
		if p.startupEvery > 0 && w%p.startupEvery == 0 {
			n++
		}
		if p.variant(w) == stallVariant {
			n++
		}
	}
	if p.finalRecovery {
		n++
	}
	return n
}

func planFromEnv(t *testing.T) plan {
	p := plan{waves: 1, customers: 30, startupEvery: 1, modes: []string{"aes"}, logLevel: "info"}
	if os.Getenv("SOAK") == "full" {
		p.waves, p.startupEvery, p.modes = 6, 2, []string{"plain", "aes"}
		p.outageWave, p.finalRecovery, p.intakeStallEvery, p.resolve = 3, true, 2, true
	}
	if v := os.Getenv("SOAK_WAVES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SOAK_WAVES=%q: want a whole number ≥ 1", v)
		}
		p.waves = n
	}
	switch v := os.Getenv("SOAK_MODE"); v {
	case "":
	case "plain", "aes":
		p.modes = []string{v}
	case "both":
		p.modes = []string{"plain", "aes"}
	default:
		t.Fatalf("SOAK_MODE=%q: want plain, aes or both", v)
	}
	p.seed = uint64(time.Now().UnixNano())
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want a whole number", v)
		}
		p.seed = n
	}
	if v := os.Getenv("SOAK_OUTAGE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("SOAK_OUTAGE=%q: want a wave number (0: none)", v)
		}
		p.outageWave = n
	}
	if v := os.Getenv("SOAK_RECOVERY"); v != "" {
		p.finalRecovery = v == "1"
	}
	if v := os.Getenv("SOAK_RESOLVE"); v != "" {
		p.resolve = v == "1"
	}
	p.keep = os.Getenv("SOAK_KEEP") != ""
	if v := os.Getenv("SOAK_LOG_LEVEL"); v != "" {
		p.logLevel = v
	}
	return p
}

// The Official Account the service, the fake WeChat API and the clients share.
const (
	appID     = "wxsoak0000000001"
	appSecret = "soak-app-secret"
	token     = "soak-token"
	aesKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// TestKill9Soak runs customers through full complaints against the service as a program of its
// own, kills it with SIGKILL at random moments (also while thirty customers' 确认 are in flight)
// and restarts it on the same data folder, then checks the database and the fake WeChat: no
// acknowledged message lost, no case doubled, every customer whose 确认 was acknowledged told their
// case number exactly once, and every answer given as "success" delivered afterwards.
func TestKill9Soak(t *testing.T) {
	p := planFromEnv(t)
	bin := buildService(t, t.TempDir())
	for i, mode := range p.modes {
		t.Run(mode, func(t *testing.T) {
			r := newRun(t, p, mode, bin, p.seed+uint64(i))
			r.soak()
		})
	}
}

const (
	// stallFor is how long a stall freezes the service: past the reply budget (4 s), within
	// WeChat's 5 s, so the messages in flight are answered "success" and their replies go
	// through the outbox.
	stallFor = 4200 * time.Millisecond
	// outage is how long the service stays down in the outage wave: longer than WeChat's three
	// tries (at 0, 5 and 10 s), so that the confirmations cut off by the kill are given up.
	outage = 11 * time.Second
	// recoverSettle is how old a cut-off turn must be before the service's start-up recovery
	// finishes it (app's recoverSettle: WeChat may still retry it until then).
	recoverSettle = 30 * time.Second
	// recoverAfter is how long after the last confirmations the final restart comes.
	recoverAfter = recoverSettle + 5*time.Second
)

// run is one soak against one data folder.
type run struct {
	t    *testing.T
	p    plan
	mode string
	seed uint64
	dir  string // data folder and logs

	mu       sync.Mutex
	rng      *rand.Rand
	kills    []kill
	stalls   int
	stallsAt []time.Duration // when each stall began (since the soak began)
	startErr error

	lastReady time.Time // when the last incarnation answered /readyz
	stoppedAt time.Time // when the last incarnation was asked to stop

	svc       *service
	fake      *fakewechat.Server
	wx        *wechat
	j         *journal
	customers []*customer
}

// kill is one kill -9 of the service.
type kill struct {
	n, incarnation  int
	phase           string
	at, upFor       time.Duration
	inflight        int64 // tries sent and not answered at the kill
	confirmInflight int64 // of them 确认
	restart         time.Duration
}

func newRun(t *testing.T, p plan, mode, bin string, seed uint64) *run {
	r := &run{t: t, p: p, mode: mode, seed: seed, rng: rand.New(rand.NewPCG(seed, 15)), j: newJournal()}
	if p.keep {
		dir, err := os.MkdirTemp("", "complaintbot-soak-"+mode+"-")
		if err != nil {
			t.Fatal(err)
		}
		r.dir = dir
		t.Logf("SOAK_KEEP: data folder and logs kept in %s", dir)
	} else {
		r.dir = t.TempDir()
	}
	data, logs := filepath.Join(r.dir, "data"), filepath.Join(r.dir, "logs")
	for _, d := range []string{data, logs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	r.fake = fakewechat.New(appID, appSecret)
	api := httptest.NewServer(r.fake)
	t.Cleanup(api.Close)
	env := []string{
		"COMPLAINTBOT_WECHAT_APP_ID=" + appID,
		"COMPLAINTBOT_WECHAT_APP_SECRET=" + appSecret,
		"COMPLAINTBOT_WECHAT_TOKEN=" + token,
		"COMPLAINTBOT_WECHAT_API_BASE=" + api.URL,
		"COMPLAINTBOT_LOG_LEVEL=" + p.logLevel,
	}
	key := ""
	if mode == "aes" {
		key = aesKey
	}
	env = append(env, "COMPLAINTBOT_WECHAT_ENCODING_AES_KEY="+key)
	svc, err := newService(bin, data, logs, env)
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
	r.wx = newWeChat(svc.URL(), token, appID, key, r.j, svc)
	return r
}

func (r *run) intn(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n <= 0 {
		return 0
	}
	return r.rng.IntN(n)
}

// killAndRestart kills the service with SIGKILL and starts it again on the same folder, after down.
func (r *run) killAndRestart(phase string, down time.Duration) {
	k := kill{phase: phase, at: r.j.since(), incarnation: r.svc.incarnation(),
		inflight: r.wx.inflight.Load(), confirmInflight: r.wx.confirmInflight.Load()}
	r.svc.mu.Lock()
	k.upFor = time.Since(r.svc.upSince)
	r.svc.mu.Unlock()
	r.svc.kill()
	r.mu.Lock()
	k.n = len(r.kills) + 1
	r.mu.Unlock()
	r.j.add("", "kill -9 #%d (%s) of incarnation %d, up %v: %d tries in flight, %d of them 确认",
		k.n, phase, k.incarnation, k.upFor.Round(time.Millisecond), k.inflight, k.confirmInflight)
	time.Sleep(down) // the service stays down
	took, err := r.svc.start()
	k.restart = took
	r.mu.Lock()
	r.kills = append(r.kills, k)
	if err != nil && r.startErr == nil {
		r.startErr = err
	}
	r.mu.Unlock()
	if err != nil {
		r.j.add("", "restart failed: %v", err)
		return
	}
	r.markReady()
	r.j.add("", "incarnation %d up after %v", r.svc.incarnation(), took.Round(time.Millisecond))
}

func (r *run) soak() {
	t := r.t
	t.Logf("seed %d (SOAK_SEED=%d repeats the random choices of kill and stall points), %d waves of %d customers, %s mode",
		r.seed, r.seed, r.p.waves, r.p.customers, r.mode)
	if _, err := r.svc.start(); err != nil {
		t.Fatal(err)
	}
	r.markReady()
	defer r.svc.kill() // whatever happens, no process is left behind
	began := time.Now()
	for w := range r.p.waves {
		r.wave(w + 1)
		if r.startErr != nil {
			t.Fatalf("the service did not start again after a kill: %v\n%s", r.startErr, strings.Join(r.j.service(), "\n"))
		}
	}
	if r.p.finalRecovery {
		// Start-up recovery finishes a cut-off turn once WeChat has stopped retrying it; a
		// restart that late shows what it sends.
		time.Sleep(recoverAfter)
		r.killAndRestart("idle, for recovery", 0)
	}
	soakTook := time.Since(began)
	r.settle()
	stopTook, exit := r.stop()
	db := r.readDatabase()
	if until := r.undecidedUntil(db); r.p.resolve && !until.IsZero() {
		// A kill cut off sends the outbox decides only once their claims are StaleClaim old:
		// let it, and check what it did.
		r.j.add("", "cut-off sends not decided yet: start again and leave the outbox until %v from now", time.Until(until).Round(time.Second))
		if _, err := r.svc.start(); err != nil {
			t.Fatalf("the service did not start again to decide the cut-off sends: %v", err)
		}
		r.markReady()
		time.Sleep(time.Until(until))
		r.settle()
		took, how := r.stop()
		stopTook, exit = max(stopTook, took), exit+"; after deciding the cut-off sends: "+how
		db = r.readDatabase()
	}
	res := r.check(db)
	res.soakTook, res.stopTook, res.exit = soakTook, stopTook, exit
	r.report(res)
}

// stop asks the service to stop (SIGTERM) and waits for it.
func (r *run) stop() (time.Duration, string) {
	r.stoppedAt = time.Now()
	took, exit := r.svc.stop(time.Minute)
	r.j.add("", "stopped (SIGTERM) in %v: %s", took.Round(time.Millisecond), exit)
	return took, exit
}

// markReady notes when the running incarnation became ready.
func (r *run) markReady() {
	r.svc.mu.Lock()
	r.lastReady = r.svc.upSince
	r.svc.mu.Unlock()
}

// undecidedUntil returns when the outbox will have decided every cut-off send it had not
// decided at the stop (its claim younger than StaleClaim, or its one resend not yet due), and
// sent again what its rule sends again; zero when there is none.
func (r *run) undecidedUntil(db *database) time.Time {
	var until time.Time
	for _, ms := range db.outbox {
		for _, m := range ms {
			st := r.sendStateOf(db, m)
			var at time.Time
			switch st.verdict {
			case verdictUndecided: // decided at a poll after StaleClaim, sent again after the backoff
				at = st.open.At.Add(outboxStaleClaim + outboxPoll + outboxBackoff(m.Attempts+1) + outboxPoll)
			case verdictResendDue:
				at = m.NextAt.Add(outboxPoll)
			default:
				continue
			}
			if at = at.Add(decideSlack); at.After(until) {
				until = at
			}
		}
	}
	return until
}

// wave walks a wave of customers to the read-back with a kill at a random moment (and, in some
// waves, another one during the restart's recovery), then has them all confirm at once with a
// kill while the confirmations are in flight.
func (r *run) wave(w int) {
	cs := make([]*customer, r.p.customers)
	for i := range cs {
		cs[i] = newCustomer(r.mode, w, i)
	}
	r.customers = append(r.customers, cs...)

	// Intake: a full complaint is 7 messages up to the read-back; kill (and in some waves stall)
	// the service after a random number of them were acknowledged.
	var acked atomic.Int64
	threshold := int64(10 + r.intn(len(cs)*7*3/4-10))
	again := r.p.startupEvery > 0 && w%r.p.startupEvery == 0
	stop, killed := make(chan struct{}), make(chan struct{})
	type event struct {
		at int64 // after this many acknowledged messages
		do func()
	}
	events := []event{{threshold, func() {
		r.killAndRestart("intake", 0)
		if again {
			time.Sleep(time.Duration(r.intn(400)) * time.Millisecond) // a random moment of the start-up
			r.killAndRestart("start-up", 0)
		}
	}}}
	if r.p.intakeStallEvery > 0 && (w-1)%r.p.intakeStallEvery == 0 {
		events = append(events, event{int64(10 + r.intn(len(cs)*7*3/4-10)), func() { r.stall("intake") }})
	}
	slices.SortFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	go func() {
		defer close(killed)
		for _, e := range events {
		wait:
			for acked.Load() < e.at {
				select {
				case <-stop: // the intake is over: still kill now, between the phases
					break wait
				case <-time.After(time.Millisecond):
				}
			}
			e.do()
		}
	}()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.intake(r, func() { acked.Add(1) })
		}()
	}
	wg.Wait()
	close(stop)
	<-killed

	// The read-back reached: everyone confirms at once; once a random number of the
	// confirmations have been answered, the rest in flight, kill the service (or stall it and
	// kill it while the outbox sends the answers, or keep it down past WeChat's retries).
	var ready []*customer
	for _, c := range cs {
		if c.readback {
			ready = append(ready, c)
		}
	}
	r.j.add("", "wave %d: %d of %d customers confirm at once", w, len(ready), len(cs))
	startedBase, endedBase := r.wx.confirmStarted.Load(), r.wx.confirmEnded.Load()
	// The confirmations are answered in groups (their writes go to the database together), so
	// the kill comes within a few milliseconds of the first few answers: later, every one of
	// them may be answered already.
	answered := int64(r.intn(min(4, len(ready))))
	jitter := time.Duration(r.intn(2_000)) * time.Microsecond
	burst := make(chan time.Time, 1)
	stop, killed = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(killed)
		began := <-burst
		for r.wx.confirmStarted.Load()-startedBase < int64(len(ready)) || r.wx.confirmEnded.Load()-endedBase < answered {
			select {
			case <-stop:
				r.killAndRestart("after the confirmations", 0) // they were all answered first
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
		time.Sleep(jitter)
		switch r.p.variant(w) {
		case outageVariant:
			r.killAndRestart("confirmations, long outage", outage)
		case stallVariant:
			r.killAndRestart("confirmations", 0)
			// WeChat sends the cut-off confirmations again 5 s after their first try: stall
			// the service with the retries in it, so they are answered "success" at its end,
			// and kill it while their answers are being stored, queued and sent.
			time.Sleep(time.Until(began.Add(wechatWait + 50*time.Millisecond)))
			r.stall("confirmation retries")
			time.Sleep(time.Duration(200+r.intn(1300)) * time.Millisecond)
			r.killAndRestart("confirmations, after a stall", 0)
		default:
			r.killAndRestart("confirmations", 0)
		}
	}()
	start := make(chan struct{})
	for _, c := range ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c.confirm(r)
		}()
	}
	burst <- time.Now()
	close(start)
	wg.Wait()
	close(stop)
	<-killed
}

// stall freezes the service for stallFor.
func (r *run) stall(phase string) {
	r.j.add("", "stall (SIGSTOP for %v, %s) of incarnation %d: %d tries in flight, %d of them 确认",
		stallFor, phase, r.svc.incarnation(), r.wx.inflight.Load(), r.wx.confirmInflight.Load())
	at := r.j.since()
	r.svc.stall(stallFor)
	r.mu.Lock()
	r.stalls++
	r.stallsAt = append(r.stallsAt, at)
	r.mu.Unlock()
	r.j.add("", "stall over")
}

// settle waits until the service has sent nothing for a while (the outbox polls every 5 s), and
// while messages answered "success" still await an answer through the fake WeChat, until the
// last incarnation has been up as long as a customer waits for one, so that late deliveries and
// duplicates are in the fake WeChat before the check. (An answer whose send a kill cut off comes
// only once the outbox has decided it: minutes later, see resolve.)
func (r *run) settle() {
	const quiet, limit = 6 * time.Second, 45 * time.Second
	begin := time.Now()
	n, since := len(r.fake.Sent()), time.Now()
	waiting := func() bool {
		r.svc.mu.Lock()
		up := r.svc.upSince
		r.svc.mu.Unlock()
		return r.awaitingLate() > 0 && time.Since(up) < lateWait
	}
	for (time.Since(since) < quiet || waiting()) && time.Since(begin) < limit {
		time.Sleep(100 * time.Millisecond)
		if m := len(r.fake.Sent()); m != n {
			n, since = m, time.Now()
		}
	}
	r.j.add("", "settled after %v: %d messages answered success still without an answer", time.Since(begin).Round(time.Millisecond), r.awaitingLate())
}

// awaitingLate counts the messages answered success whose customer has received nothing since.
func (r *run) awaitingLate() int {
	n := 0
	for _, c := range r.customers {
		var last int64
		for _, m := range r.fake.SentTo(c.openID) {
			last = max(last, m.Seq)
		}
		for _, d := range c.msgs {
			if d.outcome == success && !d.lateSeen && last <= d.seqAtAck {
				n++
			}
		}
	}
	return n
}
