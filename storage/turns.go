package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// turnEffects is how a turn's effects are stored.
type turnEffects struct {
	List []complaintbot.TurnEffect `bson:"list"`
}

// turnOut is a turn as written: the state pre-encoded, so that an empty one is left out.
type turnOut struct {
	ID      string             `bson:"_id"`
	OpenID  string             `bson:"openid"`
	Version int64              `bson:"version"`
	Dedupe  string             `bson:"dedupe"`
	At      time.Time          `bson:"at"`
	In      complaintbot.Input `bson:"in"`
	Replies []string           `bson:"replies,omitempty"`
	State   bson.Raw           `bson:"state,omitempty"`
	Effects *turnEffects       `bson:"effects,omitempty"`
	Cases   []string           `bson:"cases,omitempty"`
}

// turnIn is a turn as read (a projection may leave out state and effects).
type turnIn struct {
	ID      string                          `bson:"_id"`
	OpenID  string                          `bson:"openid"`
	Version int64                           `bson:"version"`
	Dedupe  string                          `bson:"dedupe"`
	At      time.Time                       `bson:"at"`
	In      complaintbot.Input              `bson:"in"`
	Replies []string                        `bson:"replies,omitempty"`
	State   *complaintbot.ConversationState `bson:"state,omitempty"`
	Effects *turnEffects                    `bson:"effects,omitempty"`
	Cases   []string                        `bson:"cases,omitempty"`
}

// turnRecord is the document the turn is stored as (see complaintbot.Turn's State and Effects).
// Writers insert it rather than the turn: the driver encodes it directly.
func turnRecord(t *complaintbot.Turn) (*turnOut, error) {
	d := &turnOut{ID: t.ID, OpenID: t.OpenID, Version: t.Version, Dedupe: t.Dedupe, At: t.At, In: t.In, Replies: t.Replies, Cases: t.Cases}
	st := t.State
	if st.LastActive.Equal(t.At) {
		st.LastActive = time.Time{}
	}
	raw, err := bson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode conversation state of turn %s: %w", maskedTurn(t.ID), err)
	}
	if len(raw) > 5 { // not {}
		d.State = raw
	}
	if len(t.Effects) > 0 {
		d.Effects = &turnEffects{List: t.Effects}
	}
	return d, nil
}

// TurnRecord returns the document the turn is stored as, for tools and benchmarks that bulk-load
// turns (storage/seed).
func TurnRecord(t *complaintbot.Turn) (any, error) { return turnRecord(t) }

// turn is the stored turn as read (see complaintbot.Turn's State and Effects): a LastActive left
// out is the turn's time.
func (d *turnIn) turn() *complaintbot.Turn {
	t := &complaintbot.Turn{ID: d.ID, OpenID: d.OpenID, Version: d.Version, Dedupe: d.Dedupe, At: d.At, In: d.In, Replies: d.Replies, Cases: d.Cases}
	if d.State != nil {
		t.State = *d.State
	}
	if t.State.LastActive.IsZero() {
		t.State.LastActive = t.At
	}
	if d.Effects != nil {
		t.Effects = d.Effects.List
	}
	return t
}

// decodeTurn reads one stored turn from a query's result.
func decodeTurn(r *mongo.SingleResult) (*complaintbot.Turn, error) {
	var d turnIn
	if err := r.Decode(&d); err != nil {
		return nil, err
	}
	return d.turn(), nil
}

// maskedTurn is a turn id fit for an error message: the openid in it masked.
func maskedTurn(id string) string {
	openID, rest, ok := strings.Cut(id, "#")
	if !ok {
		return complaintbot.MaskOpenID(id)
	}
	return complaintbot.MaskOpenID(openID) + "#" + rest
}

// turnVersion reads the version out of the id of one of the customer's turns (TurnID).
func turnVersion(id, openID string) (int64, bool) {
	digits, ok := strings.CutPrefix(id, openID+"#")
	if !ok || len(digits) != 12 {
		return 0, false
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	return v, err == nil && v > 0
}

// TurnID returns the id of the customer's turn with the given version.
func TurnID(openID string, version int64) string {
	return fmt.Sprintf("%s#%012d", openID, version)
}

// ErrVersionConflict means another writer appended the same version first: reload and retry.
var ErrVersionConflict = errors.New("conversation changed concurrently")

// DuplicateError means the turn's dedupe key was already recorded: the message is a retry, and
// Existing is the turn that answered it first.
type DuplicateError struct{ Existing *complaintbot.Turn }

func (e *DuplicateError) Error() string { return "duplicate message " + e.Existing.Dedupe }

// AppendTurn inserts the turn. It returns a *DuplicateError when the dedupe key exists already, and
// ErrVersionConflict when another turn holds the same version. Telling the two apart reads only by
// _id (see duplicateOf), so a retry costs the same on a year of turns as on an empty database.
func (s *Store) AppendTurn(ctx context.Context, t *complaintbot.Turn) error {
	if t.ID == "" {
		t.ID = TurnID(t.OpenID, t.Version)
	}
	if t.Dedupe == "" {
		t.Dedupe = "turn:" + t.ID // the unique index must always see a key
	}
	doc, err := turnRecord(t)
	if err != nil {
		return fmt.Errorf("append turn %s: %w", t.ID, err)
	}
	err = s.turnWriter.write(ctx, doc)
	if err == nil {
		s.rememberDedupe(t)
		return nil
	}
	if !IsDuplicate(err) {
		return fmt.Errorf("append turn %s: %w", t.ID, err)
	}
	existing, ferr := s.duplicateOf(ctx, t)
	switch {
	case ferr != nil:
		return fmt.Errorf("append turn %s: look up duplicate: %w", t.ID, ferr)
	case existing != nil:
		return &DuplicateError{Existing: existing}
	default:
		return ErrVersionConflict
	}
}

// Turn returns the turn with the given id, or ErrNotFound.
func (s *Store) Turn(ctx context.Context, id string) (*complaintbot.Turn, error) {
	t, err := decodeTurn(s.lookup("turns").FindOne(ctx, bson.D{{Key: "_id", Value: id}}))
	if err != nil {
		return nil, fmt.Errorf("find turn %s: %w", id, notFound(err))
	}
	return t, nil
}

// LatestTurn returns the customer's newest turn, or ErrNotFound for a customer never seen.
// On MongoDB it is one indexed query. The embedded server answers such a query by reading every
// turn, but looks up ids by index (see IndexEmbedded); versions have no gaps (version v+1 is
// written only after v), so there the newest is found by probing ids, doubling up and then
// halving: about 2·log2(version) lookups.
func (s *Store) LatestTurn(ctx context.Context, openID string) (*complaintbot.Turn, error) {
	if s.embedded == nil {
		opts := options.FindOne().SetSort(bson.D{{Key: "version", Value: -1}})
		t, err := decodeTurn(s.turns.FindOne(ctx, bson.D{{Key: "openid", Value: openID}}, opts))
		if err != nil {
			return nil, fmt.Errorf("find latest turn: %w", notFound(err))
		}
		return t, nil
	}
	v, err := s.latestVersion(ctx, openID)
	if err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, fmt.Errorf("find latest turn: %w", ErrNotFound)
	}
	return s.Turn(ctx, TurnID(openID, v))
}

// SeenCustomer reports, where the store can tell with one indexed read and no round trip to the
// server (the embedded server's _id index, read from its file), whether the customer has any
// turn; known is false where it cannot tell so (MongoDB: the caller guesses, and the version
// check of its write catches a wrong guess).
func (s *Store) SeenCustomer(ctx context.Context, openID string) (seen, known bool) {
	id, ok, err := s.lastIDWithPrefix(ctx, "turns", openID+"#")
	if err != nil || !ok {
		return false, false
	}
	return id != "", true
}

// latestVersion finds the newest version, 0 for a customer never seen: on the embedded server by
// one read of the _id index (lastIDWithPrefix), else by probing ids.
func (s *Store) latestVersion(ctx context.Context, openID string) (int64, error) {
	if id, ok, err := s.lastIDWithPrefix(ctx, "turns", openID+"#"); err == nil && ok {
		if id == "" {
			return 0, nil
		}
		if v, ok := turnVersion(id, openID); ok {
			return v, nil
		}
	}
	return probeLatest(func(v int64) (bool, error) {
		err := s.lookup("turns").FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if err == nil {
			return true, nil
		}
		if notFound(err) == ErrNotFound {
			return false, nil
		}
		return false, fmt.Errorf("find latest turn: %w", err)
	})
}

// probeLatest returns the largest n ≥ 1 for which exists is true, given that the numbers that
// exist form a run from 1 (0 when 1 does not exist): doubling up and then halving, about
// 2·log2(n) calls.
func probeLatest(exists func(n int64) (bool, error)) (int64, error) {
	return probeLatestFrom(0, exists)
}

// probeLatestFrom is probeLatest starting from hint, a number believed to exist (0: none): two
// calls when hint is the latest, a search upwards from it when more exist, and the whole search
// when it does not exist (the run was deleted).
func probeLatestFrom(hint int64, exists func(n int64) (bool, error)) (int64, error) {
	lo := int64(0) // exists (or is 0)
	if hint > 0 {
		ok, err := exists(hint)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = hint
		}
	}
	step := int64(1)
	hi := lo + step // the next probe
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, step = hi, step*2
		hi = lo + step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// recentTurns returns the customer's newest turns (at most limit), newest first, whole: their
// state and effects tell what each session concerns (see TranscriptSessions).
func (s *Store) recentTurns(ctx context.Context, openID string, limit int) ([]complaintbot.Turn, error) {
	proj := bson.D{}
	var turns []complaintbot.Turn
	if s.embedded == nil {
		cur, err := s.turns.Find(ctx, bson.D{{Key: "openid", Value: openID}},
			options.Find().SetSort(bson.D{{Key: "version", Value: -1}}).SetLimit(int64(limit)).SetProjection(proj))
		if err != nil {
			return nil, fmt.Errorf("read transcript: %w", err)
		}
		var docs []turnIn
		if err := cur.All(ctx, &docs); err != nil {
			return nil, fmt.Errorf("read transcript: %w", err)
		}
		for i := range docs {
			turns = append(turns, *docs[i].turn())
		}
		return turns, nil
	}
	v, err := s.latestVersion(ctx, openID)
	if err != nil {
		return nil, err
	}
	for ; v > 0 && len(turns) < limit; v-- {
		t, err := decodeTurn(s.turns.FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}}, options.FindOne().SetProjection(proj)))
		if err != nil {
			return nil, fmt.Errorf("read transcript: %w", notFound(err))
		}
		turns = append(turns, *t)
	}
	return turns, nil
}

// Direction says whether a transcript line came from the customer or went to them.
type Direction string

// The directions of a transcript line.
const (
	Inbound  Direction = "in"
	Outbound Direction = "out"
	// Note is an agent's internal note on the conversation: shown in the console, never sent.
	Note Direction = "note"
)

// Line is one message of a conversation's transcript.
type Line struct {
	ID      string                 `bson:"_id" json:"id"`
	OpenID  string                 `bson:"openid" json:"-"`
	Dir     Direction              `bson:"dir" json:"dir"`
	Type    complaintbot.InputType `bson:"type" json:"type"`
	Text    string                 `bson:"text" json:"text"`
	MediaID string                 `bson:"media_id,omitempty" json:"media_id,omitempty"`
	At      time.Time              `bson:"at" json:"at"`
	// By names who sent an outbound line: complaintbot.BotUser, an agent's username, or
	// complaintbot.SystemUser.
	By string `bson:"by,omitempty" json:"by,omitempty"`
	// Session is the customer's session a bot turn's line belongs to
	// (complaintbot.ConversationState.Session); 0 for the other lines and for turns written before
	// sessions existed.
	Session int `bson:"-" json:"-"`
	// FromTurn marks the lines of a bot turn (the message and the bot's replies).
	FromTurn bool `bson:"-" json:"-"`
	// Case is the case a line sent through the outbox was about (a notice), "" for none.
	Case string `bson:"case,omitempty" json:"-"`
}

// SessionFacts is what a session's own turns say about what it concerns, for deciding whose it
// is (see handoffs): the cases it registered, added to or rated, the branch its draft named, the
// queue entry it made.
type SessionFacts struct {
	Session int
	// Cases are the numbers of the cases the session registered, added to or rated.
	Cases []string
	// DraftBranch is the branch code the session's draft named last ("" none).
	DraftBranch string
	// HandoffID is the queue entry the session made ("" none).
	HandoffID string
}

// AppendLine records a transcript line that is not part of a bot turn (an agent's reply, a notice).
// l.ID is the caller's idempotency key: a line with a key recorded already is not written again.
// Lines are stored in the customer's own numbered sequence (_id "openid#line#n", the key kept in a
// unique field), so a transcript reads a customer's lines by _id, never by a query over everyone's.
func (s *Store) AppendLine(ctx context.Context, l Line) error {
	n, err := s.latestLine(ctx, l.OpenID)
	if err != nil {
		return err
	}
	for range 100 {
		n++
		doc := lineDoc{ID: lineID(l.OpenID, n), Key: l.ID, Line: l}
		_, err := s.messages.InsertOne(ctx, doc)
		if err == nil {
			return nil
		}
		if !IsDuplicate(err) {
			return fmt.Errorf("append transcript line: %w", err)
		}
		var there lineDoc
		err = s.messages.FindOne(ctx, bson.D{{Key: "_id", Value: doc.ID}}).Decode(&there)
		switch {
		case notFound(err) == ErrNotFound:
			return nil // the number is free, so the key is recorded already: a redelivery
		case err != nil:
			return fmt.Errorf("append transcript line: %w", err)
		case there.Key == l.ID:
			return nil
		}
		// another writer took the number: take the next one
	}
	return fmt.Errorf("append transcript line: the customer's line numbers kept changing")
}

// lineDoc is a transcript line as stored: Line's own ID is the caller's key.
type lineDoc struct {
	ID   string `bson:"_id"`
	Key  string `bson:"key"`
	Line `bson:",inline"`
}

func init() {
	addIndex("messages", true, "key", 1)
}

// LineRecord returns the document of the customer's n-th transcript line (n from 1, in time
// order, no gaps), as AppendLine stores it: for tools and benchmarks that bulk-load transcripts.
func LineRecord(l Line, n int64) any { return lineDoc{ID: lineID(l.OpenID, n), Key: l.ID, Line: l} }

// lineID returns the id of the customer's n-th transcript line.
func lineID(openID string, n int64) string { return fmt.Sprintf("%s#line#%09d", openID, n) }

// latestLine finds the number of the customer's newest line by probing ids (see latestVersion);
// 0 for a customer with none.
func (s *Store) latestLine(ctx context.Context, openID string) (int64, error) {
	return probeLatest(func(n int64) (bool, error) {
		err := s.messages.FindOne(ctx, bson.D{{Key: "_id", Value: lineID(openID, n)}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if err == nil {
			return true, nil
		}
		if notFound(err) == ErrNotFound {
			return false, nil
		}
		return false, fmt.Errorf("find latest transcript line: %w", err)
	})
}

// recentLines returns the customer's newest lines (at most limit), newest first.
func (s *Store) recentLines(ctx context.Context, openID string, limit int) ([]Line, error) {
	n, err := s.latestLine(ctx, openID)
	if err != nil {
		return nil, err
	}
	var out []Line
	for ; n > 0 && len(out) < limit; n-- {
		var d lineDoc
		if err := s.messages.FindOne(ctx, bson.D{{Key: "_id", Value: lineID(openID, n)}}).Decode(&d); err != nil {
			return nil, fmt.Errorf("read transcript: %w", notFound(err))
		}
		d.Line.ID = d.Key
		out = append(out, d.Line)
	}
	return out, nil
}

// Transcript returns the customer's conversation, oldest first: the bot turns (message in, replies
// out) and the other lines, limited to the newest limit lines.
func (s *Store) Transcript(ctx context.Context, openID string, limit int) ([]Line, error) {
	lines, _, err := s.TranscriptSessions(ctx, openID, limit)
	return lines, err
}

// TranscriptSessions is Transcript with what the turns read say about each session.
func (s *Store) TranscriptSessions(ctx context.Context, openID string, limit int) ([]Line, map[int]*SessionFacts, error) {
	turns, err := s.recentTurns(ctx, openID, limit)
	if err != nil {
		return nil, nil, err
	}
	facts := map[int]*SessionFacts{}
	for i := range turns {
		t := &turns[i]
		f := facts[t.State.Session]
		if f == nil {
			f = &SessionFacts{Session: t.State.Session}
			facts[t.State.Session] = f
		}
		if d := t.State.Draft; d != nil && d.Branch != nil && f.DraftBranch == "" {
			f.DraftBranch = d.Branch.Code // turns come newest first: the draft's last branch
		}
		if t.State.HandoffID != "" && f.HandoffID == "" {
			f.HandoffID = t.State.HandoffID
		}
		for _, e := range t.Effects {
			number := e.CaseNumber
			if e.Case != nil {
				number = e.Case.Number
			}
			if number != "" && !slices.Contains(f.Cases, number) {
				f.Cases = append(f.Cases, number)
			}
		}
	}
	lines, err := s.recentLines(ctx, openID, limit)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range turns {
		if t.In.Type != complaintbot.InputControl {
			lines = append(lines, Line{ID: t.ID, OpenID: t.OpenID, Dir: Inbound, Type: t.In.Type, Text: t.In.Text, MediaID: t.In.MediaID, At: t.At,
				Session: t.State.Session, FromTurn: true})
		}
		for i, r := range t.Replies {
			lines = append(lines, Line{ID: fmt.Sprintf("%s/%d", t.ID, i), OpenID: t.OpenID, Dir: Outbound, Type: complaintbot.InputText, Text: r, At: t.At,
				By: complaintbot.BotUser, Session: t.State.Session, FromTurn: true})
		}
	}
	sortLines(lines)
	if len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	return lines, facts, nil
}

// sortLines orders lines by time; lines of one turn share its time and sort by id, which puts the
// inbound line ("openid#v") before its replies ("openid#v/0", "openid#v/1").
func sortLines(lines []Line) {
	slices.SortStableFunc(lines, func(a, b Line) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.FromTurn != b.FromTurn { // at one instant, the customer's turn comes before what followed it
			if a.FromTurn {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
