package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Satisfaction surveys live in two collections:
//
//   - surveys: one document per survey asked, with the report dimensions fixed when it is asked
//     (branch, category, kind, agent, day/week/month in Asia/Shanghai), its status, rating and
//     comment. Supervisor reports group on these plain fields.
//   - survey_open: one document per customer with a survey waiting for their rating (_id is the
//     openid), read by the webhook with one _id lookup; a customer has at most one open survey.
func init() {
	addIndex("surveys", false, "status", 1, "expires_at", 1)
	addIndex("surveys", false, "month", 1, "branch", 1)
	addIndex("surveys", false, "case", 1)
	addIndex("survey_open", false, "expires_at", 1)
}

// ErrSurveyOpen means the customer still has another survey to answer; one is asked at a time.
var ErrSurveyOpen = errors.New("the customer has another survey open")

// NewSurvey makes the survey seed describes asked at at, expiring at expires. Of seed (what the
// scheduler knows of a survey before asking it) it takes the id ("<case number>#<round>" for a
// case, round counting the case's resolutions; "conv#<handoff id>" for a conversation an agent
// handled), the subject, the case and round or the handoff, the customer, the report dimensions
// (Kind: the case's kind or "conversation"), Manual and By; it sets the rest.
func NewSurvey(seed complaintbot.Survey, at, expires time.Time) complaintbot.Survey {
	local := at.In(complaintbot.Shanghai)
	y, w := local.ISOWeek()
	return complaintbot.Survey{ID: seed.ID, Subject: seed.Subject, Case: seed.Case, Round: seed.Round, Handoff: seed.Handoff, OpenID: seed.OpenID,
		Kind: seed.Kind, Branch: seed.Branch, BranchName: seed.BranchName, Category: seed.Category, CategoryName: seed.CategoryName,
		Agent: seed.Agent, Day: local.Format("2006-01-02"), Week: fmt.Sprintf("%04d-W%02d", y, w), Month: local.Format("2006-01"),
		Status: complaintbot.SurveySent, Manual: seed.Manual, By: seed.By, Sent: at, Expires: expires}
}

// SurveyClaim says that a customer has a survey waiting for their rating.
type SurveyClaim struct {
	OpenID  string    `bson:"_id"`
	Survey  string    `bson:"survey"`
	Case    string    `bson:"case,omitempty"`
	At      time.Time `bson:"at"`
	Expires time.Time `bson:"expires_at"`
}

// ClaimSurveys records each claim unless its customer has an open survey already; taken[i] is
// true for the claims whose customer had one (which may be the same survey, claimed before).
func (s *Store) ClaimSurveys(ctx context.Context, claims []SurveyClaim) (taken []bool, err error) {
	docs := make([]any, len(claims))
	for i := range claims {
		docs[i] = claims[i]
	}
	taken, err = insertManyDups(ctx, s.db.Collection("survey_open"), docs)
	if err != nil {
		return nil, fmt.Errorf("claim %d surveys: %w", len(claims), err)
	}
	return taken, nil
}

// SurveyClaimOf returns the customer's open-survey record, expired or not, or ErrNotFound.
func (s *Store) SurveyClaimOf(ctx context.Context, openID string) (*SurveyClaim, error) {
	var c SurveyClaim
	if err := s.lookup("survey_open").FindOne(ctx, bson.D{{Key: "_id", Value: openID}}).Decode(&c); err != nil {
		return nil, fmt.Errorf("load open survey: %w", notFound(err))
	}
	return &c, nil
}

// OpenSurveyOf returns the survey waiting for the customer's rating at now, or nil.
func (s *Store) OpenSurveyOf(ctx context.Context, openID string, now time.Time) (*SurveyClaim, error) {
	c, err := s.SurveyClaimOf(ctx, openID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(c.Expires) {
		return nil, nil
	}
	return c, nil
}

// ReleaseSurveyClaim removes the customer's open-survey record if it is for survey. On the
// embedded server, where a filter on more than _id reads the whole collection, the record is read
// by _id and then deleted by _id: a record for another survey cannot take its place in between,
// as a claim is an insert on the same _id.
func (s *Store) ReleaseSurveyClaim(ctx context.Context, openID, survey string) error {
	coll := s.db.Collection("survey_open")
	filter := bson.D{{Key: "_id", Value: openID}}
	if s.embedded != nil {
		c, err := s.SurveyClaimOf(ctx, openID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("release open survey: %w", err)
		}
		if c.Survey != survey {
			return nil
		}
	} else {
		filter = append(filter, bson.E{Key: "survey", Value: survey})
	}
	if _, err := coll.DeleteOne(ctx, filter); err != nil {
		return fmt.Errorf("release open survey: %w", err)
	}
	return nil
}

// InsertSurveys stores new surveys; existed[i] is true for those stored before.
func (s *Store) InsertSurveys(ctx context.Context, surveys []complaintbot.Survey) (existed []bool, err error) {
	docs := make([]any, len(surveys))
	for i := range surveys {
		docs[i] = surveys[i]
	}
	existed, err = insertManyDups(ctx, s.db.Collection("surveys"), docs)
	if err != nil {
		return nil, fmt.Errorf("store %d surveys: %w", len(surveys), err)
	}
	return existed, nil
}

// Survey returns the survey with the given id, or ErrNotFound.
func (s *Store) Survey(ctx context.Context, id string) (*complaintbot.Survey, error) {
	var sv complaintbot.Survey
	if err := s.lookup("surveys").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sv); err != nil {
		return nil, fmt.Errorf("load survey %s: %w", id, notFound(err))
	}
	return &sv, nil
}

// SurveyAnswer is a customer's rating of a survey, brought by a conversation turn.
type SurveyAnswer struct {
	Survey string
	Rating int
	// Low is true for a rating that calls for a follow-up call.
	Low  bool
	Turn string
	At   time.Time
}

// AnswerSurvey records the rating on the survey and on its case, closes the customer's open
// survey, and for a low rating raises the branch supervisor's follow-up (回访) and tells the
// scheduler (which reopens the case when so configured). Applying the same answer twice changes
// nothing more.
func (s *Store) AnswerSurvey(ctx context.Context, a SurveyAnswer) error {
	sv, err := s.Survey(ctx, a.Survey)
	if err != nil {
		return err
	}
	if sv.AnswerTurn != a.Turn {
		set := bson.D{{Key: "status", Value: complaintbot.SurveyAnswered}, {Key: "rating", Value: a.Rating}, {Key: "low", Value: a.Low},
			{Key: "answered_at", Value: a.At}, {Key: "answer_turn", Value: a.Turn}}
		if _, err := s.db.Collection("surveys").UpdateOne(ctx, bson.D{{Key: "_id", Value: sv.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
			return fmt.Errorf("record rating of survey %s: %w", sv.ID, err)
		}
		sv.Rating, sv.Low, sv.Status = a.Rating, a.Low, complaintbot.SurveyAnswered
	}
	if sv.Case != "" {
		sat := complaintbot.Satisfaction{Survey: sv.ID, Rating: a.Rating, At: a.At}
		if _, err := s.cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: sv.Case}}, bson.D{{Key: "$set", Value: bson.D{{Key: "satisfaction", Value: sat}}}}); err != nil {
			return fmt.Errorf("record rating on case %s: %w", sv.Case, err)
		}
	}
	if err := s.ReleaseSurveyClaim(ctx, sv.OpenID, sv.ID); err != nil {
		return err
	}
	if !a.Low {
		return nil
	}
	if err := s.RaiseFollowUp(ctx, sv, a.At); err != nil {
		return err
	}
	return s.InsertDue(ctx, []DueEntry{{ID: "rated#" + sv.ID, Kind: DueRated, At: a.At, Case: sv.Case, Ref: sv.ID}})
}

// CommentSurvey adds the customer's comment to a rated survey, its case and its follow-up.
func (s *Store) CommentSurvey(ctx context.Context, id, comment string) error {
	sv, err := s.Survey(ctx, id)
	if err != nil {
		return err
	}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "comment", Value: comment}}}}
	if _, err := s.db.Collection("surveys").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, set); err != nil {
		return fmt.Errorf("record comment of survey %s: %w", id, err)
	}
	if sv.Case != "" {
		_, err := s.updateIf(ctx, s.cases, sv.Case, bson.D{{Key: "satisfaction.survey", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "satisfaction.comment", Value: comment}}}})
		if err != nil {
			return fmt.Errorf("record comment on case %s: %w", sv.Case, err)
		}
	}
	if sv.Low {
		if _, err := s.db.Collection("follow_ups").UpdateOne(ctx, bson.D{{Key: "_id", Value: FollowUpID(id)}}, set); err != nil {
			return fmt.Errorf("record comment on follow-up: %w", err)
		}
	}
	return nil
}

// MarkSurveyReminded records that the survey was asked a second time.
func (s *Store) MarkSurveyReminded(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.Collection("surveys").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "reminded_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("mark survey %s reminded: %w", id, err)
	}
	return nil
}

// ExpireSurvey marks an unanswered survey expired and closes the customer's open survey; it
// reports whether the survey was still unanswered.
func (s *Store) ExpireSurvey(ctx context.Context, id string, at time.Time) (bool, error) {
	sv, err := s.Survey(ctx, id)
	if err != nil {
		return false, err
	}
	if err := s.ReleaseSurveyClaim(ctx, sv.OpenID, sv.ID); err != nil {
		return false, err
	}
	if sv.Status != complaintbot.SurveySent {
		return false, nil
	}
	expired, err := s.updateIf(ctx, s.db.Collection("surveys"), id, bson.D{{Key: "status", Value: complaintbot.SurveySent}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.SurveyExpired}, {Key: "expired_at", Value: at}}}})
	if err != nil {
		return false, fmt.Errorf("expire survey %s: %w", id, err)
	}
	return expired, nil // not when it was answered meanwhile
}

// PurgeSurveyClaims deletes open-survey records that expired before before (their expiry job
// normally deletes them).
func (s *Store) PurgeSurveyClaims(ctx context.Context, before time.Time) (int64, error) {
	return s.deleteByTime(ctx, "survey_open", "expires_at", purgeFrom, before, nil)
}

// EachReportSurvey calls fn with every case survey changed since since (sent, answered or
// expired at or after it; zero: all), batch at a time.
func (s *Store) EachReportSurvey(ctx context.Context, since time.Time, batch int, fn func([]complaintbot.Survey) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "subject", Value: complaintbot.SurveyOfCase}}
	if !since.IsZero() {
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "sent_at", Value: bson.D{{Key: "$gte", Value: since}}}},
			bson.D{{Key: "answered_at", Value: bson.D{{Key: "$gte", Value: since}}}},
			bson.D{{Key: "expired_at", Value: bson.D{{Key: "$gte", Value: since}}}},
		}})
	}
	return scanBatches(ctx, s, s.ScanCollection("surveys"), filter, nil, batch, fn)
}

// ReportSurveyByID returns the survey with the given id, or ErrNotFound, like Survey but through
// the read-only connection (see ScanCollection), as the reports' other reads do.
func (s *Store) ReportSurveyByID(ctx context.Context, id string) (*complaintbot.Survey, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var sv complaintbot.Survey
	if err := s.ScanCollection("surveys").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sv); err != nil {
		return nil, fmt.Errorf("load survey %s for reports: %w", id, notFound(err))
	}
	return &sv, nil
}
