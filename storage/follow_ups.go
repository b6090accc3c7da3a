package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Follow-ups: a customer rated a survey low; the branch supervisor calls them back (回访).
func init() {
	addIndex("follow_ups", false, "status", 1, "created_at", 1)
}

// FollowUpStatus is where a follow-up call stands.
type FollowUpStatus string

// The statuses of a follow-up.
const (
	FollowUpOpen FollowUpStatus = "open"
	FollowUpDone FollowUpStatus = "done"
)

// FollowUp is a call back (回访) the branch supervisor owes a customer who rated a survey low.
type FollowUp struct {
	// ID is FollowUpID(survey).
	ID           string         `bson:"_id" json:"id"`
	Survey       string         `bson:"survey" json:"survey"`
	Case         string         `bson:"case" json:"case,omitempty"` // "" for a conversation survey
	OpenID       string         `bson:"openid" json:"-"`
	Branch       string         `bson:"branch" json:"branch"`
	BranchName   string         `bson:"branch_name" json:"branch_name"`
	Category     string         `bson:"category" json:"category"`
	CategoryName string         `bson:"category_name" json:"category_name"`
	Kind         string         `bson:"kind" json:"kind"`
	Agent        string         `bson:"agent" json:"agent"`
	Rating       int            `bson:"rating" json:"rating"`
	Comment      string         `bson:"comment" json:"comment,omitempty"`
	Status       FollowUpStatus `bson:"status" json:"status"`
	Created      time.Time      `bson:"created_at" json:"created_at"`
	Done         *time.Time     `bson:"done_at,omitempty" json:"done_at,omitempty"`
	DoneBy       string         `bson:"done_by,omitempty" json:"done_by,omitempty"`
	Note         string         `bson:"note,omitempty" json:"note,omitempty"`
	// TakenBy is the user working the call (taken at TakenAt); "" while nobody has taken it.
	TakenBy string     `bson:"taken_by,omitempty" json:"taken_by,omitempty"`
	TakenAt *time.Time `bson:"taken_at,omitempty" json:"taken_at,omitempty"`
	// Reached says whether the customer was reached (set when done through the console).
	Reached *bool `bson:"reached,omitempty" json:"reached,omitempty"`
	// View is the customer's view after the call; NewRating a rating 1–5 they gave on the call (0: none).
	View      string `bson:"view,omitempty" json:"view,omitempty"`
	NewRating int    `bson:"new_rating,omitempty" json:"new_rating,omitempty"`
}

// FollowUpByID returns one follow-up (ErrNotFound when there is none).
func (s *Store) FollowUpByID(ctx context.Context, id string) (*FollowUp, error) {
	var f FollowUp
	if err := s.db.Collection("follow_ups").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f); err != nil {
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("follow-up %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("follow-up %s: %w", id, err)
	}
	return &f, nil
}

// TakeFollowUp records that by works the open follow-up from at on (ErrNotFound when there is no
// open follow-up of that id).
func (s *Store) TakeFollowUp(ctx context.Context, id, by string, at time.Time) error {
	if err := s.openFollowUp(ctx, id); err != nil {
		return fmt.Errorf("take follow-up: %w", err)
	}
	r, err := s.db.Collection("follow_ups").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "taken_by", Value: by}, {Key: "taken_at", Value: at}}}})
	if err != nil {
		return fmt.Errorf("take follow-up: %w", err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("take follow-up %s: %w", id, ErrNotFound)
	}
	return nil
}

// openFollowUp checks that the follow-up exists and is open. The filters stay {_id} alone so that
// the embedded server uses its index; two people closing the same call at the same instant may
// both succeed (the later outcome stands), which the audit trail shows.
func (s *Store) openFollowUp(ctx context.Context, id string) error {
	f, err := s.FollowUpByID(ctx, id)
	if err != nil {
		return err
	}
	if f.Status != FollowUpOpen {
		return fmt.Errorf("follow-up %s is %s: %w", id, f.Status, ErrNotFound)
	}
	return nil
}

// FollowUpCall is what the caller recorded of a follow-up call.
type FollowUpCall struct {
	Reached   bool
	View      string
	Note      string
	NewRating int // 0: none given
}

// RecordFollowUp closes the open follow-up with the call's outcome (ErrNotFound when there is no
// open follow-up of that id).
func (s *Store) RecordFollowUp(ctx context.Context, id, by string, call FollowUpCall, at time.Time) error {
	set := bson.D{{Key: "status", Value: FollowUpDone}, {Key: "done_at", Value: at}, {Key: "done_by", Value: by}, {Key: "note", Value: call.Note},
		{Key: "reached", Value: call.Reached}, {Key: "view", Value: call.View}}
	if call.NewRating > 0 {
		set = append(set, bson.E{Key: "new_rating", Value: call.NewRating})
	}
	if err := s.openFollowUp(ctx, id); err != nil {
		return fmt.Errorf("record follow-up: %w", err)
	}
	r, err := s.db.Collection("follow_ups").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return fmt.Errorf("record follow-up: %w", err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("record follow-up %s: %w", id, ErrNotFound)
	}
	return s.followUpDone(ctx, id, at)
}

// followUpDone marks the follow-up's list entry done (list_entries.go), writing it whole if it is
// missing.
func (s *Store) followUpDone(ctx context.Context, id string, at time.Time) error {
	f, err := s.FollowUpByID(ctx, id)
	if err != nil {
		return fmt.Errorf("list follow-up %s as done: %w", id, err)
	}
	return s.putFollowUpEntry(ctx, FollowUpEntry{ID: id, Branch: f.Branch, Created: f.Created, Done: &at})
}

// FollowUpID is the id of the follow-up raised by a survey.
func FollowUpID(survey string) string { return "followup:" + survey }

// RaiseFollowUp opens the follow-up call for a low-rated survey (once per survey).
func (s *Store) RaiseFollowUp(ctx context.Context, sv *complaintbot.Survey, at time.Time) error {
	f := FollowUp{ID: FollowUpID(sv.ID), Survey: sv.ID, Case: sv.Case, OpenID: sv.OpenID, Branch: sv.Branch, BranchName: sv.BranchName,
		Category: sv.Category, CategoryName: sv.CategoryName, Kind: sv.Kind, Agent: sv.Agent, Rating: sv.Rating, Comment: sv.Comment,
		Status: FollowUpOpen, Created: at}
	if _, err := s.db.Collection("follow_ups").InsertOne(ctx, f); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("raise follow-up for survey %s: %w", sv.ID, err)
	}
	// Its list entry (list_entries.go): inserted, so that raising it again keeps a done one done.
	if err := s.addFollowUpEntry(ctx, FollowUpEntry{ID: f.ID, Branch: f.Branch, Created: at}); err != nil {
		return fmt.Errorf("raise follow-up for survey %s: %w", sv.ID, err)
	}
	return nil
}

// FollowUpStatusOf returns the status of the survey's follow-up call, "" when it has none. Call it
// only for a low-rated survey (one that has a follow-up): a missing _id costs a scan.
func (s *Store) FollowUpStatusOf(ctx context.Context, survey string) (FollowUpStatus, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var f struct {
		Status FollowUpStatus `bson:"status"`
	}
	err := s.ScanCollection("follow_ups").FindOne(ctx, bson.D{{Key: "_id", Value: FollowUpID(survey)}},
		options.FindOne().SetProjection(bson.D{{Key: "status", Value: 1}})).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load follow-up of survey %s: %w", survey, err)
	}
	return f.Status, nil
}

// FollowUpsByID reads the follow-ups of the ids by _id on the read-only connection, in the ids'
// order; an id without a follow-up is left out.
func (s *Store) FollowUpsByID(ctx context.Context, ids []string) ([]FollowUp, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	out := []FollowUp{}
	coll := s.ScanCollection("follow_ups")
	for _, id := range ids {
		var f FollowUp
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("follow-up %s: %w", id, err)
		}
		out = append(out, f)
	}
	return out, nil
}
