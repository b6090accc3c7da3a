package conversations

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
)

// RiskFlags raises and announces the risk flags found in customers' messages (cases.Service is
// one): a case registered with its flag (the Registry's AssessRisk sets it), and the risk words
// in what a customer adds to an open case.
type RiskFlags interface {
	// RiskRegistered alerts the branch supervisor of a new case registered with its flag raised;
	// called twice for one case it alerts once.
	RiskRegistered(ctx context.Context, c *complaintbot.Case)
	// FlagRisk raises the flag on an open case that has none, and alerts.
	FlagRisk(ctx context.Context, number string, r complaintbot.Risk) (bool, error)
}

// riskRegistered alerts of the risk flag a new case was registered with.
func (c *Service) riskRegistered(ctx context.Context, cs *complaintbot.Case) {
	if c.Risks != nil && cs.Risk != nil {
		c.Risks.RiskRegistered(ctx, cs)
	}
}

// riskAdded raises the risk flag of the case the customer added text to, when the text holds the
// flow file's risk words. A failure is logged: the addition is made.
func (c *Service) riskAdded(ctx context.Context, number, text string) {
	if c.Risks == nil || c.registry == nil || c.registry.RiskWords == nil {
		return
	}
	words := c.registry.RiskWords(text)
	if len(words) == 0 {
		return
	}
	if _, err := c.Risks.FlagRisk(ctx, number, complaintbot.Risk{Reason: complaintbot.RiskWords, Words: words}); err != nil {
		c.log.Error("raise the risk flag of an addition", "case", number, "err", err)
	}
}

// assessRisk raises the risk flag of the new case cs, registered from draft d, for the customer's
// words and for a repeat complaint: prior are the conversation's own cases
// (complaintbot.Turn.Cases), and the customer's complaints through every channel (earlier: see
// earlierComplaints) count too.
// Records that cannot be read are logged: the conversation's own cases are counted.
func (c *Service) assessRisk(cs *complaintbot.Case, d complaintbot.Draft, prior []string, earlier func() ([]string, error)) {
	more, err := earlier()
	if err != nil {
		c.log.Error("count the customer's earlier complaints", "case", cs.Number, "err", err)
	}
	c.registry.AssessRisk(cs, d, append(slices.Clip(prior), more...))
}

// earlierComplaints starts looking up the complaints of the customer of a case about to be
// registered from d (by openid and by phone, from their complaint records:
// cases.Registry.PriorComplaints) and returns the wait for them, to be called once. The lookup
// runs while the case's number is reserved: the confirmation waits for the database once for
// both, not once for each.
func (c *Service) earlierComplaints(ctx context.Context, openID string, d complaintbot.Draft, at time.Time) func() ([]string, error) {
	type found struct {
		numbers []string
		err     error
	}
	// What the lookup reads of the case to come: its kind, customer, phone and time.
	provisional := &complaintbot.Case{Kind: d.Kind, OpenID: openID, Fields: d.Fields, Received: at}
	done := make(chan found, 1)
	go func() {
		defer func() { // a fault in the lookup costs the count, not the service
			if p := recover(); p != nil {
				done <- found{err: fmt.Errorf("look up the earlier complaints: panic: %v", p)}
			}
		}()
		numbers, err := c.registry.PriorComplaints(ctx, c.store, provisional)
		done <- found{numbers, err}
	}()
	return func() ([]string, error) {
		f := <-done
		return f.numbers, f.err
	}
}

// recordComplaint records the new case among its customer's complaints (by openid and phone),
// for the repeat count of their next one, whatever channel it comes through. A failure is logged:
// the case is registered.
func (c *Service) recordComplaint(ctx context.Context, cs *complaintbot.Case) {
	if err := cases.RecordComplaint(ctx, c.store, cs); err != nil {
		c.log.Error("record the customer's complaint", "case", cs.Number, "err", err)
	}
}
