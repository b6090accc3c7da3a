package cases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// Registry turns a confirmed draft into a case with its promised reply and decision dates: the
// one rule for the bot's registrations (conversations) and an agent's (Registrar).
type Registry struct {
	Calendar     *calendar.Calendar
	ReplyDays    int
	ReplyUnit    calendar.Unit
	DecisionDays int
	// NoBranch is the branch recorded when the customer named none (flows.Definition.NoBranch:
	// the flow file's no_branch); unset, the case gets code complaintbot.NoBranchCode unnamed.
	NoBranch complaintbot.Branch
	// Taxonomy proposes each new case's JR/T 0169 codes from its category and the customer's
	// words (Registry.Propose), for an agent to confirm or change; nil proposes none.
	Taxonomy *taxonomy.Taxonomy
	// RiskWords finds the flow file's risk words in a customer's text (flows.Engine.RiskWords)
	// for the risk flag (AssessRisk); nil finds none.
	RiskWords func(text string) []string
	// RepeatCases complaints by one customer within RepeatWindow days raise the risk flag
	// (cases.repeat_cases); 0 never does.
	RepeatCases int
}

// NewCase builds the case registered by turn turnID at time at, numbered number, received through
// WeChat (Channel complaintbot.ReceivedWeChat) from the customer openID.
func (r *Registry) NewCase(number, openID, turnID string, d complaintbot.Draft, at time.Time) *complaintbot.Case {
	local := at.In(complaintbot.Shanghai)
	c := &complaintbot.Case{
		Number:      number,
		Kind:        d.Kind,
		Status:      complaintbot.StatusReceived,
		OpenID:      openID,
		Channel:     complaintbot.ReceivedWeChat,
		Coding:      r.Propose(d),
		Category:    d.Category,
		Occurred:    d.OccurredAt,
		Fields:      d.Fields,
		Evidence:    d.Evidence,
		Received:    at,
		ReplyDue:    r.Calendar.Due(at, r.ReplyDays, r.ReplyUnit),
		DecisionDue: r.Calendar.Due(at, r.DecisionDays, calendar.CalendarDays),
		SourceTurn:  turnID,
		Day:         local.Format("2006-01-02"),
		Month:       local.Format("2006-01"),
		Updated:     at,
	}
	c.OccurredPrecision, c.Urgent = d.OccurredPrecision, d.Urgent // how well the time is known; money at risk
	if d.Branch != nil {
		c.Branch = *d.Branch
	} else {
		c.Branch = r.NoBranch
		c.Branch.Code = complaintbot.NoBranchCode
	}
	return c
}

// AuditRegister is the audit code of an agent's registration of a case.
const AuditRegister = "case.register"

func init() { Audit.Actions[AuditRegister] = "登记投诉" }

// Registration is a complaint an agent registers from another channel than WeChat: the draft
// read from the form (flows.Engine.CheckForm), the channel it came through and, for a regulator's
// referral, the referral.
type Registration struct {
	Draft complaintbot.Draft
	// Channel is the receiving channel: one of the complaintbot.Received* constants but
	// ReceivedWeChat (the bot registers those).
	Channel string
	// Referral is required with ReceivedRegulator and refused with any other channel. ReplyBy
	// may be any time of its day: the case keeps the end of that day.
	Referral *complaintbot.Referral
	// Token identifies the form the agent filled in (FormTokenOK): submitting the same form twice
	// registers one case.
	Token string
}

// Reasons a registration is refused.
var (
	// ErrBadChannel: the receiving channel is not one an agent registers.
	ErrBadChannel = errors.New("cases: unknown receiving channel")
	// ErrBadReferral: a referral is missing its authority, its number or its reply date, or was
	// given with a channel other than the regulator's.
	ErrBadReferral = errors.New("cases: incomplete referral")
	// ErrBadToken: the form's token is not one the console handed out.
	ErrBadToken = errors.New("cases: bad form token")
	// ErrOutsideBranches: the agent does not cover the case's branch.
	ErrOutsideBranches = errors.New("cases: the branch is not the agent's")
)

// formTokenRe is the form of a form token: 32 lowercase hex digits.
var formTokenRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// FormTokenOK reports whether s is written as a form token is (32 lowercase hex digits).
func FormTokenOK(s string) bool { return formTokenRe.MatchString(s) }

// AgentChannel reports whether an agent registers cases received through the channel.
func AgentChannel(ch string) bool {
	switch ch {
	case complaintbot.ReceivedPhone, complaintbot.ReceivedCounter, complaintbot.ReceivedLetter,
		complaintbot.ReceivedEmail, complaintbot.ReceivedRegulator:
		return true
	}
	return false
}

// ReferralAuthority reports whether a is one of the regulators that forward complaints.
func ReferralAuthority(a string) bool {
	return a == complaintbot.ReferralPBOC || a == complaintbot.ReferralNFRA || a == complaintbot.Referral12378
}

// Registrar registers the complaints agents take by phone, at the counter, by letter, by e-mail
// or from a regulator's referral, with the numbers and deadlines of the bot's registrations.
type Registrar struct {
	s   *Service
	reg *Registry
}

// NewRegistrar returns the registrar working with the case workflow s and the registry reg (the
// one the bot's registrations use).
func NewRegistrar(s *Service, reg *Registry) *Registrar { return &Registrar{s: s, reg: reg} }

// Engine returns the conversation engine whose rules and read-back the registration form follows
// (flows.Engine.CheckForm, Readback, Registered).
func (r *Registrar) Engine() *flows.Engine { return r.s.engine }

// sourceKey is the source key (Case.SourceTurn) of the case a form registers.
func sourceKey(token string) string { return "form:" + token }

// Register registers the complaint for who and returns the case. It is numbered like the bot's
// (the kind's prefix, the day, the next number of the day) and gets the bot's promised reply date
// and decision deadline; a referral's reply date, when earlier, becomes the decision deadline (and
// the promised reply date, if earlier still), so reminders and escalation follow the earlier one.
// The case has no openid: nothing is sent to the customer through WeChat.
//
// A registration whose token registered a case already returns that case with created false and
// registers nothing (a double submission). Refused: ErrBadChannel, ErrBadReferral, ErrBadToken, ErrOutsideBranches
// (wrapped); an audit entry that cannot be written: *Error with ErrAudit.
func (r *Registrar) Register(ctx context.Context, who complaintbot.Actor, reg Registration) (_ *complaintbot.Case, created bool, _ error) {
	s := r.s
	if who.User == nil {
		return nil, false, errors.New("cases: a registration without a user")
	}
	if !FormTokenOK(reg.Token) {
		return nil, false, ErrBadToken
	}
	if !AgentChannel(reg.Channel) {
		return nil, false, fmt.Errorf("%w %q", ErrBadChannel, reg.Channel)
	}
	if (reg.Channel == complaintbot.ReceivedRegulator) != (reg.Referral != nil) {
		return nil, false, ErrBadReferral
	}
	if ref := reg.Referral; ref != nil && (!ReferralAuthority(ref.Authority) || ref.Number == "" || ref.ReplyBy.IsZero()) {
		return nil, false, ErrBadReferral
	}
	branch := complaintbot.NoBranchCode
	if reg.Draft.Branch != nil {
		branch = reg.Draft.Branch.Code
	}
	if !who.User.Covers(branch) {
		return nil, false, fmt.Errorf("register a case of branch %s by %s: %w", branch, who.User.Name, ErrOutsideBranches)
	}
	now := s.clock.Now()
	key := sourceKey(reg.Token)
	number, err := s.store.NextCaseNumber(ctx, reg.Draft.Kind.Prefix(), now.In(complaintbot.Shanghai).Format("20060102"), key)
	if err != nil {
		return nil, false, fmt.Errorf("register a case: %w", err)
	}
	if c, err := s.store.Case(ctx, number); err == nil {
		if c.SourceTurn != key {
			return nil, false, fmt.Errorf("register a case: number %s is another registration's", number)
		}
		return c, false, nil // submitted twice: registered the first time
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, false, fmt.Errorf("register a case: %w", err)
	}
	c := r.reg.NewCase(number, "", key, reg.Draft, now)
	c.Channel = reg.Channel
	// The risk flag for the customer's words and for a repeat complaint: their complaints by
	// phone number through every channel (risk.go).
	prior, err := r.reg.PriorComplaints(ctx, s.store, c)
	if err != nil {
		s.log.Error("count the customer's earlier complaints", "case", c.Number, "err", err)
	}
	r.reg.AssessRisk(c, reg.Draft, prior)
	if ref := reg.Referral; ref != nil {
		ref := *ref
		ref.ReplyBy = r.reg.Calendar.Due(ref.ReplyBy, 0, calendar.CalendarDays)
		c.Referral = &ref
		if ref.ReplyBy.Before(c.DecisionDue) {
			c.DecisionDue = ref.ReplyBy
		}
		if ref.ReplyBy.Before(c.ReplyDue) {
			c.ReplyDue = ref.ReplyBy
		}
	}
	after := fmt.Sprintf("%s %s", complaintbot.ReceivedLabel(c.Channel), c.Kind.Label())
	if c.Referral != nil {
		after += fmt.Sprintf(" %s %s 回复期限 %s", complaintbot.ReferralAuthorityLabel(c.Referral.Authority), c.Referral.Number,
			c.Referral.ReplyBy.In(complaintbot.Shanghai).Format("2006-01-02"))
	}
	if err := s.store.Audit(ctx, &storage.AuditEntry{At: now, User: who.User.Name, Action: AuditRegister, TargetType: "case", Target: c.Number,
		Branch: ScopeBranch(c.Branch.Code), After: after, Addr: who.Addr}); err != nil {
		return nil, false, &Error{Reason: ErrAudit, Case: c.Number, Err: err}
	}
	if err := s.store.InsertCase(ctx, c); err != nil {
		return nil, false, fmt.Errorf("register case %s: %w", c.Number, err)
	}
	if err := RecordComplaint(ctx, s.store, c); err != nil { // the customer's next complaint counts it
		s.log.Error("record the customer's complaint", "case", c.Number, "err", err)
	}
	// The scheduler watches the new case's deadlines; lists and reports pick it up.
	if err := s.store.CaseChanged(ctx, c.Number, now); err != nil {
		return nil, false, fmt.Errorf("register case %s: %w", c.Number, err)
	}
	s.publish("", c.Number, now)
	s.RiskRegistered(ctx, c) // a raised risk flag alerts the branch supervisor
	s.log.Info("case registered by an agent", "case", c.Number, "channel", c.Channel, "branch", c.Branch.Code, "user", who.User.Name)
	return c, true, nil
}
