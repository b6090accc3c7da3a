package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// ErrSurveyOpen means the customer still has another survey to answer; one is asked at a time.
var ErrSurveyOpen = storage.ErrSurveyOpen

// surveys runs the surveys job: surveys due to be asked, reminded or expired.
func (x *Scheduler) surveys(ctx context.Context) (int, error) {
	kinds := []string{storage.DueSurvey, storage.DueSurveyRemind, storage.DueSurveyExpire}
	return x.pass(ctx, JobSurveys, JobSurveys, kinds, func(ctx context.Context, batch []storage.DueEntry, now time.Time) error {
		var seeds []complaintbot.Survey
		for _, e := range batch {
			var err error
			switch e.Kind {
			case storage.DueSurvey:
				if e.Survey != nil {
					seeds = append(seeds, *e.Survey)
				}
			case storage.DueSurveyRemind:
				err = x.remindSurvey(ctx, e.Ref, now)
			case storage.DueSurveyExpire:
				var expired bool
				if expired, err = x.store.ExpireSurvey(ctx, e.Ref, now); errors.Is(err, storage.ErrNotFound) {
					err = nil
				} else if expired {
					x.log.Debug("survey expired", "survey", e.Ref)
					err = x.announce(ctx, e.Case, e.Ref, now)
				}
			}
			if err != nil {
				return fmt.Errorf("%s %s: %w", e.Kind, e.ID, err)
			}
		}
		_, err := x.ask(ctx, seeds, now, false)
		return err
	})
}

// surveyRecheck is how soon a survey waiting for another one of the customer's is looked at again.
const surveyRecheck = time.Hour

// ask asks the surveys of seeds now, in one go for the batch: it claims each customer's one open
// survey, stores the surveys with their report dimensions, queues the questions and schedules the
// reminder and the expiry. Each step is an insert keyed by the survey, so asking again (a run cut
// short and redone) asks nothing twice. A customer with another survey open is asked later, once
// that one is answered or has lapsed (looked at again every surveyRecheck); with manual it is
// ErrSurveyOpen instead. It returns how many surveys were
// asked now.
func (x *Scheduler) ask(ctx context.Context, seeds []complaintbot.Survey, now time.Time, manual bool) (int, error) {
	if len(seeds) == 0 {
		return 0, nil
	}
	expires := now.Add(x.cfg.SurveyExpiry.D())
	claims := make([]storage.SurveyClaim, len(seeds))
	for i, s := range seeds {
		claims[i] = storage.SurveyClaim{OpenID: s.OpenID, Survey: s.ID, Case: s.Case, At: now, Expires: expires}
	}
	taken, err := x.store.ClaimSurveys(ctx, claims)
	if err != nil {
		return 0, err
	}
	var asking []complaintbot.Survey
	var later []storage.DueEntry
	for i, s := range seeds {
		if !taken[i] {
			asking = append(asking, s)
			continue
		}
		ok, until, err := x.reclaim(ctx, claims[i], now)
		if err != nil {
			return 0, err
		}
		switch {
		case ok:
			asking = append(asking, s)
		case manual:
			return 0, ErrSurveyOpen
		default:
			// Looked at again within the hour: the open survey may be answered before it lapses,
			// and this one should then go while the customer's messaging window is still open.
			at := until
			if recheck := now.Add(surveyRecheck); recheck.Before(at) {
				at = recheck
			}
			at = at.Add(time.Minute)
			s := s
			later = append(later, storage.DueEntry{ID: fmt.Sprintf("survey#%s@%d", s.ID, at.Unix()), Kind: storage.DueSurvey, At: at, Case: s.Case, Survey: &s})
		}
	}
	if err := x.schedule(ctx, now, later...); err != nil {
		return 0, err
	}
	surveys := make([]complaintbot.Survey, len(asking))
	for i, s := range asking {
		surveys[i] = storage.NewSurvey(s, now, expires)
	}
	existed, err := x.store.InsertSurveys(ctx, surveys)
	if err != nil {
		return 0, err
	}
	var msgs []complaintbot.OutboxMessage
	var due []storage.DueEntry
	for i, sv := range surveys {
		if existed[i] {
			// Asked before (this is a redo): finish what may be missing unless it is over.
			old, err := x.store.Survey(ctx, sv.ID)
			if err != nil {
				return 0, err
			}
			if old.Status != complaintbot.SurveySent {
				if err := x.store.ReleaseSurveyClaim(ctx, sv.OpenID, sv.ID); err != nil {
					return 0, err
				}
				continue
			}
			sv = *old
		}
		msgs = append(msgs, complaintbot.OutboxMessage{ID: "survey:" + sv.ID, OpenID: sv.OpenID, Text: x.question(&sv, false),
			Purpose: complaintbot.PurposeSurvey, CaseNumber: sv.Case, Created: now, By: sv.By})
		due = append(due,
			storage.DueEntry{ID: "survey_remind#" + sv.ID, Kind: storage.DueSurveyRemind, At: sv.Sent.Add(x.cfg.SurveyReminder.D()), Case: sv.Case, Ref: sv.ID},
			storage.DueEntry{ID: "survey_expire#" + sv.ID, Kind: storage.DueSurveyExpire, At: sv.Expires, Case: sv.Case, Ref: sv.ID})
	}
	if err := x.enqueue(ctx, msgs); err != nil {
		return 0, err
	}
	if err := x.schedule(ctx, now, due...); err != nil {
		return 0, err
	}
	for _, sv := range surveys {
		if err := x.announce(ctx, sv.Case, sv.ID, now); err != nil {
			return 0, err
		}
	}
	return len(msgs), nil
}

// announce marks the report figures of the case stale after a change that moves them (a survey
// asked or expired, a deadline passing, an escalation): the reports' drain job refreshes them
// within seconds, and the mark, an insert, survives a shutdown. survey names the case's survey
// when that is what changed; number "" (a conversation's survey) is nothing to announce.
func (x *Scheduler) announce(ctx context.Context, number, survey string, now time.Time) error {
	return x.store.MarkCaseReport(ctx, number, survey, now)
}

// reclaim decides about a customer who has a survey open already: ok when it is this very survey
// (claimed by an earlier try) or a lapsed one (replaced); otherwise until is when the open one
// lapses.
func (x *Scheduler) reclaim(ctx context.Context, want storage.SurveyClaim, now time.Time) (ok bool, until time.Time, err error) {
	have, err := x.store.SurveyClaimOf(ctx, want.OpenID)
	if errors.Is(err, storage.ErrNotFound) { // released in between
		taken, err := x.store.ClaimSurveys(ctx, []storage.SurveyClaim{want})
		return err == nil && !taken[0], now.Add(time.Minute), err
	}
	if err != nil {
		return false, time.Time{}, err
	}
	if have.Survey == want.Survey {
		return true, time.Time{}, nil
	}
	if have.Expires.After(now) {
		// The claim may outlive its survey (answered, or expired a moment ago, or claimed again by
		// a redo that then found the survey over): only an unanswered survey keeps it.
		sv, err := x.store.Survey(ctx, have.Survey)
		switch {
		case err == nil && sv.Status == complaintbot.SurveySent:
			return false, have.Expires, nil
		case errors.Is(err, storage.ErrNotFound) && now.Sub(have.At) < 10*time.Minute:
			return false, have.Expires, nil // being asked right now
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			return false, time.Time{}, err
		}
	}
	if err := x.store.ReleaseSurveyClaim(ctx, have.OpenID, have.Survey); err != nil {
		return false, time.Time{}, err
	}
	taken, err := x.store.ClaimSurveys(ctx, []storage.SurveyClaim{want})
	return err == nil && !taken[0], now.Add(time.Minute), err
}

// question is the text asking survey sv (reminder: the second time).
func (x *Scheduler) question(sv *complaintbot.Survey, reminder bool) string {
	if sv.Subject != complaintbot.SurveyOfCase {
		return x.engine.SurveyQuestion(nil, reminder)
	}
	return x.engine.SurveyQuestion(&complaintbot.CaseSummary{Number: sv.Case, Kind: complaintbot.Kind(sv.Kind)}, reminder)
}

// remindSurvey asks an unanswered survey once more.
func (x *Scheduler) remindSurvey(ctx context.Context, id string, now time.Time) error {
	sv, err := x.store.Survey(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil || sv.Status != complaintbot.SurveySent || !now.Before(sv.Expires) {
		return err
	}
	msg := complaintbot.OutboxMessage{ID: "survey:" + sv.ID + ":remind", OpenID: sv.OpenID, Text: x.question(sv, true),
		Purpose: complaintbot.PurposeSurvey, CaseNumber: sv.Case, Created: now, By: complaintbot.SystemUser}
	if err := x.enqueue(ctx, []complaintbot.OutboxMessage{msg}); err != nil {
		return err
	}
	return x.store.MarkSurveyReminded(ctx, id, now)
}

// ConversationSurveyID is the id of the survey of the conversation of the queue entry handoffID
// (hashed: a handoff id holds the customer's openid).
func ConversationSurveyID(handoffID string) string { return "conv#" + key(handoffID) }

// surveyID is the id of the survey of a case's round-th resolution.
func surveyID(number string, round int) string { return number + "#" + strconv.Itoa(round) }

// caseSeed is the survey of case c's round-th resolution, with its report dimensions as they are now.
func caseSeed(c *complaintbot.Case, round int) complaintbot.Survey {
	s := complaintbot.Survey{ID: surveyID(c.Number, round), Subject: complaintbot.SurveyOfCase, Case: c.Number, Round: round, OpenID: c.OpenID,
		Kind: string(c.Kind), Branch: c.Branch.Code, BranchName: c.Branch.Name, Agent: c.Assignee(), By: complaintbot.SystemUser}
	if s.Branch == "" {
		s.Branch = complaintbot.NoBranchCode
	}
	if c.Category != nil {
		s.Category, s.CategoryName = c.Category.Code, c.Category.Name
	}
	return s
}

// SendSurveyNow asks the customer of the case to rate its handling now, by hand from the case page
// (by names the agent). It is the survey of the case's current round (its latest resolution, or
// its first if it was never resolved): asking again, or after the scheduler asked, does nothing.
// It returns ErrSurveyOpen while the customer has another survey open, and storage.ErrNotFound
// for an unknown case.
func (x *Scheduler) SendSurveyNow(ctx context.Context, caseNumber, by string) error {
	c, err := x.store.ScanCase(ctx, caseNumber)
	if err != nil {
		return err
	}
	if c.OpenID == "" {
		return fmt.Errorf("send survey for case %s: the case has no WeChat customer", caseNumber)
	}
	round := 1
	tr, err := x.store.CaseTrack(ctx, caseNumber)
	switch {
	case err == nil && tr.Episode > 0:
		round = tr.Episode
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return err
	}
	seed := caseSeed(c, round)
	seed.Manual, seed.By = true, by
	if _, err := x.ask(ctx, []complaintbot.Survey{seed}, x.clock.Now(), true); err != nil {
		return fmt.Errorf("send survey for case %s: %w", caseNumber, err)
	}
	return nil
}

// ConversationEnded schedules the satisfaction survey of a conversation an agent handled (no
// case): handoffID is the queue entry (storage.Handoff.ID) the agent took, agent their username.
// It is asked scheduler.survey_delay later; calling it twice for one handoff asks once. The
// survey's id is ConversationSurveyID(handoffID).
func (x *Scheduler) ConversationEnded(ctx context.Context, openID, handoffID, agent string) error {
	now := x.clock.Now()
	seed := complaintbot.Survey{ID: ConversationSurveyID(handoffID), Subject: complaintbot.SurveyOfConversation, Handoff: handoffID, OpenID: openID,
		Kind: complaintbot.SurveyOfConversation, Branch: complaintbot.NoBranchCode, Agent: agent, By: complaintbot.SystemUser}
	return x.schedule(ctx, now, storage.DueEntry{ID: "survey#" + seed.ID, Kind: storage.DueSurvey, At: now.Add(x.cfg.SurveyDelay.D()), Survey: &seed})
}

// SetWaitingOnCustomer starts or ends a case's wait on the customer. While it waits, and with
// scheduler.pause_while_waiting_customer on, its deadlines raise no reminders and do not run out;
// when the wait ends they move later by the time waited (the customer is not told of that as an
// extension).
func (x *Scheduler) SetWaitingOnCustomer(ctx context.Context, caseNumber string, waiting bool) error {
	now := x.clock.Now()
	if waiting {
		return x.store.WaitOnCustomer(ctx, caseNumber, now)
	}
	_, err := x.store.StopWaiting(ctx, caseNumber, now, x.cfg.PauseWhileWaitingCustomer)
	return err
}
