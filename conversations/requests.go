package conversations

import (
	"context"
	"fmt"

	"github.com/complaintbot/complaintbot"
)

// CaseRequests carries out what customers ask of their own cases in the chat (cases.Service is
// one): each call checks the request again on the case, and a request carried out already is
// left as it is, so a turn applied again changes nothing.
type CaseRequests interface {
	// CustomerWithdraw withdraws the customer's open case.
	CustomerWithdraw(ctx context.Context, openID, number string) error
	// CustomerReview registers a review of the customer's decided case, with their message.
	CustomerReview(ctx context.Context, openID, number, text string) error
}

// caseRequest carries out a withdrawal or a review the engine asked for. A failure is logged by
// the caller like every effect's; a request the case workflow refuses (the case changed between
// the customer's question and their answer) changes nothing.
func (c *Service) caseRequest(ctx context.Context, openID string, e complaintbot.Effect) error {
	if c.Requests == nil {
		return fmt.Errorf("%s of case %s: no case workflow connected", e.Type, e.CaseNumber)
	}
	if e.Type == complaintbot.EffectWithdrawCase {
		return c.Requests.CustomerWithdraw(ctx, openID, e.CaseNumber)
	}
	return c.Requests.CustomerReview(ctx, openID, e.CaseNumber, e.Comment)
}
