package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// While a case waits on the customer its deadline clock stands still — but not a regulator
// referral's: its reply date never moves, so its deadline watch goes on and a missed reply
// deadline escalates it as usual; the same case without a referral waits.
func TestAReferralsDeadlinesAreWatchedWhileItWaitsOnTheCustomer(t *testing.T) {
	for _, referral := range []bool{true, false} {
		st := storagetest.Open(t)
		ctx := context.Background()
		clock := complaintbot.NewManualClock(t0)
		cfg := testConfig()
		cfg.PauseWhileWaitingCustomer = true
		x := newScheduler(t, st, clock, "a", cfg)
		waiting := t0
		c := &complaintbot.Case{Number: "TS20261127-0001", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusInvestigating,
			OpenID: "oE0000000001", Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: t0,
			ReplyDue:     time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai),
			DecisionDue:  time.Date(2026, 12, 12, 23, 59, 59, 0, complaintbot.Shanghai),
			WaitingSince: &waiting, SourceTurn: "turn:TS20261127-0001", Day: "2026-11-27", Month: "2026-11", Updated: t0}
		if referral {
			c.Referral = &complaintbot.Referral{Authority: complaintbot.Referral12378, Number: "12378-2026-001",
				ReplyBy: time.Date(2026, 12, 2, 23, 59, 59, 0, complaintbot.Shanghai)}
		}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := st.CaseChanged(ctx, c.Number, t0); err != nil {
			t.Fatal(err)
		}
		if err := x.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Set(time.Date(2026, 12, 3, 0, 0, 1, 0, complaintbot.Shanghai))
		if err := x.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := st.ScanCase(ctx, c.Number)
		if err != nil {
			t.Fatal(err)
		}
		if escalated := got.Status == complaintbot.StatusEscalated; escalated != referral {
			t.Errorf("referral %v: status %s after the reply deadline passed while waiting on the customer", referral, got.Status)
		}
	}
}
