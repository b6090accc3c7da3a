package flows

import "github.com/complaintbot/complaintbot"

// Registered renders the one message that tells the customer their case is registered: for a
// complaint an apology first, then the case number, the promised reply date as a date
// (2026年12月1日, Asia/Shanghai) and how to ask for progress (回复“进度”). The caller sends it after
// registering the draft of an EffectCreateCase.
func (e *Engine) Registered(c complaintbot.Case) string {
	r := e.def.file.Registered
	tmpl := r.Complaint
	switch c.Kind {
	case complaintbot.KindSuggestion:
		tmpl = r.Suggestion
	case complaintbot.KindPraise:
		tmpl = r.Praise
	}
	return fill(tmpl, "number", c.Number, "date", formatDate(c.ReplyDue))
}

// RequestUnstated is what a case's request holds when the customer stated none ("随便", "对" at
// the request question): the agent asks.
func (e *Engine) RequestUnstated() string {
	return e.def.file.Understanding.Messages.RequestUnstated
}

// SystemBusy is the answer to a message the service could not take now (the database did not
// answer): the customer should send it again.
func (e *Engine) SystemBusy() string {
	return fill(e.def.file.Messages.SystemBusy, "hotline", e.def.file.Hotline)
}
