package conversations

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
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/keylock"
	"github.com/complaintbot/complaintbot/storage"
)

// Service applies customer messages to their conversations: it runs the conversation
// engine on the saved state, writes the turn with one insert (which is also the dedupe record and
// the version check), and then carries out the turn's effects. It is safe for concurrent use, and
// correct across several instances sharing one database.
type Service struct {
	store    *storage.Store
	engine   *flows.Engine
	registry *Registry
	clock    complaintbot.Clock
	log      *slog.Logger
	bus      *events.Bus

	// OnDuty, when set, reports whether agents are at work at a time: when they are not, the bot
	// offers a customer asking for a person to register the complaint now. Nil means always.
	OnDuty func(now time.Time) bool
	// AgentsBack, when set, returns when agents are next at work after a time (zero: unknown): the
	// bot tells a customer who joins the queue out of hours.
	AgentsBack func(now time.Time) time.Time
	// Risks, when set, is told of the risk flags the customer's messages raise (risk.go).
	Risks RiskFlags
	// Requests, when set, carries out the customer's withdrawals and reviews (requests.go).
	Requests CaseRequests

	locks    keylock.Set // one customer's messages are applied one after the other in this process
	cache    *stateCache
	answered answeredCache // recent answers, for WeChat's retries
}

// New wires the conversation service; it announces every applied turn on bus.
func New(store *storage.Store, engine *flows.Engine, registry *Registry, clock complaintbot.Clock, log *slog.Logger, bus *events.Bus) *Service {
	return &Service{store: store, engine: engine, registry: registry, clock: clock, log: log, bus: bus,
		cache: newStateCache(20000)}
}

// Message is one customer message to apply.
type Message struct {
	OpenID string
	// Dedupe identifies the message across WeChat's retries.
	Dedupe string
	Input  complaintbot.Input
	// OnLate, when set, is called on Handle's goroutine once the replies of a message past its
	// reply budget are queued for the outbox: from then on WeChat may be answered "success".
	OnLate func()
	// AfterReply, when set, leaves the stored turn's effects (the case written, its customer's
	// repeat count, the scheduler's entries…; not a queue entry) to Outcome.Finish, which the
	// caller must call once it has written the answer: the customer waits for one round trip the
	// less per effect. The customer's next message waits for Finish; a crash before it is
	// finished by Recover.
	AfterReply bool
}

// Outcome is what became of a message.
type Outcome struct {
	TurnID  string
	Replies []string
	// Late means the replies go out through the outbox (the passive deadline had passed).
	Late bool
	// Duplicate means the message had been applied before; Replies are the first answer's.
	Duplicate bool
	// Queued means this turn put the customer in the queue for a person.
	Queued bool
	// Handoff is who holds the conversation after the turn: "" the bot, "waiting", "agent".
	Handoff string
	// Pending means the turn's aftermath is marked as unfinished until the caller reports the
	// answer delivered with Answered; a crash before that is finished by Recover.
	Pending bool

	finish func(ctx context.Context)
}

// Finish applies the effects Handle left for after the answer (Message.AfterReply) and lets the
// customer's next message in; it does nothing for an outcome with none, and nothing the second
// time.
func (o Outcome) Finish(ctx context.Context) {
	if o.finish != nil {
		o.finish(ctx)
	}
}

// Handle applies the message. passive is called once the turn is ready to be written: it reports
// whether the caller can still answer passively; when it returns false the turn is marked late and
// its replies are queued for the outbox.
func (c *Service) Handle(ctx context.Context, m Message, passive func() bool) (Outcome, error) {
	unlock := c.locks.Lock(m.OpenID)
	held := true // until Outcome.Finish when the effects wait for it
	defer func() {
		if held {
			unlock()
		}
	}()

	if seen, ok := c.answered.get(m.Dedupe, c.clock.Now()); ok && seen.turn.OpenID == m.OpenID {
		return c.answeredAgain(ctx, seen, passive, m.lateQueued)
	}
	var reserved map[int]string // case numbers reserved by an earlier try of this message
	for range 8 {
		cur, err := c.current(ctx, m.OpenID, true)
		if err != nil {
			return Outcome{}, err
		}
		now := c.clock.Now()
		turn := &complaintbot.Turn{OpenID: m.OpenID, Version: cur.version + 1, Dedupe: m.Dedupe, At: now, In: m.Input, Cases: cur.cases}
		turn.ID = storage.TurnID(m.OpenID, turn.Version)

		var res flows.Result
		var effects []complaintbot.TurnEffect
		if cur.state.Handoff == "agent" {
			// An agent holds the conversation: the bot says nothing; the message is recorded.
			res.State = cur.state
			res.State.LastActive = now
		} else {
			res, err = c.engine.Handle(cur.state, m.Input, now, &customerFacts{ctx: ctx, store: c.store, numbers: cur.cases, openID: m.OpenID, now: now, onDuty: c.OnDuty, back: c.AgentsBack})
			if err != nil {
				return Outcome{}, fmt.Errorf("conversation engine: %w", err)
			}
			effects, reserved, err = c.prepare(ctx, turn, res, reserved)
			if err != nil {
				return Outcome{}, err
			}
		}
		// The turn belongs to the session going on, or begins the next one (design.md §9).
		res.State.Session = cur.state.NextSession()
		turn.Replies = append(turn.Replies, res.Replies...)
		queued := slices.ContainsFunc(effects, func(e complaintbot.TurnEffect) bool { return e.Type == complaintbot.EffectQueueForAgent })
		if queued { // the queue entry is keyed by this turn: leaving the queue closes it by _id
			res.State.HandoffID = turn.ID
		}
		for _, e := range effects {
			if e.Case != nil && e.Type == complaintbot.EffectCreateCase {
				turn.Replies = append(turn.Replies, c.engine.Registered(*e.Case))
			}
		}
		turn.State, turn.Effects = res.State, effects
		pending := len(effects) > 0
		if pending { // before the turn, so that after a crash the mark names it (see Recover)
			if err := c.store.MarkPending(ctx, storage.PendingTurn{Turn: turn.ID, OpenID: m.OpenID, Dedupe: m.Dedupe, At: now}); err != nil {
				return Outcome{}, err
			}
		}
		err = c.store.AppendTurn(ctx, turn)
		var dup *storage.DuplicateError
		if err != nil && pending { // the mark names a turn that is not this message's
			c.clearPending(ctx, turn.ID)
		}
		switch {
		case err == nil:
			c.cache.put(m.OpenID, cachedState{version: turn.Version, state: res.State, cases: turn.Cases})
			// Whether the answer can still go passively is decided once the turn is stored, so a
			// slow database write also ends in the outbox rather than in a lost reply.
			late := !passive()
			if late { // queued first: WeChat may have its "success" before the effects are done
				if err := c.queueLate(ctx, turn); err != nil {
					c.apply(ctx, turn.ID, m.OpenID, effects)
					return Outcome{}, err // nothing is answered: WeChat's retry queues them again
				}
				m.lateQueued()
			}
			c.answered.remember(turn, now, late, !pending)
			out := Outcome{TurnID: turn.ID, Replies: turn.Replies, Late: late, Queued: queued, Handoff: res.State.Handoff, Pending: pending}
			event := events.Event{Kind: events.Turn, OpenID: m.OpenID, Ref: turn.ID, At: now}
			// A queue entry is applied at once: the answer hands the customer to WeChat's
			// customer service in its mode, which must find the entry.
			if m.AfterReply && !late && pending && !queued {
				held = false // Finish lets the customer's next message in
				var once sync.Once
				out.finish = func(ctx context.Context) {
					once.Do(func() {
						defer unlock()
						c.applied(turn, c.apply(ctx, turn.ID, m.OpenID, effects))
						c.bus.Publish(event)
					})
				}
				return out, nil
			}
			c.applied(turn, c.apply(ctx, turn.ID, m.OpenID, effects))
			c.bus.Publish(event)
			return out, nil
		case errors.As(err, &dup):
			return c.duplicate(ctx, dup.Existing, cur.state.Handoff, passive, m.lateQueued)
		case errors.Is(err, storage.ErrVersionConflict):
			c.cache.markStale(m.OpenID) // another instance moved on: reload and run again
			continue
		default:
			return Outcome{}, err
		}
	}
	return Outcome{}, fmt.Errorf("apply message: conversation kept changing concurrently")
}

// duplicate answers a retry of a message applied before as the first time, and finishes what the
// first try may have left undone when it died: its effects, and its late replies. The first answer
// went through the outbox if it was queued there: then the retry must not get it passively as
// well; and when the retry too is past the reply budget, the stored replies are queued now
// (keyed by the turn, so they go out once).
func (c *Service) duplicate(ctx context.Context, existing *complaintbot.Turn, handoff string, passive func() bool, lateQueued func()) (Outcome, error) {
	applied := c.applyStored(ctx, existing)
	out := Outcome{TurnID: existing.ID, Replies: existing.Replies, Duplicate: true, Handoff: handoff, Pending: len(existing.Effects) > 0}
	if len(existing.Replies) > 0 {
		if _, err := c.store.OutboxMessage(ctx, lateID(existing.ID, 0)); err == nil || !passive() {
			// Queued again in full (each once, by its key): the first try may have died midway.
			if err := c.queueLate(ctx, existing); err != nil {
				return Outcome{}, err
			}
			out.Late = true
			lateQueued()
		}
	}
	c.answered.remember(existing, c.clock.Now(), out.Late, applied)
	return out, nil
}

// answeredAgain answers a retry of a message this process answered a moment ago as duplicate
// does, from what it remembers: the effects are carried out again only if they failed, and the
// replies queued for the outbox only if the first answer went there, or this one is past the
// reply budget too.
func (c *Service) answeredAgain(ctx context.Context, seen answeredTurn, passive func() bool, lateQueued func()) (Outcome, error) {
	t := seen.turn
	if !seen.applied && c.applyStored(ctx, t) {
		c.answered.update(t.Dedupe, func(e *answeredTurn) { e.applied = true })
	}
	handoff := ""
	if cs, ok := c.cache.get(t.OpenID); ok {
		handoff = cs.state.Handoff
	}
	out := Outcome{TurnID: t.ID, Replies: t.Replies, Duplicate: true, Handoff: handoff, Pending: len(t.Effects) > 0}
	if len(t.Replies) > 0 && (seen.late || !passive()) {
		if !seen.late {
			if err := c.queueLate(ctx, t); err != nil {
				return Outcome{}, err
			}
			c.answered.update(t.Dedupe, func(e *answeredTurn) { e.late = true })
		}
		out.Late = true
		lateQueued()
	}
	return out, nil
}

// applied records that the turn's effects were carried out, when they all were.
func (c *Service) applied(t *complaintbot.Turn, ok bool) {
	if ok {
		c.answered.update(t.Dedupe, func(e *answeredTurn) { e.applied = true })
	}
}

// lateQueued tells the caller that the message's late replies are queued (see Message.OnLate).
func (m Message) lateQueued() {
	if m.OnLate != nil {
		m.OnLate()
	}
}

// BusyText is what a customer is told when their message could not be taken now (from the flow file).
func (c *Service) BusyText() string { return c.engine.SystemBusy() }

// Answered records that the turn's answer is delivered (passively, or queued in the outbox), which
// completes the aftermath of a turn whose Outcome was Pending.
func (c *Service) Answered(ctx context.Context, turnID string) { c.clearPending(ctx, turnID) }

func (c *Service) clearPending(ctx context.Context, turnID string) {
	if err := c.store.ClearPending(ctx, turnID); err != nil {
		c.log.Error("clear pending turn", "turn", maskTurn(turnID), "err", err)
	}
}

// Recover finishes the turns whose aftermath a crash cut off. A turn with effects (a new case, a
// queue entry) is marked pending before it is written, and the mark is cleared once its answer is
// out (see Answered). For each mark left, Recover carries out the
// stored effects at once (idempotent), and for a turn older than settle — by then WeChat has
// stopped retrying, so no retry will fetch its answer — queues the stored replies for the outbox
// (keyed by the turn, so they go out once) and clears the mark. A mark whose turn was never
// stored, or holds another message, is cleared. It returns how many marks are younger than settle
// and were left for a later call.
func (c *Service) Recover(ctx context.Context, settle time.Duration) (left int, err error) {
	marks, err := c.store.PendingTurns(ctx)
	if err != nil {
		return 0, err
	}
	now := c.clock.Now()
	for _, p := range marks {
		t, err := c.store.Turn(ctx, p.Turn)
		young := now.Sub(p.At) < settle
		switch {
		case errors.Is(err, storage.ErrNotFound):
			if young { // perhaps still being written by a request in flight
				left++
				continue
			}
		case err != nil:
			return left, fmt.Errorf("recover turn %s: %w", maskTurn(p.Turn), err)
		case p.Dedupe != "" && t.Dedupe != p.Dedupe:
		case young: // its effects now; its answer is left to WeChat's retry for the moment
			c.applyStored(ctx, t)
			left++
			continue
		default:
			c.applyStored(ctx, t)
			if err := c.queueLate(ctx, t); err != nil {
				return left, err
			}
			c.log.Info("finished a turn cut off by a crash", "turn", maskTurn(t.ID), "replies", len(t.Replies))
		}
		if err := c.store.ClearPending(ctx, p.Turn); err != nil {
			return left, err
		}
	}
	return left, nil
}

// prepare turns the engine's effects into stored effects, registering case numbers for new cases.
func (c *Service) prepare(ctx context.Context, turn *complaintbot.Turn, res flows.Result, reserved map[int]string) ([]complaintbot.TurnEffect, map[int]string, error) {
	var out []complaintbot.TurnEffect
	for i, e := range res.Effects {
		se := complaintbot.TurnEffect{Effect: e}
		if e.Type == complaintbot.EffectCreateCase && e.Draft != nil {
			earlier := c.earlierComplaints(ctx, turn.OpenID, *e.Draft, turn.At)
			number := reserved[i]
			if number == "" {
				var err error
				number, err = c.store.NextCaseNumber(ctx, e.Draft.Kind.Prefix(), turn.At.In(complaintbot.Shanghai).Format("20060102"), turn.ID)
				if err != nil {
					_, _ = earlier()
					return nil, reserved, err
				}
				if reserved == nil {
					reserved = map[int]string{}
				}
				reserved[i] = number
			}
			se.Case = c.registry.NewCase(number, turn.OpenID, turn.ID, *e.Draft, turn.At)
			// The risk flag: escalation words, a repeat complaint (turn.Cases are the earlier cases).
			c.assessRisk(se.Case, *e.Draft, turn.Cases, earlier)
			se.Draft = nil // the case holds it
			turn.Cases = append(slices.Clip(turn.Cases), number)
		}
		out = append(out, se)
	}
	return out, reserved, nil
}

// apply carries out a committed turn's effects. Each is idempotent, keyed by the turn, so applying
// a turn twice changes nothing; a failure is logged and repaired when the turn is applied again.
// It reports whether every effect was carried out.
func (c *Service) apply(ctx context.Context, turnID, openID string, effects []complaintbot.TurnEffect) (ok bool) {
	ok = true
	for _, e := range effects {
		var err error
		switch e.Type {
		case complaintbot.EffectCreateCase:
			if e.Case != nil {
				err = c.store.InsertCase(ctx, e.Case)
				if err == nil { // the scheduler watches the new case's deadlines
					c.recordComplaint(ctx, e.Case) // and the customer's next complaint counts it
					err = c.store.CaseChanged(ctx, e.Case.Number, c.clock.Now())
				}
				if err == nil { // lists and reports pick it up
					c.bus.Publish(events.Event{Kind: events.Case, OpenID: openID, Ref: e.Case.Number, At: c.clock.Now()})
					c.riskRegistered(ctx, e.Case)
				}
			}
		case complaintbot.EffectAttachToCase:
			if e.Draft != nil {
				err = c.store.AddToCase(ctx, e.CaseNumber, openID, turnID, e.Draft.Fields[complaintbot.FieldDescription], e.Draft.Evidence, c.clock.Now())
				if err == nil {
					c.bus.Publish(events.Event{Kind: events.Case, OpenID: openID, Ref: e.CaseNumber, At: c.clock.Now()})
					c.riskAdded(ctx, e.CaseNumber, e.Draft.Fields[complaintbot.FieldDescription])
				}
			}
		case complaintbot.EffectQueueForAgent:
			err = c.store.QueueHandoff(ctx, &complaintbot.Handoff{ID: turnID, OpenID: openID, Reason: e.Reason, Status: complaintbot.HandoffWaiting, At: c.clock.Now()})
			if err == nil {
				c.bus.Publish(events.Event{Kind: events.Queued, OpenID: openID, Ref: turnID, At: c.clock.Now()})
			}
		case complaintbot.EffectLeaveQueue:
			if e.HandoffID != "" {
				var closed bool
				closed, err = c.store.CloseHandoff(ctx, e.HandoffID, "customer_left", c.clock.Now())
				if err == nil && closed {
					c.bus.Publish(events.Event{Kind: events.Handoff, OpenID: openID, Ref: e.HandoffID, At: c.clock.Now()})
				}
			}
		case complaintbot.EffectUnsubscribed:
			err = c.store.RecordSubscription(ctx, openID, false, c.clock.Now())
		case complaintbot.EffectSurveyAnswered:
			err = c.store.AnswerSurvey(ctx, storage.SurveyAnswer{Survey: e.SurveyID, Rating: e.Rating, Low: e.Low, Turn: turnID, At: c.clock.Now()})
		case complaintbot.EffectSurveyComment:
			err = c.store.CommentSurvey(ctx, e.SurveyID, e.Comment)
		case complaintbot.EffectWithdrawCase, complaintbot.EffectRequestReview:
			err = c.caseRequest(ctx, openID, e.Effect)
		}
		if err == nil && e.CaseNumber != "" && (e.Type == complaintbot.EffectSurveyAnswered || e.Type == complaintbot.EffectSurveyComment) {
			// The case's satisfaction changed: lists and reports pick it up within seconds (the
			// durable mark survives a shutdown; the reports' drain job reads it).
			if e.Type == complaintbot.EffectSurveyAnswered {
				err = c.store.MarkCaseReport(ctx, e.CaseNumber, e.SurveyID, c.clock.Now())
			}
			c.bus.Publish(events.Event{Kind: events.Case, OpenID: openID, Ref: e.CaseNumber, At: c.clock.Now()})
		}
		if err != nil {
			c.log.Error("carry out turn effect", "turn", maskTurn(turnID), "effect", e.Type, "err", err)
			ok = false
		}
	}
	return ok
}

// applyStored carries out a stored turn's effects (apply); it reports whether all were.
func (c *Service) applyStored(ctx context.Context, t *complaintbot.Turn) bool {
	return c.apply(ctx, t.ID, t.OpenID, t.Effects)
}

// lateID is the outbox id of a late turn's i-th reply.
func lateID(turnID string, i int) string { return fmt.Sprintf("late:%s/%d", turnID, i) }

// queueLate hands a late turn's replies to the outbox, keyed by the turn so they go out once.
func (c *Service) queueLate(ctx context.Context, t *complaintbot.Turn) error {
	for i, r := range t.Replies {
		m := &complaintbot.OutboxMessage{ID: lateID(t.ID, i), OpenID: t.OpenID, Text: r, Purpose: "reply", By: complaintbot.BotUser, Created: t.At}
		if _, err := c.store.Enqueue(ctx, m); err != nil {
			return fmt.Errorf("queue the late replies of turn %s: %w", maskTurn(t.ID), err)
		}
	}
	return nil
}

type cachedState struct {
	version int64
	state   complaintbot.ConversationState
	// cases are the customer's case numbers, oldest first.
	cases []string
	// stale marks an entry known to be behind (another writer got in first): its version is
	// still a lower bound for finding the newest turn.
	stale bool
}

// current returns the customer's latest state: from the cache, else from the newest stored turn.
// With guess, a customer this process has not seen is taken to be a new customer without a round
// trip to the database (storage.SeenCustomer): for callers that write a turn, whose version check
// fails if they are not (the retry then reads the newest turn).
func (c *Service) current(ctx context.Context, openID string, guess bool) (cachedState, error) {
	cs, ok := c.cache.get(openID)
	if ok && !cs.stale {
		return cs, nil
	}
	if !ok && guess {
		// A new customer, unless the store says otherwise at once: then their newest turn is read
		// now rather than after a write that fails its version check.
		if seen, known := c.store.SeenCustomer(ctx, openID); !known || !seen {
			return cachedState{}, nil
		}
	}
	t, err := c.store.LatestTurn(ctx, openID)
	if errors.Is(err, storage.ErrNotFound) {
		return cachedState{}, nil
	}
	if err != nil {
		return cachedState{}, fmt.Errorf("load conversation: %w", err)
	}
	cs = cachedState{version: t.Version, cases: t.Cases, state: t.State}
	// The process that wrote the newest turn may have died before carrying out its effects.
	c.applyStored(ctx, t)
	c.cache.put(openID, cs)
	return cs, nil
}

// Control changes a customer's conversation on behalf of someone other than the customer: an
// agent taking it over or handing it back, the system returning an idle one to the bot. change
// edits the state (it may be called again if the customer writes at the same moment); the result
// is written as a turn with no customer message, so it is ordered with the customer's messages,
// versioned, and survives restarts. note says what happened (it is stored, never shown to the
// customer); replies, if any, are recorded in the transcript and must be delivered by the caller.
func (c *Service) Control(ctx context.Context, openID, note string, change func(st *complaintbot.ConversationState) (replies []string, err error)) (complaintbot.ConversationState, error) {
	defer c.locks.Lock(openID)()
	for range 8 {
		cur, err := c.current(ctx, openID, true)
		if err != nil {
			return complaintbot.ConversationState{}, err
		}
		st := cur.state
		replies, err := change(&st)
		if err != nil {
			return complaintbot.ConversationState{}, err
		}
		// An agent's action on an idle conversation (taking it over) begins a session of its own.
		st.Session = cur.state.Session
		if cur.state.Idle() && !st.Idle() {
			st.Session++
		}
		now := c.clock.Now()
		turn := &complaintbot.Turn{OpenID: openID, Version: cur.version + 1, At: now, Replies: replies, Cases: cur.cases,
			In: complaintbot.Input{Type: complaintbot.InputControl, Text: note, At: now}, State: st}
		err = c.store.AppendTurn(ctx, turn)
		if errors.Is(err, storage.ErrVersionConflict) {
			c.cache.markStale(openID)
			continue
		}
		if err != nil {
			return complaintbot.ConversationState{}, err
		}
		c.cache.put(openID, cachedState{version: turn.Version, state: st, cases: cur.cases})
		c.bus.Publish(events.Event{Kind: events.Handoff, OpenID: openID, Ref: turn.ID, At: now})
		return st, nil
	}
	return complaintbot.ConversationState{}, fmt.Errorf("change conversation: it kept changing concurrently")
}

// State returns the customer's current conversation state.
func (c *Service) State(ctx context.Context, openID string) (complaintbot.ConversationState, error) {
	defer c.locks.Lock(openID)()
	cur, err := c.current(ctx, openID, false) // nothing is written: no version check to catch a guess
	return cur.state, err
}

// Forget drops the cached state of a customer whose conversation was changed elsewhere (an agent
// took it over, for instance), so the next message reloads it, and the answers remembered for
// the customer's retries (an erased customer's replies are not kept).
func (c *Service) Forget(openID string) {
	c.cache.drop(openID)
	c.answered.forget(openID)
}

// customerFacts answers the engine's questions about one customer from the store.
type customerFacts struct {
	ctx     context.Context
	store   *storage.Store
	numbers []string
	cases   []complaintbot.CaseSummary
	loaded  bool
	openID  string
	now     time.Time
	onDuty  func(time.Time) bool
	back    func(time.Time) time.Time
}

// AgentsOnDuty reports whether agents are at work at the time of the turn (flows.Facts).
func (f *customerFacts) AgentsOnDuty() bool { return f.onDuty == nil || f.onDuty(f.now) }

// AgentsBack returns when agents are next at work (flows.AgentsReturn); zero when unknown.
func (f *customerFacts) AgentsBack() time.Time {
	if f.back == nil {
		return time.Time{}
	}
	return f.back(f.now)
}

func (f *customerFacts) Cases() ([]complaintbot.CaseSummary, error) {
	if !f.loaded {
		cs, err := f.store.CaseSummaries(f.ctx, f.numbers, 50)
		if err != nil {
			return nil, err
		}
		f.cases, f.loaded = cs, true
	}
	return f.cases, nil
}

// OpenSurvey returns the satisfaction survey waiting for the customer's rating (flows.SurveyFacts):
// one lookup by _id in the small open-survey collection, made only when an idle customer's
// message could be a rating.
func (f *customerFacts) OpenSurvey() (*flows.OpenSurvey, error) {
	c, err := f.store.OpenSurveyOf(f.ctx, f.openID, f.now)
	if err != nil || c == nil {
		return nil, err
	}
	return &flows.OpenSurvey{ID: c.Survey, CaseNumber: c.Case}, nil
}
