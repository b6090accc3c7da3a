package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// The review (核查) of a decision: within the review window after the decision (the flow
// engine's flows.Config.ReviewWindow, 30 days by default) the customer may ask head office to
// look at it again. The request becomes a task for head office with its own deadline (ReviewTime
// after the request, DefaultReviewTime by default), kept on the case as a marker (Case.Review)
// and in head office's task list (storage.ReviewTask): the case keeps its status and its decision,
// so the first handling's figures stay as they were. Head office records the review's result and
// the customer is told it; where the review finds the decision wrong, the case is reopened as
// usual (SetStatus).

// The audit trail's codes of a review requested and of its result.
const (
	AuditReview       = "case.review"
	AuditReviewResult = "case.review_result"
)

// DefaultReviewTime is how long head office has for a review's result when Deps.ReviewTime is
// not set.
const DefaultReviewTime = 15 * 24 * time.Hour

// MaxReviewText is the longest customer's text kept with a review request (longer is cut).
const MaxReviewText = 500

// Why a review is refused.
const (
	// ErrReviewUndecided: only a resolved or closed case with a decision can be reviewed.
	ErrReviewUndecided Reason = "review: the case has no decision"
	// ErrReviewWindow: the review window is over (Error.Date: its last moment).
	ErrReviewWindow Reason = "review: the review window is over"
	// ErrReviewOpen: a review of the case is going on.
	ErrReviewOpen Reason = "review: a review is going on"
	// ErrReviewDone: the decision was reviewed already.
	ErrReviewDone Reason = "review: the decision was reviewed already"
	// ErrReviewNone: there is no review going on to record a result for.
	ErrReviewNone Reason = "review: no review is going on"
	// ErrReviewHeadOffice: only head office records a review's result.
	ErrReviewHeadOffice Reason = "review: only head office records the result"
	// ErrReviewResultEmpty: a review's result needs a text (the customer is told it).
	ErrReviewResultEmpty Reason = "review: no result"
	// ErrReviewResultTooLong: the result is at most MaxReply characters (it is sent to the customer).
	ErrReviewResultTooLong Reason = "review: result too long"
)

func init() {
	Audit.Actions[AuditReview] = "申请核查"
	Audit.Actions[AuditReviewResult] = "核查结果"
}

// RequestReview registers a review of the case's decision that the customer asked for by other
// means (by phone, by letter), with what they said; the customer is told the review's number and
// date (notice review_requested).
func (s *Service) RequestReview(ctx context.Context, who complaintbot.Actor, number, text string) error {
	return s.requestReview(ctx, who, "", number, text)
}

// CustomerReview registers the review the customer openID asked for in the chat, as
// complaintbot.Customer, with their message; they are told its number and date (notice
// review_requested). A case that is not the customer's is not found (storage.ErrNotFound); a
// review going on already is left as it is, so that a turn applied again changes nothing.
func (s *Service) CustomerReview(ctx context.Context, openID, number, text string) error {
	if openID == "" {
		return fmt.Errorf("review case %s: no customer", number)
	}
	err := s.requestReview(ctx, complaintbot.Customer, openID, number, text)
	if errors.Is(err, ErrReviewOpen) {
		return s.putReviewTask(ctx, number)
	}
	return err
}

// reviewTime is how long head office has for a review.
func (s *Service) reviewTimeOrDefault() time.Duration {
	if s.reviewTime > 0 {
		return s.reviewTime
	}
	return DefaultReviewTime
}

// decided is when the case was decided; zero when it has no decision.
func decided(rec *complaintbot.Case) time.Time {
	if rec.Decided != nil {
		return *rec.Decided
	}
	if r := rec.Work.Resolution; r != nil {
		return r.At
	}
	return time.Time{}
}

func (s *Service) requestReview(ctx context.Context, who complaintbot.Actor, openID, number, text string) error {
	text = clean(text, MaxReviewText)
	err := s.apply(ctx, who, number, AuditReview, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if openID != "" && rec.OpenID != openID {
			return nil, fmt.Errorf("case %s is not the customer's: %w", rec.Number, storage.ErrNotFound)
		}
		if rec.Kind != complaintbot.KindComplaint {
			return nil, refuse(rec, ErrReviewNotComplaint)
		}
		at := decided(rec)
		if (rec.Status != complaintbot.StatusResolved && rec.Status != complaintbot.StatusClosed) || at.IsZero() {
			return nil, refuse(rec, ErrReviewUndecided)
		}
		seq := 1
		if r := rec.Review; r != nil {
			if !r.Requested.Before(at) { // a review of this decision
				if r.Open() {
					return nil, refuse(rec, ErrReviewOpen)
				}
				return nil, refuse(rec, ErrReviewDone)
			}
			seq = r.Seq + 1
		}
		if last := complaintbot.ReviewBy(at, s.engine.Config().ReviewWindow); now.After(last) {
			e := refuse(rec, ErrReviewWindow)
			e.Date = last
			return nil, e
		}
		r := complaintbot.Review{ID: fmt.Sprintf("%s-HC%d", rec.Number, seq), Seq: seq, Requested: now,
			Due: complaintbot.EndOfDay(now.Add(s.reviewTimeOrDefault())), By: who.User.Name, Text: text}
		entry := fmt.Sprintf("申请核查（核查编号 %s，答复期限 %s）", r.ID, flows.FormatDate(r.Due))
		if text != "" {
			entry += "：" + text
		}
		return &decision{after: r.ID, change: storage.CaseChange{Review: &r, Entries: []complaintbot.TimelineEntry{{Kind: "review", To: r.ID, Text: entry}}},
			notice: flows.NoticeReviewRequested, data: flows.NoticeData{Review: r.ID, ReviewDue: r.Due}}, nil
	})
	if err != nil {
		return err
	}
	return s.putReviewTask(ctx, number)
}

// RecordReview records head office's result of the review going on, which the customer is told
// (notice review_decided). The case keeps its status: a decision found wrong is reopened with
// SetStatus.
func (s *Service) RecordReview(ctx context.Context, who complaintbot.Actor, number, result string) error {
	result = strings.TrimSpace(result)
	err := s.apply(ctx, who, number, AuditReviewResult, func(rec *complaintbot.Case, now time.Time) (*decision, error) {
		if !who.User.HeadOffice() {
			return nil, refuse(rec, ErrReviewHeadOffice)
		}
		if !rec.Review.Open() {
			return nil, refuse(rec, ErrReviewNone)
		}
		if result == "" {
			return nil, refuse(rec, ErrReviewResultEmpty)
		}
		if len([]rune(result)) > MaxReply {
			return nil, refuse(rec, ErrReviewResultTooLong)
		}
		r := *rec.Review
		r.Result, r.Decided, r.DecidedBy = result, &now, who.User.Name
		return &decision{before: r.ID, after: "reviewed: " + result, change: storage.CaseChange{Review: &r,
			Entries: []complaintbot.TimelineEntry{{Kind: "review_result", To: r.ID, Text: result}}},
			notice: flows.NoticeReviewDecided, data: flows.NoticeData{Review: r.ID, ReviewDue: r.Due, Result: result}}, nil
	})
	if err != nil {
		return err
	}
	return s.putReviewTask(ctx, number)
}

// putReviewTask writes head office's task of the case's review as the case has it now (a second
// write after the case's: made again by a repeated request, which finds the review on the case).
func (s *Service) putReviewTask(ctx context.Context, number string) error {
	rec, err := s.store.Case(ctx, number)
	if err != nil {
		return err
	}
	r := rec.Review
	if r == nil {
		return nil
	}
	if err := s.store.PutReviewTask(ctx, &storage.ReviewTask{ID: r.ID, Case: rec.Number, Branch: rec.Branch.Code, Requested: r.Requested,
		Due: r.Due, Done: r.Decided}); err != nil {
		return fmt.Errorf("review of case %s: %w", number, err)
	}
	return nil
}
