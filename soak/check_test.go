package soak

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// What the check reads of the database.
type (
	dbTurn struct {
		ID      string    `bson:"_id"`
		OpenID  string    `bson:"openid"`
		Dedupe  string    `bson:"dedupe"`
		At      time.Time `bson:"at"`
		Replies []string  `bson:"replies"`
		Cases   []string  `bson:"cases"`
		In      struct {
			Type string `bson:"type"`
			Text string `bson:"text"`
		} `bson:"in"`
	}
	dbOutbox struct {
		ID        string    `bson:"_id"`
		OpenID    string    `bson:"openid"`
		Text      string    `bson:"text"`
		Purpose   string    `bson:"purpose"`
		Status    string    `bson:"status"`
		Attempts  int       `bson:"attempts"`
		Unknowns  int       `bson:"unknowns"`
		NextAt    time.Time `bson:"next_at"`
		LastError string    `bson:"last_error"`
	}
	// dbAttempt is a claimed delivery attempt (storage.ClaimAttempt): _id is "<outbox id>#<n>",
	// owner "<host>:<pid>" of the process that claimed it.
	dbAttempt struct {
		ID    string    `bson:"_id"`
		Owner string    `bson:"owner"`
		At    time.Time `bson:"at"`
	}
	dbCase struct {
		Number     string `bson:"_id"`
		OpenID     string `bson:"openid"`
		SourceTurn string `bson:"source_turn"`
	}
)

// database is what the service stored, read after it stopped.
type database struct {
	turns      map[string]dbTurn            // by id
	turnsByMsg map[int64][]dbTurn           // by the WeChat MsgId in their dedupe key
	cases      map[string][]dbCase          // by openid
	outbox     map[string][]dbOutbox        // by openid
	attempts   map[string]map[int]dbAttempt // claimed delivery attempts, by outbox id and number
	listed     map[string]bool              // outbox ids on the list for a person (storage.UndeliverableOutbox)
	pending    []storage.PendingTurn        // pending-turn marks left (start-up recovery would finish them)
}

// readDatabase opens the stopped service's data folder and reads turns, cases and the outbox.
func (r *run) readDatabase() *database {
	t := r.t
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := storage.Open(ctx, storage.Options{DataDir: filepath.Join(r.dir, "data"),
		Database: config.Default().MongoDB.Database, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open the service's data folder after the soak: %v", err)
	}
	defer st.Close(context.Background())
	db := &database{turns: map[string]dbTurn{}, turnsByMsg: map[int64][]dbTurn{}, cases: map[string][]dbCase{},
		outbox: map[string][]dbOutbox{}, attempts: map[string]map[int]dbAttempt{}, listed: map[string]bool{}}
	var turns []dbTurn
	readAll(t, ctx, st, "turns", &turns)
	for _, tu := range turns {
		db.turns[tu.ID] = tu
		id, ok := msgIDOf(tu.Dedupe)
		if !ok {
			continue // a turn of no WeChat message (an agent's control turn, say)
		}
		db.turnsByMsg[id] = append(db.turnsByMsg[id], tu)
	}
	var cases []dbCase
	readAll(t, ctx, st, "cases", &cases)
	for _, c := range cases {
		db.cases[c.OpenID] = append(db.cases[c.OpenID], c)
	}
	var out []dbOutbox
	readAll(t, ctx, st, "outbox", &out)
	for _, m := range out {
		db.outbox[m.OpenID] = append(db.outbox[m.OpenID], m)
	}
	var claims []dbAttempt
	readAll(t, ctx, st, "outbox_attempts", &claims)
	for _, c := range claims {
		i := strings.LastIndexByte(c.ID, '#')
		n, err := strconv.Atoi(c.ID[i+1:])
		if i <= 0 || err != nil {
			t.Fatalf("delivery claim %q: want <outbox id>#<attempt>: the soak no longer knows how claims are named", c.ID)
		}
		if db.attempts[c.ID[:i]] == nil {
			db.attempts[c.ID[:i]] = map[int]dbAttempt{}
		}
		db.attempts[c.ID[:i]][n] = c
	}
	// The call list a person works through: what it holds is what the console shows.
	list, err := st.UndeliverableOutbox(ctx, 1_000_000)
	if err != nil {
		t.Fatalf("list the messages that need a person: %v", err)
	}
	for _, m := range list {
		db.listed[m.ID] = true
	}
	if db.pending, err = st.PendingTurns(ctx); err != nil {
		t.Fatalf("read the pending-turn marks: %v", err)
	}
	if len(turns) > 0 && len(db.turnsByMsg) == 0 {
		t.Fatalf("none of the %d turns has a dedupe key ending in the WeChat MsgId (e.g. m:123): the soak no longer knows how turns name their message", len(turns))
	}
	return db
}

func readAll(t interface{ Fatalf(string, ...any) }, ctx context.Context, st *storage.Store, coll string, into any) {
	cur, err := st.ScanCollection(coll).Find(ctx, bson.D{})
	if err != nil {
		t.Fatalf("read %s: %v", coll, err)
	}
	if err := cur.All(ctx, into); err != nil {
		t.Fatalf("read %s: %v", coll, err)
	}
}

// msgIDOf takes the MsgId from a dedupe key such as "m:123" (whatever the prefix).
func msgIDOf(key string) (int64, bool) {
	i := strings.LastIndexByte(key, ':')
	n, err := strconv.ParseInt(key[i+1:], 10, 64)
	return n, err == nil && n > 0
}

// result is what the check counted.
type result struct {
	customers, messages, tries, retried int
	byOutcome                           map[outcome]int

	fromStored     int // retries answered from the turn an earlier, cut-off try had stored
	confirmRetried int // 确认 messages that took more than one try
	lost           int // acknowledged, no turn
	doubledTurns   int // one message, several turns
	busyStored     int // answered busy, yet stored (the customer sends it again)
	givenUpStored  int // WeChat gave up, the service had stored it
	confirming     int // customers who sent 确认
	confirmAcked   int // … of which acknowledged
	casesDoubled   int // customers with more than one case
	casesMissing   int // acknowledged 确认, no case (a failure)
	casesOwed      int // no case yet: its turn is stored, start-up recovery owes its effects (not due before the stop)
	casesStray     int // a case not registered by one of the customer's 确认 (or of no customer)
	toldOnce       int // acknowledged 确认 told exactly once
	toldPassive    int // … of which in the passive reply
	toldNever      int // acknowledged 确认 never told, no cut-off send to account for it (a failure)
	toldTwice      int // told more than once (acknowledged or not), no cut-off send to account for it (a failure)
	owedRecovery   int // not told yet: start-up recovery owes the registration's answer, not due before the stop
	unackedCase    int // 确认 never acknowledged, case registered
	unackedTold    int // … and told (through the outbox)
	lateTurns      int // messages answered "success": their replies go through the outbox
	lateMissing    int // replies of those never queued, or marked sent and never received (a failure)
	sentSurplus    int // deliveries beyond what the outbox's attempts could have made (a failure)
	stuck          int // customers who never reached the read-back
	cut            cutCounts
	marks          markCounts
	failures       []failure
	soakTook       time.Duration
	stopTook       time.Duration
	exit           string
	sentTotal      int
}

// cutCounts counts the cut-off sends: outbox messages one of whose attempts a kill cut off
// between its claim and its recorded outcome. WeChat's send API takes no idempotency key and
// cannot be asked what arrived, so whether the customer got such an attempt is unknown: that is
// no failure as long as the outbox follows its rule for the message's purpose
// (scheduler.OutboxWorker.unknownOutcome): a late bot reply is sent once more (the customer may
// see it twice, never three times), a second unknown outcome is not sent again and is listed;
// anything else is not sent again and is listed for a person (storage.UndeliverableOutbox).
type cutCounts struct {
	messages    int            // outbox messages with a cut-off attempt
	replies     int            // … of which late bot replies (purpose reply)
	byPhase     map[string]int // by the phase of the kill that cut them off
	resentOnce  int            // sent again; the fake WeChat got it once
	resentTwice int            // sent again; the fake WeChat got it twice (the cut-off attempt had reached it)
	listed      int            // not sent again: outcome unknown, on the list for a person
	undecided   int            // claim younger than the outbox's stale-claim age at the check: not decided yet
	resendDue   int            // decided unknown, its one resend not yet due at the check
	toldTwice   int            // customers told their case number twice because of one
	toldNever   int            // acknowledged 确认 never told because of one (not sent again, or not decided yet)
	neverListed int            // … of which the registration message is on the list for a person
}

// markCounts counts the pending-turn marks left at the end (storage.PendingTurns): start-up
// recovery queues the stored replies of a marked turn for the outbox.
type markCounts struct {
	left     int // marks in all
	answered int // … of messages WeChat got an answer for: recovery would send that answer again
	killed   int // … of which the incarnation that answered was killed within markGrace after (plus any stall)
	passive  int // … of which passive answers: start-up recovery will send them again (told twice)
}

// The outbox's rules the check holds the service to: config defaults, and scheduler's for what
// app leaves unset.
var (
	outboxPoll        = config.Default().Outbox.PollInterval.D()
	outboxMaxAttempts = config.Default().Outbox.MaxAttempts
)

const (
	// outboxStaleClaim is how old a claimed attempt with no outcome must be before the outbox
	// takes it as cut off mid-send (scheduler.OutboxWorker's default StaleClaim; app sets none).
	outboxStaleClaim = 2 * time.Minute
	// decideSlack is how long past due the check gives the outbox to act (beyond a poll).
	decideSlack = 10 * time.Second
	// markGrace is how long after writing an answer the webhook may take to clear the turn's
	// pending mark (bot.Webhook.answered allows its database write 5 s).
	markGrace = 5 * time.Second
)

// outboxBackoff is the outbox's wait before attempt n+1 (scheduler's backoff).
func outboxBackoff(n int) time.Duration { return min(10*time.Second<<min(n-1, 9), time.Hour) }

// How the outbox's rule played out for a cut-off send.
const (
	verdictResent    = "sent again"
	verdictListed    = "not sent again, on the list for a person"
	verdictUndecided = "not decided yet: claim younger than the outbox's stale-claim age"
	verdictResendDue = "decided unknown, its one resend not yet due"
)

// sendState is what became of one outbox message, read from its attempts.
type sendState struct {
	m dbOutbox
	// open is the attempt claimed after the last recorded outcome: under way when the process
	// that claimed it ended; openBy is that process's incarnation, openKilled whether a kill
	// ended it.
	open       *dbAttempt
	openBy     int
	openKilled bool
	killedBy   []int  // the incarnations that claimed one of its attempts and were killed
	cut        bool   // a kill cut off one of its attempts: an unknown outcome, or the open claim of a killed incarnation
	lo, hi     int    // how many times WeChat can have received it
	verdict    string // for a cut-off send: how the outbox's rule played out
	problems   []string
}

// sendStateOf reads the outbox message's attempts and holds them to the outbox's rules.
func (r *run) sendStateOf(db *database, m dbOutbox) sendState {
	st := sendState{m: m}
	fail := func(format string, args ...any) { st.problems = append(st.problems, fmt.Sprintf(format, args...)) }
	killedClaims := 0
	for n, a := range db.attempts[m.ID] {
		inc, killed := r.svc.incarnationOf(ownerPID(a.Owner))
		if killed {
			if !slices.Contains(st.killedBy, inc) {
				st.killedBy = append(st.killedBy, inc)
			}
			if n <= m.Attempts {
				killedClaims++
			}
		}
		switch {
		case n == m.Attempts+1:
			st.open, st.openBy, st.openKilled = &a, inc, killed
		case n > m.Attempts+1:
			fail("attempt %d was claimed, though only %d have an outcome", n, m.Attempts)
		}
	}
	slices.Sort(st.killedBy)
	openCut := st.open != nil && st.openKilled
	st.cut = m.Unknowns > 0 || openCut
	// Each attempt with an unknown outcome, and the open one, may have reached WeChat; a sent one did.
	st.hi = m.Unknowns
	if st.open != nil {
		st.hi++
	}
	if m.Status == string(complaintbot.OutboxSent) {
		st.lo, st.hi = 1, st.hi+1
	}
	if st.open != nil && !st.openKilled {
		fail("attempt %d was claimed by incarnation %d, which was stopped, not killed, and has no outcome", m.Attempts+1, st.openBy)
	}
	if m.Unknowns > killedClaims {
		fail("%d unknown outcomes, but only %d of its attempts were claimed by an incarnation that was killed (a send without an answer?)", m.Unknowns, killedClaims)
	}
	stop := r.stoppedAt
	switch complaintbot.OutboxStatus(m.Status) {
	case complaintbot.OutboxSent:
		if m.Unknowns > 0 {
			st.verdict = verdictResent
			if m.Purpose != complaintbot.PurposeReply {
				fail("sent again after an unknown outcome, though a %s message is never sent again", m.Purpose)
			}
			if m.Unknowns > 1 {
				fail("sent again after its second unknown outcome (a late reply is sent again once)")
			}
		}
	case complaintbot.OutboxUnknown:
		st.verdict = verdictListed
		if !db.listed[m.ID] && m.Purpose != complaintbot.PurposeSystem {
			fail("outcome unknown and not sent again, yet not on the list for a person (storage.UndeliverableOutbox)")
		}
		if m.Purpose == complaintbot.PurposeReply && m.Unknowns < 2 && m.Attempts < outboxMaxAttempts {
			fail("a late reply not sent again after its first unknown outcome")
		}
	case complaintbot.OutboxPending:
		switch {
		case openCut:
			if due := st.open.At.Add(outboxStaleClaim + outboxPoll + decideSlack); stop.Before(due) {
				st.verdict = verdictUndecided
			} else {
				fail("attempt %d cut off at %s is still undecided %v later", m.Attempts+1, st.open.At.Format("15:04:05.000"), stop.Sub(st.open.At).Round(time.Second))
			}
		case m.Unknowns > 0:
			if stop.Before(m.NextAt.Add(outboxPoll + decideSlack)) {
				st.verdict = verdictResendDue
			} else {
				fail("its resend after an unknown outcome was due at %s and never made", m.NextAt.Format("15:04:05.000"))
			}
		case st.open == nil && stop.After(m.NextAt.Add(outboxPoll+decideSlack)):
			fail("due at %s, never sent", m.NextAt.Format("15:04:05.000"))
		}
	case complaintbot.OutboxFailed, complaintbot.OutboxUndeliverable:
		fail("given up: %s", m.LastError)
	}
	return st
}

// recoveryPass returns when the last incarnation's start-up recovery finishes a turn marked
// pending at markAt (it runs at the start and, while marks are left, every recoverSettle after,
// and finishes the marks recoverSettle old), and whether that was due before the stop.
func (r *run) recoveryPass(markAt time.Time) (time.Time, bool) {
	pass := r.lastReady
	for pass.Sub(markAt) < recoverSettle {
		pass = pass.Add(recoverSettle)
	}
	return pass, pass.Add(decideSlack).Before(r.stoppedAt)
}

// ownerPID is the process id in a claim's owner ("<host>:<pid>").
func ownerPID(owner string) int {
	n, _ := strconv.Atoi(owner[strings.LastIndexByte(owner, ':')+1:])
	return n
}

// describe says what a kill did to a cut-off send, for a failure's text.
func (r *run) describe(st sendState) string {
	var kills []string
	for _, inc := range st.killedBy {
		kills = append(kills, fmt.Sprintf("#%d (%s)", r.killOf(inc).n, r.killOf(inc).phase))
	}
	return fmt.Sprintf("outbox %s: an attempt cut off by kill %s; %s", logID(st.m), strings.Join(kills, ", "), st.verdict)
}

// killOf returns the kill that ended incarnation n.
func (r *run) killOf(n int) kill {
	for _, k := range r.kills {
		if k.incarnation == n {
			return k
		}
	}
	return kill{phase: "a kill the soak did not plan"}
}

// logID is an outbox id as the service's logs show it (the openid in it masked).
func logID(m dbOutbox) string {
	return strings.ReplaceAll(m.ID, m.OpenID, complaintbot.MaskOpenID(m.OpenID))
}

// check compares what the customers saw with the database and the fake WeChat.
func (r *run) check(db *database) *result {
	res := &result{byOutcome: map[outcome]int{}, sentTotal: len(r.fake.Sent()), cut: cutCounts{byPhase: map[string]int{}}}
	known := map[string]bool{}
	for _, c := range r.customers {
		known[c.openID] = true
		r.checkCustomer(c, db, res)
	}
	for openID, cs := range db.cases {
		if !known[openID] {
			res.casesStray += len(cs)
			res.failures = append(res.failures, failure{who: openID, problems: []string{fmt.Sprintf("%d cases, but no customer has this openid", len(cs))}})
		}
	}
	for openID, ms := range db.outbox {
		if !known[openID] {
			res.failures = append(res.failures, failure{who: openID, problems: []string{fmt.Sprintf("%d outbox messages, but no customer has this openid", len(ms))}})
		}
	}
	res.marks.left = len(db.pending)
	return res
}

func (r *run) checkCustomer(c *customer, db *database, res *result) {
	res.customers++
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if c.stuck != "" {
		res.stuck++
		fail("stuck: %s", c.stuck)
	}
	marks := map[int64]storage.PendingTurn{}
	for _, p := range db.pending {
		if id, ok := msgIDOf(p.Dedupe); ok && p.OpenID == c.openID {
			marks[id] = p
		}
	}

	// Every acknowledged message has its turn, once; the replies of those answered "success" are
	// queued for the outbox.
	sent := r.fake.SentTo(c.openID)
	have := map[string]int{}
	for _, m := range sent {
		have[sentText(m)]++
	}
	need := map[string]int{}
	for _, d := range c.msgs {
		res.messages++
		res.tries += len(d.tries)
		if len(d.tries) > 1 {
			res.retried++
		}
		res.byOutcome[d.outcome]++
		if d.confirm && len(d.tries) > 1 {
			res.confirmRetried++
		}
		turns := db.turnsByMsg[d.msgID]
		if len(turns) == 1 && len(d.tries) > 1 && d.outcome.acknowledged() &&
			turns[0].At.Before(r.j.begin.Add(d.tries[len(d.tries)-1].start)) {
			res.fromStored++
		}
		if len(turns) > 1 {
			res.doubledTurns++
			fail("message %d %q is in %d turns: %v", d.msgID, d.text, len(turns), turnIDs(turns))
		}
		switch d.outcome {
		case replied, success:
			if len(turns) == 0 {
				res.lost++
				fail("message %d %q was acknowledged (%s) but no turn has it", d.msgID, d.text, d.outcome)
			}
		case busy:
			if len(turns) > 0 {
				res.busyStored++
				fail("message %d %q was answered %q, yet stored as turn %s (the customer sends it again)", d.msgID, d.text, excerpt(d.reply, 20), turns[0].ID)
			}
		case givenUp:
			if len(turns) > 0 {
				res.givenUpStored++
			}
		case garbled:
			fail("message %d %q got an answer WeChat cannot show: %s", d.msgID, d.text, d.tries[len(d.tries)-1].describe())
		}
		if p, ok := marks[d.msgID]; ok {
			r.checkMark(d, p, res, fail)
		}
		if len(turns) == 0 {
			continue
		}
		if d.outcome == success {
			res.lateTurns++
			for _, rep := range turns[0].Replies {
				need[rep]++
			}
		}
	}

	// Every outbox message: its attempts follow the outbox's rules, and the fake WeChat got it as
	// often as they allow: once when sent cleanly; after a cut-off attempt as the rule says.
	var states []sendState
	lo, hi, queued := map[string]int{}, map[string]int{}, map[string]int{}
	for _, m := range db.outbox[c.openID] {
		st := r.sendStateOf(db, m)
		states = append(states, st)
		lo[m.Text] += st.lo
		hi[m.Text] += st.hi
		queued[m.Text]++
		for _, p := range st.problems {
			fail("outbox %s (%s, %s, %d attempts, %d unknown): %s", logID(m), m.Purpose, m.Status, m.Attempts, m.Unknowns, p)
		}
	}
	for text, n := range need {
		if queued[text] < n {
			res.lateMissing += n - queued[text]
			fail("%d× answered success, its reply never queued for the outbox: %q", n-queued[text], excerpt(text, 40))
		}
	}
	for text, n := range lo {
		if have[text] < n {
			res.lateMissing += n - have[text]
			fail("%d× marked sent in the outbox, never received by the fake WeChat: %q", n-have[text], excerpt(text, 40))
		}
	}
	for text, n := range have {
		if n > hi[text] {
			res.sentSurplus += n - hi[text]
			fail("received %d× by the fake WeChat, though the outbox's attempts at it could deliver it at most %d×: %q", n, hi[text], excerpt(text, 40))
		}
	}
	for _, st := range states {
		if !st.cut {
			continue
		}
		res.cut.messages++
		if st.m.Purpose == complaintbot.PurposeReply {
			res.cut.replies++
		}
		for _, inc := range st.killedBy {
			res.cut.byPhase[r.killOf(inc).phase]++
		}
		switch st.verdict {
		case verdictResent:
			// What the fake got of this text beyond the other messages with the same text.
			if have[st.m.Text]-(lo[st.m.Text]-st.lo) >= 2 {
				res.cut.resentTwice++
			} else {
				res.cut.resentOnce++
			}
		case verdictListed:
			res.cut.listed++
		case verdictUndecided:
			res.cut.undecided++
		case verdictResendDue:
			res.cut.resendDue++
		}
	}

	// One case per confirmation, told exactly once (or as a cut-off send's rule allows).
	cases := db.cases[c.openID]
	if len(c.confirms) == 0 {
		if len(cases) > 0 {
			res.casesStray += len(cases)
			fail("%d cases, but the customer never sent 确认: %v", len(cases), caseNumbers(cases))
		}
	} else {
		res.confirming++
		acked := slices.ContainsFunc(c.confirms, func(d *delivery) bool { return d.outcome.acknowledged() })
		if acked {
			res.confirmAcked++
		}
		if len(cases) > 1 {
			res.casesDoubled++
			fail("%d cases for one confirmation: %v", len(cases), caseNumbers(cases))
		}
		for _, cs := range cases {
			tu, ok := db.turns[cs.SourceTurn]
			id, _ := msgIDOf(tu.Dedupe)
			if !ok || !slices.ContainsFunc(c.confirms, func(d *delivery) bool { return d.msgID == id }) {
				res.casesStray++
				fail("case %s was registered by turn %s (message %d, %q), not by one of the customer's 确认", cs.Number, cs.SourceTurn, id, tu.In.Text)
			}
		}
		why := ""
		if len(cases) == 0 {
			// A kill between the turn and its effects leaves the case to start-up recovery (the
			// turn's pending mark), which registers it once the mark is recoverSettle old.
			var owed bool
			var cs dbCase
			if cs, owed, why = r.owedCase(c, db); owed {
				res.casesOwed++
				cases = []dbCase{cs} // the customer is to be told its number all the same
			}
		}
		switch {
		case len(cases) == 0 && acked:
			res.casesMissing++
			fail("确认 acknowledged, no case registered%s", why)
		case len(cases) >= 1:
			r.checkTold(c, cases[0], acked, sent, states, db, res, fail)
		}
	}
	if len(problems) > 0 {
		res.failures = append(res.failures, failure{who: c.openID, problems: problems, evidence: r.evidence(c, db, problems)})
	}
}

// owedCase finds the case a 确认 turn of the customer registered (stored with the turn) whose
// record is missing because a kill came before the turn's effects were carried out: start-up
// recovery owes it while the turn's pending mark is there and recovery's pass for it has not come
// before the stop. Otherwise why says what became of such a turn.
func (r *run) owedCase(c *customer, db *database) (dbCase, bool, string) {
	for _, d := range c.confirms {
		for _, tu := range db.turnsByMsg[d.msgID] {
			if len(tu.Cases) == 0 || !slices.ContainsFunc(tu.Replies, func(s string) bool { return strings.Contains(s, tu.Cases[len(tu.Cases)-1]) }) {
				continue
			}
			cs := dbCase{Number: tu.Cases[len(tu.Cases)-1], OpenID: c.openID, SourceTurn: tu.ID}
			for _, p := range db.pending {
				if p.Turn == tu.ID {
					if pass, due := r.recoveryPass(p.At); due {
						return cs, false, fmt.Sprintf(" (turn %s registered case %s; its pending mark was due for start-up recovery at %s)", tu.ID, cs.Number, pass.Format("15:04:05.000"))
					}
					return cs, true, ""
				}
			}
			return cs, false, fmt.Sprintf(" (turn %s registered case %s, told in its reply; the case record is missing and the turn's pending mark is gone, so nothing will create it)", tu.ID, cs.Number)
		}
	}
	return dbCase{}, false, ""
}

// checkTold checks that the customer was told the case number once: passively, or by one
// outbox message. A cut-off send of the registration message may tell it twice (a late reply is
// sent again once), or never when it is not sent again (then it is on the list for a person) or
// not decided yet.
func (r *run) checkTold(c *customer, cs dbCase, acked bool, sent []fakewechat.Sent, states []sendState, db *database, res *result, fail func(string, ...any)) {
	number := cs.Number
	// WeChat never had the answer of the turn that registered the case: start-up recovery owes it,
	// once the mark is recoverSettle old; a check before that cannot see it told.
	owed := false
	for _, p := range db.pending {
		if p.Turn == cs.SourceTurn {
			_, due := r.recoveryPass(p.At)
			owed = !due
		}
	}
	passive := 0
	for _, d := range c.msgs {
		if d.outcome == replied && strings.Contains(d.reply, number) {
			passive++
		}
	}
	outbox := 0
	for _, m := range sent {
		if strings.Contains(sentText(m), number) {
			outbox++
		}
	}
	told := passive + outbox
	var reg []sendState // the outbox messages that tell the number
	regHi := 0
	for _, st := range states {
		if strings.Contains(st.m.Text, number) {
			reg = append(reg, st)
			regHi += st.hi
		}
	}
	var cuts []string
	undelivered, listed := false, false // a cut-off registration message that was not sent again (yet)
	for _, st := range reg {
		if st.cut {
			cuts = append(cuts, r.describe(st))
			if st.lo == 0 && len(st.problems) == 0 {
				undelivered = true
				listed = listed || st.verdict == verdictListed
			}
		}
	}
	note := ""
	if len(cuts) > 0 {
		note = " [" + strings.Join(cuts, "; ") + "]"
	}
	if told > 1 {
		if passive == 0 && len(cuts) > 0 && outbox <= regHi && len(reg) == 1 && len(reg[0].problems) == 0 {
			res.cut.toldTwice++
		} else {
			res.toldTwice++
			for _, d := range c.msgs {
				if k, ok := r.answerKilled(d); ok && d.outcome == replied && strings.Contains(d.reply, number) {
					note += fmt.Sprintf(" [answered passively at %.3fs; kill #%d (%s) of incarnation %d %v later came before the turn's pending mark was cleared, so start-up recovery sent the answer again]",
						d.tries[len(d.tries)-1].end.Seconds(), k.n, k.phase, k.incarnation, (k.at - d.tries[len(d.tries)-1].end).Round(time.Millisecond))
				}
			}
			fail("told case %s %d times (%d passive, %d customer-service messages from %d outbox messages)%s", number, told, passive, outbox, len(reg), note)
		}
	}
	if !acked {
		res.unackedCase++
	}
	switch {
	case acked && told == 1:
		res.toldOnce++
		if passive == 1 {
			res.toldPassive++
		}
	case told == 0 && owed:
		res.owedRecovery++
	case acked && told == 0:
		if undelivered {
			res.cut.toldNever++
			if listed {
				res.cut.neverListed++
			}
		} else {
			res.toldNever++
			fail("确认 acknowledged, case %s registered, customer never told its number%s", number, note)
		}
	case !acked && told > 0:
		res.unackedTold++
	case !acked && r.p.finalRecovery && !undelivered:
		fail("WeChat gave up on every 确认, case %s registered, customer never told its number (not even after start-up recovery)%s", number, note)
	}
}

// checkMark holds a pending-turn mark left at the end to its rules: the webhook clears it once
// the message's answer is written (passively, or queued for the outbox), so only a kill right
// after the answer leaves it for a message WeChat got an answer for (recovery would then send the
// answer again); for a message WeChat gave up on, start-up recovery finishes it once it is
// recoverSettle old.
func (r *run) checkMark(d *delivery, p storage.PendingTurn, res *result, fail func(string, ...any)) {
	last := d.tries[len(d.tries)-1]
	if !d.outcome.acknowledged() {
		if pass, due := r.recoveryPass(p.At); due {
			fail("message %d %q (%s): start-up recovery left the pending mark of turn %s, made at %s, though it was due at %s",
				d.msgID, d.text, d.outcome, p.Turn, p.At.Format("15:04:05.000"), pass.Format("15:04:05.000"))
		}
		return
	}
	res.marks.answered++
	if k, ok := r.answerKilled(d); ok {
		res.marks.killed++
		if d.outcome == replied { // a late answer's outbox messages are queued already: recovery adds nothing
			res.marks.passive++
			r.t.Logf("%s: message %d %q answered passively at %.3fs, incarnation %d killed %v later (#%d, %s) before the turn's pending mark was cleared: start-up recovery will send the answer again",
				d.who.openID, d.msgID, d.text, last.end.Seconds(), last.incarnation, (k.at - last.end).Round(time.Millisecond), k.n, k.phase)
		}
		return
	}
	fail("message %d %q was answered (%s) by incarnation %d at %.3fs, which lived on, yet its pending mark (turn %s) is left: start-up recovery would send the answer again",
		d.msgID, d.text, d.outcome, last.incarnation, last.end.Seconds(), p.Turn)
}

// answerKilled returns the kill of the incarnation that answered the message when it came so
// soon after the answer (markGrace, plus any stall) that the webhook may not yet have cleared
// the turn's pending mark.
func (r *run) answerKilled(d *delivery) (kill, bool) {
	last := d.tries[len(d.tries)-1]
	k := r.killOf(last.incarnation)
	grace := markGrace
	for _, at := range r.stallsAt {
		if at+stallFor >= last.start && at <= k.at { // a stall holds the clearing up
			grace += stallFor
		}
	}
	// k.at may come before last.end: the answer was written before the kill and read after it.
	return k, d.outcome.acknowledged() && k.n > 0 && k.at >= last.start && k.at <= last.end+grace
}

// failure is what went wrong for one customer.
type failure struct {
	who      string
	problems []string
	evidence string
}

// evidence is a failing customer's story: what went wrong, the messages and kills in order,
// what the fake WeChat received, the turns, cases and outbox rows, and the service's log lines.
func (r *run) evidence(c *customer, db *database, problems []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "customer %s (wave %d; the service's logs show %s):\n", c.openID, c.wave, complaintbot.MaskOpenID(c.openID))
	for _, p := range problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	b.WriteString("  timeline (** = the service):\n")
	for _, l := range r.j.of(c.openID) {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	b.WriteString("  fake WeChat received:\n")
	for _, m := range r.fake.SentTo(c.openID) {
		fmt.Fprintf(&b, "    #%d %s %s %q\n", m.Seq, m.At.Format("15:04:05.000"), m.Kind, excerpt(sentText(m), 50))
	}
	b.WriteString("  turns (by message):\n")
	for _, d := range c.msgs {
		for _, tu := range db.turnsByMsg[d.msgID] {
			fmt.Fprintf(&b, "    %s msg %d %q → %q\n", tu.ID, d.msgID, tu.In.Text, excerpt(strings.Join(tu.Replies, " | "), 60))
		}
	}
	for _, cs := range db.cases[c.openID] {
		fmt.Fprintf(&b, "  case %s from turn %s\n", cs.Number, cs.SourceTurn)
	}
	for _, m := range db.outbox[c.openID] {
		fmt.Fprintf(&b, "  outbox %s (%s) %s, %d attempts with an outcome, %d unknown, next %s, %q: %q\n", m.ID, m.Purpose, m.Status, m.Attempts, m.Unknowns,
			m.NextAt.Format("15:04:05.000"), excerpt(m.LastError, 80), excerpt(m.Text, 30))
		var ns []int
		for n := range db.attempts[m.ID] {
			ns = append(ns, n)
		}
		slices.Sort(ns)
		for _, n := range ns {
			a := db.attempts[m.ID][n]
			inc, killed := r.svc.incarnationOf(ownerPID(a.Owner))
			how := "not killed"
			if killed {
				k := r.killOf(inc)
				how = fmt.Sprintf("killed by #%d (%s) at %.3fs", k.n, k.phase, k.at.Seconds())
			}
			fmt.Fprintf(&b, "    attempt %d claimed %s (%.3fs) by incarnation %d, %s\n", n, a.At.Format("15:04:05.000"), a.At.Sub(r.j.begin).Seconds(), inc, how)
		}
	}
	for _, p := range db.pending {
		if p.OpenID == c.openID {
			fmt.Fprintf(&b, "  pending mark of turn %s (%s) made %s\n", p.Turn, p.Dedupe, p.At.Format("15:04:05.000"))
		}
	}
	masked := complaintbot.MaskOpenID(c.openID)
	logs := r.svc.grep(30, func(l string) bool { return strings.Contains(l, masked) })
	if len(logs) > 0 {
		b.WriteString("  service log lines naming the customer:\n")
		for _, l := range logs {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	return b.String()
}

func turnIDs(ts []dbTurn) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func caseNumbers(cs []dbCase) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Number)
	}
	return out
}

// report logs the counts and fails the test on any loss, doubling or wrong telling.
func (r *run) report(res *result) {
	t := r.t
	var inflight, confirmKills int
	var maxRestart time.Duration
	phases := map[string]int{}
	for _, k := range r.kills {
		phases[k.phase]++
		if k.confirmInflight > 0 {
			confirmKills++
			inflight += int(k.confirmInflight)
		}
		maxRestart = max(maxRestart, k.restart)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kill -9 soak, %s mode, seed %d: %d customers in %d waves, %v (then %v to stop: %s)\n",
		r.mode, r.seed, res.customers, r.p.waves, res.soakTook.Round(time.Second), res.stopTook.Round(time.Millisecond), res.exit)
	fmt.Fprintf(&b, "  kills: %d (%s); %d landed with 确认 in flight (%d 确认 in flight in all); restart to ready at most %v; stalls (SIGSTOP %v): %d\n",
		len(r.kills), phaseList(phases), confirmKills, inflight, maxRestart.Round(time.Millisecond), stallFor, r.stalls)
	fmt.Fprintf(&b, "  messages: %d (%d tries, %d retried): %d replied, %d success, %d busy, %d given up (%d of them stored), %d garbled\n",
		res.messages, res.tries, res.retried, res.byOutcome[replied], res.byOutcome[success], res.byOutcome[busy],
		res.byOutcome[givenUp], res.givenUpStored, res.byOutcome[garbled])
	fmt.Fprintf(&b, "  retries answered from the turn a cut-off try had stored: %d; 确认 retried: %d\n", res.fromStored, res.confirmRetried)
	fmt.Fprintf(&b, "  lost (acknowledged, no turn): %d; one message in several turns: %d; busy yet stored: %d\n",
		res.lost, res.doubledTurns, res.busyStored)
	fmt.Fprintf(&b, "  confirmations: %d customers, %d acknowledged; cases doubled: %d, missing: %d, stray: %d; not registered yet, owed by start-up recovery (not due before the stop): %d\n",
		res.confirming, res.confirmAcked, res.casesDoubled, res.casesMissing, res.casesStray, res.casesOwed)
	fmt.Fprintf(&b, "  told the case number: exactly once %d (%d passively, %d through the outbox), never %d, more than once %d; not yet, owed by start-up recovery (not due before the stop) %d; unacknowledged 确认 with a case: %d (%d told)\n",
		res.toldOnce, res.toldPassive, res.toldOnce-res.toldPassive, res.toldNever, res.toldTwice, res.owedRecovery, res.unackedCase, res.unackedTold)
	fmt.Fprintf(&b, "  answered success: %d messages; replies never queued or never received: %d; received more often than the outbox's attempts allow: %d; customers stuck: %d; fake WeChat received %d messages\n",
		res.lateTurns, res.lateMissing, res.sentSurplus, res.stuck, res.sentTotal)
	cc := res.cut
	var byPhase []string
	for _, p := range phaseOrder {
		if cc.byPhase[p] > 0 {
			byPhase = append(byPhase, fmt.Sprintf("%d %s", cc.byPhase[p], p))
		}
	}
	fmt.Fprintf(&b, "  cut-off sends (a kill between an attempt's claim and its outcome; no failure while the outbox's rule holds): %d outbox messages, %d of them late replies (by kill: %s)\n",
		cc.messages, cc.replies, orNone(strings.Join(byPhase, ", ")))
	fmt.Fprintf(&b, "    sent again and received once %d, twice %d; not sent again, on the list for a person %d; undecided at the check (claim younger than %v) %d; resend not yet due %d\n",
		cc.resentOnce, cc.resentTwice, cc.listed, outboxStaleClaim, cc.undecided, cc.resendDue)
	fmt.Fprintf(&b, "    customers told their case number twice because of one %d, never because of one %d (%d of them on the list for a person)\n",
		cc.toldTwice, cc.toldNever, cc.neverListed)
	fmt.Fprintf(&b, "  pending-turn marks left: %d; of messages WeChat had an answer for %d, %d of them as the answering incarnation was killed within %v after, %d of those passive answers that start-up recovery will send again\n",
		res.marks.left, res.marks.answered, res.marks.killed, markGrace, res.marks.passive)
	t.Log(b.String())
	if r.p.keep {
		r.keepFiles(b.String(), res)
	}
	r.svc.mu.Lock()
	exits := strings.Join(r.svc.exits, "; ")
	r.svc.mu.Unlock()
	t.Logf("service events:\n%s\nexits: %s", strings.Join(r.j.service(), "\n"), exits)

	want := r.p.kills()
	if len(r.kills) < want {
		t.Errorf("%d kills, want %d", len(r.kills), want)
	}
	if confirmKills == 0 {
		t.Errorf("no kill landed while confirmations were in flight: the soak did not test what it is for")
	}
	if len(res.failures) > 0 {
		var sum strings.Builder
		for _, f := range res.failures {
			fmt.Fprintf(&sum, "\n  %s: %s", f.who, strings.Join(f.problems, "; "))
		}
		t.Errorf("%d customers with problems (SOAK_SEED=%d repeats the random kill and stall points):%s", len(res.failures), r.seed, sum.String())
		const show = 3
		for i, f := range res.failures {
			if i == show {
				break
			}
			if f.evidence != "" {
				t.Log(f.evidence)
			}
		}
		errs := r.svc.grep(40, func(l string) bool { return strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") })
		if len(errs) > 0 {
			t.Logf("service errors:\n%s", strings.Join(errs, "\n"))
		}
	}
}

// phaseOrder lists the kill phases in the order the soak makes them.
var phaseOrder = []string{"intake", "start-up", "confirmations", "confirmations, after a stall", "confirmations, long outage", "after the confirmations", "idle, for recovery"}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func phaseList(m map[string]int) string {
	var parts []string
	for _, p := range phaseOrder {
		if m[p] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[p], p))
		}
	}
	return strings.Join(parts, ", ")
}

// keepFiles writes the counts, the whole timeline and every failing customer's story beside the
// kept data folder.
func (r *run) keepFiles(counts string, res *result) {
	var tl strings.Builder
	r.j.mu.Lock()
	for _, l := range r.j.lines {
		who := l.who
		if who == "" {
			who = "**"
		}
		fmt.Fprintf(&tl, "%9.3fs  %-16s %s\n", l.at.Seconds(), who, l.text)
	}
	r.j.mu.Unlock()
	var fs strings.Builder
	fs.WriteString(counts)
	for _, f := range res.failures {
		fs.WriteString("\n")
		if f.evidence != "" {
			fs.WriteString(f.evidence)
		} else {
			fmt.Fprintf(&fs, "%s: %s\n", f.who, strings.Join(f.problems, "; "))
		}
	}
	for name, text := range map[string]string{"journal.txt": tl.String(), "report.txt": fs.String()} {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o600); err != nil {
			r.t.Errorf("keep %s: %v", name, err)
		}
	}
}
