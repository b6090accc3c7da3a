package conversations

import (
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calendar"
)

// Registry turns a confirmed draft into a case with its promised reply and decision dates.
type Registry struct {
	Calendar     *calendar.Calendar
	ReplyDays    int
	ReplyUnit    calendar.Unit
	DecisionDays int
	// NoBranch is the branch recorded when the customer named none (flows.Definition.NoBranch:
	// the flow file's no_branch); unset, the case gets code complaintbot.NoBranchCode unnamed.
	NoBranch complaintbot.Branch
}

// NewCase builds the case registered by turn turnID at time at, numbered number.
func (r *Registry) NewCase(number, openID, turnID string, d complaintbot.Draft, at time.Time) *complaintbot.Case {
	local := at.In(complaintbot.Shanghai)
	c := &complaintbot.Case{
		Number:      number,
		Kind:        d.Kind,
		Status:      complaintbot.StatusReceived,
		OpenID:      openID,
		Channel:     complaintbot.ReceivedWeChat,
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
