package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/cases"
)

// An agent's registration: refused outside the agent's branches and with an incomplete referral;
// a referral's reply date earlier than the promised dates becomes both deadlines; a referral
// with a later date leaves the bot's deadlines.
func TestRegisterReferralDeadlines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	reg := &cases.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	r := cases.NewRegistrar(e.svc, reg)
	draft := complaintbot.Draft{Kind: complaintbot.KindComplaint, Branch: &complaintbot.Branch{Code: "0101", Name: "城东支行"},
		Fields: map[string]string{complaintbot.FieldDescription: "柜员态度很差，不耐烦"}}
	token := func(c byte) string { return strings.Repeat(string(c), 32) }
	if _, _, err := r.Register(ctx, e.actor("carol"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedPhone, Token: token('a')}); !errors.Is(err, cases.ErrOutsideBranches) {
		t.Fatalf("carol registers for 0101: %v", err)
	}
	if _, _, err := r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator, Token: token('b')}); !errors.Is(err, cases.ErrBadReferral) {
		t.Fatalf("a referral without its details: %v", err)
	}
	if _, _, err := r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedWeChat, Token: token('c')}); !errors.Is(err, cases.ErrBadChannel) {
		t.Fatalf("an agent registers a WeChat case: %v", err)
	}
	soon := time.Date(2026, 11, 30, 9, 0, 0, 0, complaintbot.Shanghai) // before the 3 working days
	c, created, err := r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator, Token: token('d'),
		Referral: &complaintbot.Referral{Authority: complaintbot.ReferralPBOC, Number: "银管转〔2026〕88号", ReplyBy: soon}})
	end := reg.Calendar.Due(soon, 0, calendar.CalendarDays)
	if err != nil || !created || !c.Referral.ReplyBy.Equal(end) || !c.DecisionDue.Equal(end) || !c.ReplyDue.Equal(end) || c.OpenID != "" {
		t.Fatalf("referral due soon: %+v %v %v", c, created, err)
	}
	late := time.Date(2027, 1, 31, 0, 0, 0, 0, complaintbot.Shanghai)
	c, _, err = r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator, Token: token('e'),
		Referral: &complaintbot.Referral{Authority: complaintbot.ReferralNFRA, Number: "N-1", ReplyBy: late}})
	if err != nil || !c.DecisionDue.Equal(reg.Calendar.Due(t0, 15, calendar.CalendarDays)) || !c.ReplyDue.Equal(reg.Calendar.Due(t0, 3, calendar.WorkingDays)) {
		t.Fatalf("referral due late: %+v %v", c, err)
	}
	again, created, err := r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator, Token: token('e'),
		Referral: &complaintbot.Referral{Authority: complaintbot.ReferralNFRA, Number: "N-1", ReplyBy: late}})
	if err != nil || created || again.Number != c.Number {
		t.Fatalf("the same form again: %+v %v %v", again, created, err)
	}
}

// A regulator's referral set its own reply date: an extension may come up to it, never past it,
// whoever asks (the bank cannot extend the regulator's deadline).
func TestExtensionNeverPassesTheReferralsReplyDate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	reg := &cases.Registry{Calendar: calendar.Default(), ReplyDays: 3, ReplyUnit: calendar.WorkingDays, DecisionDays: 15}
	r := cases.NewRegistrar(e.svc, reg)
	draft := complaintbot.Draft{Kind: complaintbot.KindComplaint, Branch: &complaintbot.Branch{Code: "0101", Name: "城东支行"},
		Fields: map[string]string{complaintbot.FieldDescription: "柜员态度很差，不耐烦"}}
	replyBy := time.Date(2026, 12, 20, 0, 0, 0, 0, complaintbot.Shanghai)
	c, _, err := r.Register(ctx, e.actor("alice"), cases.Registration{Draft: draft, Channel: complaintbot.ReceivedRegulator, Token: strings.Repeat("f", 32),
		Referral: &complaintbot.Referral{Authority: complaintbot.ReferralPBOC, Number: "银管转〔2026〕99号", ReplyBy: replyBy}})
	if err != nil {
		t.Fatal(err)
	}
	late := time.Date(2026, 12, 24, 0, 0, 0, 0, complaintbot.Shanghai)
	err = e.svc.Extend(ctx, e.actor("alice"), c.Number, late, "需调取监控录像")
	if ce := refused(t, err, cases.ErrDueAfterReferral); !ce.Date.Equal(c.Referral.ReplyBy) {
		t.Fatalf("refusal names %v, want the referral's reply date %v", ce.Date, c.Referral.ReplyBy)
	}
	if err := e.svc.Extend(ctx, e.actor("alice"), c.Number, replyBy, "需调取监控录像"); err != nil {
		t.Fatalf("an extension up to the referral's date: %v", err)
	}
	if got := e.rec(c.Number).DecisionDue; got.In(complaintbot.Shanghai).Format(time.DateOnly) != "2026-12-20" || got.After(c.Referral.ReplyBy) {
		t.Fatalf("decision due %v, want the end of the referral's day %v", got, c.Referral.ReplyBy)
	}
}
