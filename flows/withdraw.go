package flows

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/textnorm"
	"gopkg.in/yaml.v3"
)

// What a customer asks of their own cases in the chat: a withdrawal (撤回) and a review (核查) of
// the decision. The engine decides from the customer's case summaries (Facts) whether the request
// can be made, asks which case when it is not named, reads a withdrawal back for confirmation, and
// answers; the caller carries the request out (EffectWithdrawCase, EffectRequestReview) through
// the case workflow, which checks it again.

// The steps of complaintbot.CaseRequest.
const (
	requestPick    = "pick"
	requestConfirm = "confirm"
)

// requestShown is how many cases a pick lists.
const requestShown = 10

// requestMaxRunes bounds a message that asks for a withdrawal or a review (without the case
// number): a longer one is a story, not a request.
const (
	withdrawMaxRunes = 16
	reviewMaxRunes   = 30
)

// caseRequestsDef is the case_requests section of the definition file.
type caseRequestsDef struct {
	WithdrawWords    []string `yaml:"withdraw_words"`
	ReviewWords      []string `yaml:"review_words"`
	KeepWords        []string `yaml:"keep_words"`
	WithdrawConfirm  string   `yaml:"withdraw_confirm"`
	WithdrawWhich    string   `yaml:"withdraw_which"`
	ReviewWhich      string   `yaml:"review_which"`
	Line             string   `yaml:"line"`
	Withdrawn        string   `yaml:"withdrawn"`
	WithdrawKept     string   `yaml:"withdraw_kept"`
	WithdrawNone     string   `yaml:"withdraw_none"`
	WithdrawFinished string   `yaml:"withdraw_finished"`
	WithdrawAlready  string   `yaml:"withdraw_already"`
	ReviewAsked      string   `yaml:"review_asked"`
	ReviewNone       string   `yaml:"review_none"`
	ReviewUndecided  string   `yaml:"review_undecided"`
	// ReviewNotComplaint: a review (核查) is a complaint's; a suggestion or praise has none.
	ReviewNotComplaint string `yaml:"review_not_complaint"`
	ReviewExpired      string `yaml:"review_expired"`
	ReviewPending      string `yaml:"review_pending"`
	// ReviewLate: the review going on is past the date the customer was promised.
	ReviewLate     string `yaml:"review_late"`
	ReviewDone     string `yaml:"review_done"`
	RequestDropped string `yaml:"request_dropped"`
}

// requestWords are the case_requests word lists, compiled (Definition.requests).
type requestWords struct{ withdraw, review, keep words }

func compileRequests(cr *caseRequestsDef) requestWords {
	return requestWords{withdraw: newWords(cr.WithdrawWords), review: newWords(cr.ReviewWords), keep: newWords(cr.KeepWords)}
}

var (
	requestDefaultsOnce sync.Once
	requestDefaults     fileDef
	requestDefaultsErr  error
)

// fillReviewTexts takes the case_requests section and the notices of withdrawals and reviews
// from the embedded default when an operator's file, written before they existed, lacks them.
func (f *fileDef) fillReviewTexts() error {
	if len(f.CaseRequests.WithdrawWords) > 0 && f.Notices.Withdrawn != "" && f.Notices.ReviewRequested != "" && f.Notices.ReviewDecided != "" &&
		f.CaseRequests.ReviewNotComplaint != "" && f.CaseRequests.ReviewLate != "" && f.Notices.ResolvedOther != "" {
		return nil
	}
	requestDefaultsOnce.Do(func() { requestDefaultsErr = yaml.Unmarshal(defaultYAML, &requestDefaults) })
	if requestDefaultsErr != nil {
		return fmt.Errorf("embedded default.yaml: %w", requestDefaultsErr)
	}
	if len(f.CaseRequests.WithdrawWords) == 0 {
		f.CaseRequests = requestDefaults.CaseRequests
	}
	if f.CaseRequests.ReviewNotComplaint == "" { // written before suggestions were kept from reviews
		f.CaseRequests.ReviewNotComplaint = requestDefaults.CaseRequests.ReviewNotComplaint
	}
	if f.CaseRequests.ReviewLate == "" { // written before an overdue review had its own answer
		f.CaseRequests.ReviewLate = requestDefaults.CaseRequests.ReviewLate
	}
	if f.Notices.empty() {
		return nil // the whole section comes from the default
	}
	if f.Notices.Withdrawn == "" {
		f.Notices.Withdrawn = requestDefaults.Notices.Withdrawn
	}
	if f.Notices.ReviewRequested == "" {
		f.Notices.ReviewRequested = requestDefaults.Notices.ReviewRequested
	}
	if f.Notices.ReviewDecided == "" {
		f.Notices.ReviewDecided = requestDefaults.Notices.ReviewDecided
	}
	if f.Notices.ResolvedOther == "" { // written before a suggestion's or praise's own result notice
		f.Notices.ResolvedOther = requestDefaults.Notices.ResolvedOther
	}
	return nil
}

// caseRequest handles a message that answers a pending CaseRequest or asks for a withdrawal or a
// review. It reports whether it handled the message; a pending request the message does not
// answer is dropped, and the message handled as usual.
func (t *turn) caseRequest(text string, cmd command) bool {
	st := t.st
	if r := st.Request; r != nil {
		st.Request = nil
		if t.now.Sub(r.At) <= t.e.cfg.IdleTimeout && t.answerRequest(r, text, cmd) {
			return true
		}
	}
	if cmd != cmdNone {
		return false
	}
	kind, number, ok := t.d.requestOf(text)
	if !ok || (number == "" && st.Flow != complaintbot.FlowIdle) {
		return false
	}
	cases, ok := t.customerCases()
	if !ok {
		return true
	}
	if kind == complaintbot.RequestWithdraw {
		t.askWithdraw(cases, number)
	} else {
		t.askReview(cases, number, clean(t.orig))
	}
	t.remind()
	return true
}

// requestOf reports whether a message asks for a withdrawal or a review, and of which case
// ("" when it names none).
func (d *Definition) requestOf(text string) (kind, number string, ok bool) {
	t := textnorm.HalfWidth(text)
	rest := t
	if m := caseNumberRe.FindStringSubmatchIndex(t); m != nil {
		number = strings.ToUpper(t[m[2]:m[3]]) + t[m[4]:m[5]] + "-" + t[m[6]:m[7]]
		rest = t[:m[0]] + t[m[1]:]
	}
	k := key(rest)
	if k == "" {
		return "", "", false
	}
	switch {
	case runes(k) <= withdrawMaxRunes && d.requests.withdraw.in(k):
		return complaintbot.RequestWithdraw, number, true
	case runes(k) <= reviewMaxRunes && d.requests.review.in(k):
		return complaintbot.RequestReview, number, true
	}
	return "", "", false
}

// answerRequest handles the answer to a pending request; false when the message is no answer.
func (t *turn) answerRequest(r *complaintbot.CaseRequest, text string, cmd command) bool {
	cr := &t.d.file.CaseRequests
	k := key(text)
	if cmd == cmdCancel || (r.Step == requestConfirm && t.d.requests.keep.is(k)) {
		if r.Step == requestConfirm {
			c, ok := t.ownCase(r.Choices[0])
			if ok {
				t.add(t.fillCase(cr.WithdrawKept, c))
			}
		} else {
			t.add(cr.RequestDropped)
		}
		t.remind()
		return true
	}
	switch r.Step {
	case requestConfirm:
		if cmd != cmdConfirm {
			return false
		}
		c, ok := t.ownCase(r.Choices[0])
		if !ok {
			return true
		}
		if !c.Status.Open() {
			t.add(t.withdrawRefusal(c))
		} else {
			t.effects = append(t.effects, complaintbot.Effect{Type: complaintbot.EffectWithdrawCase, CaseNumber: c.Number})
			t.add(t.fillCase(cr.Withdrawn, c))
		}
		t.remind()
		return true
	case requestPick:
		number := ""
		if n, err := strconv.Atoi(k); err == nil {
			if n < 1 || n > len(r.Choices) {
				t.add(t.msgs().ChoiceInvalid)
				t.st.Request = r // asked again
				r.At = t.now
				return true
			}
			number = r.Choices[n-1]
		} else if m := caseNumberRe.FindStringSubmatch(textnorm.HalfWidth(text)); m != nil && key(caseNumberRe.ReplaceAllString(textnorm.HalfWidth(text), "")) == "" {
			number = strings.ToUpper(m[1]) + m[2] + "-" + m[3]
		}
		if number == "" {
			return false
		}
		cases, ok := t.customerCases()
		if !ok {
			return true
		}
		if r.Kind == complaintbot.RequestWithdraw {
			t.askWithdraw(cases, number)
		} else {
			t.askReview(cases, number, r.Text)
		}
		t.remind()
		return true
	}
	return false
}

// askWithdraw reads the case back for confirmation, or asks which case, or says why it cannot be
// withdrawn.
func (t *turn) askWithdraw(cases []complaintbot.CaseSummary, number string) {
	cr := &t.d.file.CaseRequests
	if number != "" {
		c := findCase(cases, number)
		switch {
		case c == nil:
			t.add(fill(t.msgs().CaseNotFound, "number", number))
		case c.Status == complaintbot.StatusWithdrawn:
			t.add(t.fillCase(cr.WithdrawAlready, *c))
		case !c.Status.Open():
			t.add(t.withdrawRefusal(*c))
		default:
			t.st.Request = &complaintbot.CaseRequest{Kind: complaintbot.RequestWithdraw, Step: requestConfirm, Choices: []string{c.Number}, At: t.now}
			t.add(t.fillCase(cr.WithdrawConfirm, *c))
		}
		return
	}
	var open []complaintbot.CaseSummary
	for _, c := range cases {
		if c.Status.Open() {
			open = append(open, c)
		}
	}
	switch len(open) {
	case 0:
		t.add(cr.WithdrawNone)
	case 1:
		t.askWithdraw(cases, open[0].Number)
	default:
		t.pick(complaintbot.RequestWithdraw, cr.WithdrawWhich, open, "")
	}
}

// withdrawRefusal says that the case c, no longer open, cannot be withdrawn.
func (t *turn) withdrawRefusal(c complaintbot.CaseSummary) string {
	if c.Status == complaintbot.StatusWithdrawn {
		return t.fillCase(t.d.file.CaseRequests.WithdrawAlready, c)
	}
	return t.fillCase(t.d.file.CaseRequests.WithdrawFinished, c)
}

// pick lists cases to choose from and waits for the customer's choice.
func (t *turn) pick(kind, header string, cases []complaintbot.CaseSummary, text string) {
	if len(cases) > requestShown {
		cases = cases[:requestShown]
	}
	r := &complaintbot.CaseRequest{Kind: kind, Step: requestPick, Text: text, At: t.now}
	var lines []string
	for i, c := range cases {
		r.Choices = append(r.Choices, c.Number)
		lines = append(lines, fill(t.fillCase(t.d.file.CaseRequests.Line, c), "n", strconv.Itoa(i+1)))
	}
	t.st.Request = r
	t.add(fill(header, "list", strings.Join(lines, "\n")))
}

// ownCase finds one of the customer's cases; false (having said so) when it is not theirs, or
// after a failure to read them.
func (t *turn) ownCase(number string) (complaintbot.CaseSummary, bool) {
	cases, ok := t.customerCases()
	if !ok {
		return complaintbot.CaseSummary{}, false
	}
	if c := findCase(cases, number); c != nil {
		return *c, true
	}
	t.add(fill(t.msgs().CaseNotFound, "number", number))
	return complaintbot.CaseSummary{}, false
}

func findCase(cases []complaintbot.CaseSummary, number string) *complaintbot.CaseSummary {
	for i := range cases {
		if strings.EqualFold(cases[i].Number, number) {
			return &cases[i]
		}
	}
	return nil
}

// fillCase fills a case_requests text with the case's placeholders.
func (t *turn) fillCase(tmpl string, c complaintbot.CaseSummary) string {
	category := t.d.file.Readback.Unset
	if c.Category != nil {
		category = c.Category.Name
	}
	branch := c.Branch.Name
	if branch == "" {
		branch = t.d.file.Readback.Unset
	}
	window := t.e.cfg.ReviewWindow
	pairs := []string{"number", c.Number, "kind", t.d.kindName(c.Kind), "category", category, "branch", branch,
		"received", formatWhen(c.Received, ""), "status", t.d.statusName(c.Status),
		"window", strconv.Itoa(int(window / (24 * time.Hour)))}
	if c.Decided != nil {
		pairs = append(pairs, "decided", formatDate(*c.Decided), "review_by", formatDate(complaintbot.ReviewBy(*c.Decided, window)))
	}
	if r := c.Review; r != nil {
		pairs = append(pairs, "review", r.ID, "review_due", formatDate(r.Due))
	}
	return fill(tmpl, pairs...)
}
