package flows

import (
	"github.com/complaintbot/complaintbot"
)

// askReview registers the customer's request for a review (核查) of a case's decision, asks
// which case when none is named, or says why no review can be asked: the case is not decided, the
// review window is over, or a review is going on or done. text is what the customer wrote.
func (t *turn) askReview(cases []complaintbot.CaseSummary, number, text string) {
	cr := &t.d.file.CaseRequests
	if number != "" {
		c := findCase(cases, number)
		if c == nil {
			t.add(fill(t.msgs().CaseNotFound, "number", number))
			return
		}
		switch t.reviewable(c) {
		case reviewNotComplaint:
			t.add(t.fillCase(cr.ReviewNotComplaint, *c))
		case reviewUndecided:
			t.add(t.fillCase(cr.ReviewUndecided, *c))
		case reviewExpired:
			t.add(t.fillCase(cr.ReviewExpired, *c))
		case reviewPending:
			if c.Review.Overdue(t.now) {
				t.add(t.fillCase(cr.ReviewLate, *c))
			} else {
				t.add(t.fillCase(cr.ReviewPending, *c))
			}
		case reviewDone:
			t.add(t.fillCase(cr.ReviewDone, *c))
		default:
			t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectRequestReview, CaseNumber: c.Number, Comment: text})
			t.add(t.fillCase(cr.ReviewAsked, *c))
		}
		return
	}
	var ok []complaintbot.CaseSummary
	for i := range cases {
		if t.reviewable(&cases[i]) == reviewOK {
			ok = append(ok, cases[i])
		}
	}
	switch len(ok) {
	case 0:
		// The one case going on or done is answered about; otherwise the window is explained.
		for i := range cases {
			if s := t.reviewable(&cases[i]); s == reviewPending || s == reviewDone {
				t.askReview(cases, cases[i].Number, text)
				return
			}
		}
		t.add(t.fillCase(cr.ReviewNone, complaintbot.CaseSummary{}))
	case 1:
		t.askReview(cases, ok[0].Number, text)
	default:
		t.pick(complaintbot.RequestReview, cr.ReviewWhich, ok, text)
	}
}

// Where a case stands for a review.
const (
	reviewOK = iota
	reviewUndecided
	reviewExpired
	reviewPending
	reviewDone
	reviewNotComplaint
)

// reviewable says whether a review of c can be asked for now. The case workflow
// (cases.RequestReview) applies the same rule to the case itself.
func (t *turn) reviewable(c *complaintbot.CaseSummary) int {
	if c.Kind != complaintbot.KindComplaint {
		return reviewNotComplaint // a review is a complaint's remedy
	}
	if c.Status != complaintbot.StatusResolved && c.Status != complaintbot.StatusClosed || c.Decided == nil {
		return reviewUndecided
	}
	if r := c.Review; r != nil && !r.Requested.Before(*c.Decided) {
		if r.Open() {
			return reviewPending
		}
		return reviewDone
	}
	if t.now.After(complaintbot.ReviewBy(*c.Decided, t.e.cfg.ReviewWindow)) {
		return reviewExpired
	}
	return reviewOK
}
