package cases

import "github.com/complaintbot/complaintbot"

// moves are the status changes an agent may make with SetStatus; "resolved" is reached by
// recording the resolution (Resolve).
var moves = map[complaintbot.Status][]complaintbot.Status{
	complaintbot.StatusReceived:      {complaintbot.StatusInvestigating, complaintbot.StatusEscalated},
	complaintbot.StatusInvestigating: {complaintbot.StatusEscalated},
	complaintbot.StatusEscalated:     {complaintbot.StatusInvestigating},
	complaintbot.StatusResolved:      {complaintbot.StatusClosed, complaintbot.StatusReopened},
	complaintbot.StatusClosed:        {complaintbot.StatusReopened},
	complaintbot.StatusReopened:      {complaintbot.StatusInvestigating, complaintbot.StatusEscalated},
}

// Next lists the statuses an agent may move a case in status s to with SetStatus (a copy).
func Next(s complaintbot.Status) []complaintbot.Status {
	return append([]complaintbot.Status(nil), moves[s]...)
}
