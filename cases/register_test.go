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

// A suggestion's or a praise's result notice thanks the customer and tells the result, without a
// complaint's remedies (review, mediation, 12378); no review of it is taken, from the chat or by
// an agent. A complaint's decision notice still tells them.
func TestResultOfASuggestionOffersNoReview(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	alice := e.actor("alice")
	for _, k := range []complaintbot.Kind{complaintbot.KindSuggestion, complaintbot.KindPraise} {
		n := k.Prefix() + "20261127-0301"
		c := &complaintbot.Case{Number: n, Kind: k, Status: complaintbot.StatusReceived, OpenID: "oSugg" + n, Coding: coded,
			Channel: complaintbot.ReceivedWeChat, Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0,
			ReplyDue: t0.AddDate(0, 0, 5), DecisionDue: t0.AddDate(0, 0, 15), SourceTurn: "turn:" + n, Day: "2026-11-27", Month: "2026-11", Updated: t0}
		if err := e.st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Resolve(ctx, alice, n, "已转交网点负责人", "您的意见已转交网点，我们将改进排队叫号安排"); err != nil {
			t.Fatal(err)
		}
		got := e.notices(n)
		if len(got) != 1 || !strings.Contains(got[0], "感谢您的") || !strings.Contains(got[0], "我们将改进排队叫号安排") || !strings.Contains(got[0], n) {
			t.Fatalf("%s: result notice %q", k, got)
		}
		for _, remedy := range []string{"核查", "调解", "12378"} {
			if strings.Contains(got[0], remedy) {
				t.Fatalf("%s: the result notice offers %s: %q", k, remedy, got[0])
			}
		}
		refused(t, e.svc.CustomerReview(ctx, c.OpenID, n, "申请核查"), cases.ErrReviewNotComplaint)
		refused(t, e.svc.RequestReview(ctx, alice, n, "客户来电要求核查"), cases.ErrReviewNotComplaint)
		if e.rec(n).Review != nil {
			t.Fatalf("%s: a review was registered", k)
		}
	}
	const n = "TS20261127-0302"
	e.open(n, complaintbot.StatusInvestigating)
	if err := e.svc.Resolve(ctx, alice, n, "核实属实", "已批评教育"); err != nil {
		t.Fatal(err)
	}
	if got := e.notices(n); len(got) != 1 || !strings.Contains(got[0], "申请核查 "+n) || !strings.Contains(got[0], "12378") {
		t.Fatalf("a complaint's decision notice %q", got)
	}
}
