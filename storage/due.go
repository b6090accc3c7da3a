package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The scheduler's collections:
//
//   - sched_due_YYYYMMDD: what the scheduler must do and when (DueEntry), one collection per day
//     the entries fall due (Asia/Shanghai): case changes to look at, notices, deadline reminders,
//     surveys to send, remind and expire. Entries are only ever inserted, with ids derived from
//     what they are for, so writing one twice is harmless. Each job works through the entries due
//     since its checkpoint, reading only the days in between: what is due next week is not read
//     today. Housekeeping drops the days every job is past, which costs nothing however many
//     entries they hold (deleting documents one by one is slow on the embedded server).
//   - sched_jobs, sched_leases: the jobs' checkpoints and leases (jobs.go).
//   - sched_cases: what the scheduler last saw of each case (CaseTrack, case_tracks.go).

// duePrefix starts the name of every day's collection of scheduled entries.
const duePrefix = "sched_due_"

// dueDay is the name of the collection holding entries due at t.
func dueDay(t time.Time) string { return duePrefix + t.In(complaintbot.Shanghai).Format("20060102") }

// dueCollection returns the collection of entries due at t, made ready for use (see
// readyCollection).
func (s *Store) dueCollection(ctx context.Context, t time.Time) (*mongo.Collection, error) {
	return s.readyCollection(ctx, dueDay(t), bson.D{{Key: "kind", Value: 1}, {Key: "at", Value: 1}})
}

// dueDays lists the existing day collections, oldest first.
func (s *Store) dueDays(ctx context.Context) ([]string, error) {
	names, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list scheduled days: %w", err)
	}
	var days []string
	for _, n := range names {
		if strings.HasPrefix(n, duePrefix) && len(n) == len(duePrefix)+8 {
			days = append(days, n)
		}
	}
	slices.Sort(days)
	return days, nil
}

// The kinds of DueEntry.
const (
	DueChanged      = "changed"       // a case changed: compare it with what the scheduler last saw
	DueRated        = "rated"         // a survey was rated low: reopen the case if so configured
	DueProgress     = "progress"      // an open case may need a "still working on it" notice
	DueBeforeDue    = "before_due"    // an open case nears its promised reply date: tell the customer
	DueRemind       = "remind"        // a deadline is near: remind the agent and the supervisor
	DueOverdue      = "overdue"       // a deadline has passed: mark overdue, escalate
	DueSurvey       = "survey"        // send a satisfaction survey
	DueSurveyRemind = "survey_remind" // ask an unanswered survey once more
	DueSurveyExpire = "survey_expire" // an unanswered survey lapses
)

// DueEntry is something the scheduler must do at or after At. Its ID says what it is for (e.g.
// "remind#TS20261127-0001#reply#1796227199"), so that scheduling the same thing twice stores it once.
type DueEntry struct {
	ID   string    `bson:"_id"`
	Kind string    `bson:"kind"`
	At   time.Time `bson:"at"`
	Case string    `bson:"case,omitempty"`
	// Deadline ("reply" or "decision") and Due say which deadline a remind or overdue entry is for.
	Deadline string    `bson:"deadline,omitempty"`
	Due      time.Time `bson:"due"`
	// Ref is the survey a survey_remind, survey_expire or rated entry is about.
	Ref string `bson:"ref,omitempty"`
	// Survey is what a survey entry sends: the survey as known before it is asked (see NewSurvey;
	// only the fields NewSurvey takes are stored).
	Survey *complaintbot.Survey `bson:"-"`
}

// dueDoc is a DueEntry as stored. The survey seed is one JSON string: the embedded server parses
// every document of a day's collection to filter it, and one string costs it a fraction of what a
// sub-document of a dozen fields does.
type dueDoc struct {
	ID       string    `bson:"_id"`
	Kind     string    `bson:"kind"`
	At       time.Time `bson:"at"`
	Case     string    `bson:"case,omitempty"`
	Deadline string    `bson:"deadline,omitempty"`
	Due      time.Time `bson:"due"`
	Ref      string    `bson:"ref,omitempty"`
	Seed     string    `bson:"seed,omitempty"`
}

// seedDoc is a survey entry's survey as dueDoc.Seed holds it (JSON, under the field names stored
// entries have always had): the fields NewSurvey takes.
type seedDoc struct {
	ID           string
	Subject      string
	Case         string
	Round        int
	Handoff      string
	OpenID       string
	Kind         string
	Branch       string
	BranchName   string
	Category     string
	CategoryName string
	Agent        string
	Manual       bool
	By           string
}

// seedOf is the stored form of the survey sv of a survey entry.
func seedOf(sv *complaintbot.Survey) seedDoc {
	return seedDoc{ID: sv.ID, Subject: sv.Subject, Case: sv.Case, Round: sv.Round, Handoff: sv.Handoff, OpenID: sv.OpenID,
		Kind: sv.Kind, Branch: sv.Branch, BranchName: sv.BranchName, Category: sv.Category, CategoryName: sv.CategoryName,
		Agent: sv.Agent, Manual: sv.Manual, By: sv.By}
}

// survey is the survey a stored seed describes.
func (d *seedDoc) survey() *complaintbot.Survey {
	return &complaintbot.Survey{ID: d.ID, Subject: d.Subject, Case: d.Case, Round: d.Round, Handoff: d.Handoff, OpenID: d.OpenID,
		Kind: d.Kind, Branch: d.Branch, BranchName: d.BranchName, Category: d.Category, CategoryName: d.CategoryName,
		Agent: d.Agent, Manual: d.Manual, By: d.By}
}

// MarshalBSON stores the entry as a dueDoc.
func (e DueEntry) MarshalBSON() ([]byte, error) {
	d := dueDoc{ID: e.ID, Kind: e.Kind, At: e.At, Case: e.Case, Deadline: e.Deadline, Due: e.Due, Ref: e.Ref}
	if e.Survey != nil {
		b, err := json.Marshal(seedOf(e.Survey))
		if err != nil {
			return nil, fmt.Errorf("encode survey seed: %w", err)
		}
		d.Seed = string(b)
	}
	return bson.Marshal(d)
}

// UnmarshalBSON reads a stored dueDoc.
func (e *DueEntry) UnmarshalBSON(data []byte) error {
	var d dueDoc
	if err := bson.Unmarshal(data, &d); err != nil {
		return err
	}
	*e = DueEntry{ID: d.ID, Kind: d.Kind, At: d.At, Case: d.Case, Deadline: d.Deadline, Due: d.Due, Ref: d.Ref}
	if d.Seed != "" {
		var seed seedDoc
		if err := json.Unmarshal([]byte(d.Seed), &seed); err != nil {
			return fmt.Errorf("decode survey seed of %s: %w", d.ID, err)
		}
		e.Survey = seed.survey()
	}
	return nil
}

// InsertDue stores the entries, each in the collection of the day it falls due; entries whose id
// is stored already are left as they are. An entry keeps its day: write it due at the same time
// each time (ids say what an entry is for; the time is part of that).
func (s *Store) InsertDue(ctx context.Context, entries []DueEntry) error {
	byDay := map[string][]any{}
	first := map[string]time.Time{}
	for i := range entries {
		d := dueDay(entries[i].At)
		byDay[d] = append(byDay[d], entries[i])
		first[d] = entries[i].At
	}
	for _, d := range slices.Sorted(maps.Keys(byDay)) {
		c, err := s.dueCollection(ctx, first[d])
		if err != nil {
			return err
		}
		for _, err := range s.grouped.insert(ctx, c.Name(), byDay[d]...) {
			if err != nil && !IsDuplicate(err) {
				return fmt.Errorf("schedule %d entries on %s: %w", len(byDay[d]), d, err)
			}
		}
	}
	return nil
}

// CancelDue deletes a scheduled entry due from..to (a survey no longer wanted because its case was
// reopened).
func (s *Store) CancelDue(ctx context.Context, id string, from, to time.Time) error {
	days, err := s.dueDays(ctx)
	if err != nil {
		return err
	}
	for _, d := range days {
		if d < dueDay(from) || d > dueDay(to) {
			continue
		}
		if _, err := s.db.Collection(d).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			return fmt.Errorf("cancel scheduled entry: %w", err)
		}
	}
	return nil
}

// ScanDue calls fn with the entries of the given kinds due in (after, upTo], batch entries at a
// time, holding no more than one batch in memory. It reads only the days in that range, each with
// one cursor (index-backed on kind and at on MongoDB; on the embedded server the cursor reads the
// whole day, through the read-only connection); entries are not deleted, so fn must be
// idempotent. fn's error stops the scan.
func (s *Store) ScanDue(ctx context.Context, kinds []string, after, upTo time.Time, batch int, fn func([]DueEntry) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	days, err := s.dueDays(ctx)
	if err != nil {
		return err
	}
	filter := bson.D{{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}},
		{Key: "at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	for _, d := range days {
		if (!after.IsZero() && d < dueDay(after)) || d > dueDay(upTo) {
			continue
		}
		if err := scanBatches(ctx, s, s.ScanCollection(d), filter, bson.D{{Key: "at", Value: 1}}, batch, fn); err != nil {
			return err
		}
	}
	return nil
}

// PurgeScheduler drops the days of scheduled entries before the day of dueBefore (pass a time
// every job's checkpoint is past) and deletes leases taken before leaseBefore. It returns how many
// days and leases went.
func (s *Store) PurgeScheduler(ctx context.Context, dueBefore, leaseBefore time.Time) (int64, error) {
	days, err := s.dueDays(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, d := range days {
		if d >= dueDay(dueBefore) {
			break
		}
		if err := s.db.Collection(d).Drop(ctx); err != nil {
			return n, fmt.Errorf("drop scheduled day %s: %w", d, err)
		}
		readyCollections.Delete(indexedDay{s.db, d})
		n++
	}
	m, err := s.deleteByTime(ctx, "sched_leases", "at", purgeFrom, leaseBefore, nil)
	return n + m, err
}
