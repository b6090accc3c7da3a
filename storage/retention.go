package storage

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Retention and erasure of customers' personal data (issue #14).
//
// A case is anonymised in place: the document keeps its number, kind, status, receiving channel,
// coding, category, branch, dates, deadlines and the scheduler's marks, so every figure computed
// from it stays; the openid, the fields (story, request, phone, name, person), the evidence, the
// texts of its additions, notes, replies and resolution, and every other free text are removed, and
// anonymised_at is set. Its surveys and follow-up calls keep their ratings and lose their
// comments, notes and openid; its outbox messages lose their text; its pictures are deleted; its
// audit entries lose their before/after texts; its report fact is rebuilt from the anonymised case
// (MarkCaseReport), which empties the register's text columns.
//
// A customer is erased whole: their cases anonymised, and every record keyed by or naming their
// openid deleted (turns, transcript lines, dedupe records, queue entries and their events, outbox
// messages that were about no case, pending marks, pictures, the messaging window, the survey
// claim, the subscription record) or stripped of it (surveys, follow-ups, the audit trail's
// conversation entries, which keep who did what, with the openid masked).
//
// Everything is read through the scan connection (ScanCollection) or by _id, and written by _id,
// so the customers' connection only ever sees single-document writes. Each step can run again:
// a run cut short is finished by the next (the case document, whose anonymised_at ends its
// selection, is written last; a customer's turns, which find them, are deleted last, newest first).

// Erasure counts the documents an anonymisation or erasure changed or deleted, by collection.
type Erasure map[string]int

// Total is the number of documents changed or deleted.
func (e Erasure) Total() int {
	n := 0
	for _, v := range e {
		n += v
	}
	return n
}

func (e Erasure) add(o Erasure) {
	for k, v := range o {
		e[k] += v
	}
}

// ErasedOpenID is what an anonymised document holds in place of the customer's openid.
const ErasedOpenID = ""

// endedStatuses are the statuses of a case that is over: only such a case is ever anonymised by age.
var endedStatuses = bson.A{string(complaintbot.StatusResolved), string(complaintbot.StatusClosed), string(complaintbot.StatusWithdrawn)}

// ScanExpiredCases calls fn with the cases that ended (resolved, closed or withdrawn), did not
// change after before and are not anonymised yet, batch at a time, read through the scan connection:
// the cases the retention job anonymises.
func (s *Store) ScanExpiredCases(ctx context.Context, before time.Time, batch int, fn func([]complaintbot.Case) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "updated_at", Value: bson.D{{Key: "$lt", Value: before}}},
		{Key: "status", Value: bson.D{{Key: "$in", Value: endedStatuses}}},
		{Key: "anonymised_at", Value: bson.D{{Key: "$exists", Value: false}}}}
	return scanBatches(ctx, s, s.ScanCollection("cases"), filter, nil, batch, fn)
}

// CustomerRetention is what the retention rules need to know of one customer.
type CustomerRetention struct {
	// LastActive is the time of the customer's newest turn (zero: none stored).
	LastActive time.Time
	// Cases are the customer's case numbers as their newest turn knows them.
	Cases []string
	// KeptSince is when the oldest of their cases that is not anonymised was received (zero: none).
	KeptSince time.Time
}

// CustomerRetention reads the customer's newest turn and their cases by _id; the cases in
// treatAnonymised count as anonymised already.
func (s *Store) CustomerRetention(ctx context.Context, openID string, treatAnonymised ...string) (CustomerRetention, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	var out CustomerRetention
	v, err := s.latestVersion(ctx, openID)
	if err != nil {
		return out, err
	}
	if v > 0 {
		t, err := s.Turn(ctx, TurnID(openID, v))
		if err != nil {
			return out, err
		}
		out.LastActive, out.Cases = t.At, t.Cases
	}
	for _, n := range out.Cases {
		if slices.Contains(treatAnonymised, n) {
			continue
		}
		var c complaintbot.Case
		err := s.ScanCollection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: n}},
			options.FindOne().SetProjection(bson.D{{Key: "received_at", Value: 1}, {Key: "anonymised_at", Value: 1}})).Decode(&c)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("load case %s: %w", n, err)
		}
		if c.AnonymisedAt == nil && (out.KeptSince.IsZero() || c.Received.Before(out.KeptSince)) {
			out.KeptSince = c.Received
		}
	}
	return out, nil
}

// AnonymiseCases anonymises the cases (see the top of this file) and their records. A case already
// anonymised is left as it is; a number with no case is skipped.
func (s *Store) AnonymiseCases(ctx context.Context, numbers []string, now time.Time) (Erasure, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	e := Erasure{}
	type pending struct {
		number string
		doc    bson.M
		openID string
	}
	var todo []pending
	for _, n := range numbers {
		var doc bson.M
		err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: n}}).Decode(&doc)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return e, fmt.Errorf("anonymise case %s: %w", n, err)
		}
		if _, done := doc["anonymised_at"]; done {
			continue
		}
		openID, _ := doc["openid"].(string)
		todo = append(todo, pending{number: n, doc: doc, openID: openID})
	}
	if len(todo) == 0 {
		return e, nil
	}
	nums := make([]string, len(todo))
	secrets := []string{}
	for i, p := range todo {
		nums[i] = p.number
		if p.openID != "" {
			secrets = append(secrets, p.openID)
		}
	}
	// Pictures kept as evidence.
	for _, p := range todo {
		if ev, ok := p.doc["evidence"].(bson.A); ok {
			var ids []string
			for _, x := range ev {
				if m, ok := x.(bson.M); ok {
					if id, _ := m["media_id"].(string); id != "" {
						ids = append(ids, id)
					}
				}
			}
			n, err := s.eraseMedia(ctx, ids, now)
			e.add(n)
			if err != nil {
				return e, err
			}
		}
	}
	// Surveys (number#round) and their follow-up calls: the ratings stay.
	for _, p := range todo {
		ids := map[string]bool{}
		if sat, ok := p.doc["satisfaction"].(bson.M); ok {
			if id, _ := sat["survey"].(string); id != "" {
				ids[id] = true
			}
		}
		for r, misses := 1, 0; r <= 100 && misses < 3; r++ {
			id := fmt.Sprintf("%s#%d", p.number, r)
			err := s.ScanCollection("surveys").FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
			switch {
			case err == nil:
				ids[id], misses = true, 0
			case notFound(err) == ErrNotFound:
				misses++
			default:
				return e, fmt.Errorf("anonymise case %s: find survey: %w", p.number, err)
			}
		}
		n, err := s.anonymiseSurveys(ctx, slices.Sorted(maps.Keys(ids)))
		e.add(n)
		if err != nil {
			return e, err
		}
	}
	// Outbox messages about the cases: their texts.
	n, err := s.blankWhere(ctx, "outbox", bson.D{{Key: "case_number", Value: bson.D{{Key: "$in", Value: nums}}}},
		bson.D{{Key: "text", Value: ""}, {Key: "openid", Value: ErasedOpenID}, {Key: "handled_note", Value: ""}})
	e.add(n)
	if err != nil {
		return e, err
	}
	// The audit trail of the cases: who did what stays, the texts go.
	n, err = s.scrubAudit(ctx, bson.D{{Key: "target_type", Value: "case"}, {Key: "target", Value: bson.D{{Key: "$in", Value: nums}}}}, secrets, false)
	e.add(n)
	if err != nil {
		return e, err
	}
	// The numbers' claims name the registering turn, whose id holds the openid.
	for _, p := range todo {
		if turn, _ := p.doc["source_turn"].(string); turn != "" {
			r, err := s.caseNumberTurns.DeleteOne(ctx, bson.D{{Key: "_id", Value: turn}})
			if err != nil {
				return e, fmt.Errorf("anonymise case %s: %w", p.number, err)
			}
			e[CaseNumberTurnsCollection] += int(r.DeletedCount)
		}
		r, err := s.caseNumbers.UpdateOne(ctx, bson.D{{Key: "_id", Value: p.number}}, bson.D{{Key: "$set", Value: bson.D{{Key: "turn", Value: "erased:" + p.number}}}})
		if err != nil {
			return e, fmt.Errorf("anonymise case %s: %w", p.number, err)
		}
		e["case_numbers"] += int(r.ModifiedCount)
	}
	// The case documents last: anonymised_at ends their selection.
	for _, p := range todo {
		doc := anonymisedCase(p.doc, p.number, p.openID, now)
		if _, err := s.cases.ReplaceOne(ctx, bson.D{{Key: "_id", Value: p.number}}, doc); err != nil {
			return e, fmt.Errorf("anonymise case %s: %w", p.number, err)
		}
		e["cases"]++
		s.notifyCaseChange(p.number)
		if err := s.MarkCaseReport(ctx, p.number, "", now); err != nil {
			return e, err
		}
	}
	return e, nil
}

// caseKept are the case document's fields kept as they are: the figures and what identifies the
// case without identifying its customer.
var caseKept = map[string]bool{
	"_id": true, "kind": true, "status": true, "channel": true, "coding": true, "category": true, "branch": true,
	"occurred_at": true, "occurred_precision": true, "urgent": true, "received_at": true, "reply_due": true,
	"decision_due": true, "day": true, "month": true, "updated_at": true, "replied_at": true, "waiting_since": true,
	"paused_ns": true, "overdue": true, "escalated_at": true, "escalation": true, "reopened_at": true,
	"reopen_reason": true, "reopened_for": true, "level": true, "risk": true, "withdrawn_at": true,
	"work.rev": true, "work.assignee": true, "work.accepted_at": true, "work.accepted_by": true,
	"work.departments": true, "work.extensions": true,
}

// caseDropped are the case document's fields removed whole.
var caseDropped = map[string]bool{"fields": true, "evidence": true}

// anonymisedCase returns the anonymised document of case number (see caseKept): the fields not
// kept lose every text that is not a code (scrubText).
func anonymisedCase(doc bson.M, number, openID string, now time.Time) bson.M {
	out := bson.M{}
	for k, v := range doc {
		switch {
		case caseDropped[k]:
		case k == "openid":
			out[k] = ErasedOpenID
		case k == "source_turn":
			out[k] = "erased:" + number // unique: every case keeps one
		case caseKept[k]:
			out[k] = v
		default:
			out[k] = scrubValue(v, k, []string{openID})
		}
	}
	if w, ok := out["work"].(bson.M); ok {
		if rev, ok := w["rev"].(int64); ok {
			w["rev"] = rev + 1 // a change prepared on the case before stays unwritten
		}
	}
	out["anonymised_at"] = now
	return out
}

// scrubValue returns v with every string that is not a code (see isCode) emptied, recursively;
// the paths of caseKept under it are kept.
func scrubValue(v any, path string, secrets []string) any {
	if caseKept[path] {
		return v
	}
	switch x := v.(type) {
	case string:
		return scrubText(x, secrets)
	case bson.M:
		out := bson.M{}
		for k, v := range x {
			out[k] = scrubValue(v, path+"."+k, secrets)
		}
		return out
	case bson.D:
		out := bson.D{}
		for _, el := range x {
			out = append(out, bson.E{Key: el.Key, Value: scrubValue(el.Value, path+"."+el.Key, secrets)})
		}
		return out
	case bson.A:
		out := bson.A{}
		for _, el := range x {
			out = append(out, scrubValue(el, path, secrets))
		}
		return out
	}
	return v
}

var (
	codeRe       = regexp.MustCompile(`^[A-Za-z0-9_.:#@/\-]{0,64}$`)
	digitsRe     = regexp.MustCompile(`\d{7,}`)
	caseNumberRe = regexp.MustCompile(`(TS|JY|BY)\d{8}-\d{4,}`)
)

// scrubText keeps a code (a status, a kind, a user name, an id such as a survey's "TS…#1": short,
// ASCII, no run of seven digits such as a phone number outside a case number) that does not
// contain the customer's openid; any other text becomes "".
func scrubText(s string, secrets []string) string {
	if !codeRe.MatchString(s) || digitsRe.MatchString(caseNumberRe.ReplaceAllString(s, "")) {
		return ""
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return ""
		}
	}
	return s
}

// anonymiseSurveys removes the comments and the openid of the surveys and of their follow-up calls.
func (s *Store) anonymiseSurveys(ctx context.Context, ids []string) (Erasure, error) {
	e := Erasure{}
	for _, id := range ids {
		r, err := s.db.Collection("surveys").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "comment", Value: ""}, {Key: "openid", Value: ErasedOpenID}, {Key: "answer_turn", Value: ""}}}})
		if err != nil {
			return e, fmt.Errorf("anonymise survey: %w", err)
		}
		e["surveys"] += int(r.MatchedCount)
		r, err = s.db.Collection("follow_ups").UpdateOne(ctx, bson.D{{Key: "_id", Value: FollowUpID(id)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "comment", Value: ""}, {Key: "openid", Value: ErasedOpenID}, {Key: "note", Value: ""}, {Key: "view", Value: ""}}}})
		if err != nil {
			return e, fmt.Errorf("anonymise follow-up call: %w", err)
		}
		e["follow_ups"] += int(r.MatchedCount)
	}
	return e, nil
}

// blankWhere sets set on every document of the collection that filter selects (read through the
// scan connection, written by _id).
func (s *Store) blankWhere(ctx context.Context, coll string, filter, set bson.D) (Erasure, error) {
	ids, err := s.idsWhere(ctx, coll, filter)
	if err != nil {
		return nil, err
	}
	e := Erasure{}
	for _, id := range ids {
		if _, err := s.db.Collection(coll).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}}); err != nil {
			return e, fmt.Errorf("anonymise %s: %w", coll, err)
		}
		e[coll]++
	}
	return e, nil
}

// deleteWhere deletes every document of the collection that filter selects (read through the
// scan connection, deleted by _id).
func (s *Store) deleteWhere(ctx context.Context, coll string, filter bson.D) (Erasure, error) {
	ids, err := s.idsWhere(ctx, coll, filter)
	if err != nil {
		return nil, err
	}
	return s.deleteIDs(ctx, coll, ids)
}

func (s *Store) deleteIDs(ctx context.Context, coll string, ids []any) (Erasure, error) {
	e := Erasure{}
	for _, id := range ids {
		r, err := s.db.Collection(coll).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return e, fmt.Errorf("erase from %s: %w", coll, err)
		}
		e[coll] += int(r.DeletedCount)
	}
	return e, nil
}

func (s *Store) idsWhere(ctx context.Context, coll string, filter bson.D) ([]any, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(coll).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find in %s: %w", coll, err)
	}
	var rows []struct {
		ID any `bson:"_id"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("find in %s: %w", coll, err)
	}
	ids := make([]any, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

// scrubAudit empties the before/after texts of the audit entries filter selects, unless they are
// codes (scrubText); with maskTarget, a target that is one of secrets (an openid) is masked.
func (s *Store) scrubAudit(ctx context.Context, filter bson.D, secrets []string, maskTarget bool) (Erasure, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("audit").Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("find in audit: %w", err)
	}
	var rows []AuditEntry
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("find in audit: %w", err)
	}
	e := Erasure{}
	for _, a := range rows {
		set := bson.D{}
		for _, f := range []struct{ key, v string }{{"before", a.Before}, {"after", a.After}} {
			if clean := scrubText(f.v, secrets); clean != f.v {
				set = append(set, bson.E{Key: f.key, Value: clean})
			}
		}
		if maskTarget && slices.Contains(secrets, a.Target) {
			set = append(set, bson.E{Key: "target", Value: complaintbot.MaskOpenID(a.Target)})
		}
		if len(set) == 0 {
			continue
		}
		if _, err := s.db.Collection("audit").UpdateOne(ctx, bson.D{{Key: "_id", Value: a.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
			return e, fmt.Errorf("anonymise audit trail: %w", err)
		}
		e["audit"]++
	}
	return e, nil
}

// eraseMedia deletes the pictures: their chunks and download requests go, and the file document
// is replaced by an expired one without the openid (so that a download still pending is never
// made: a picture with a file document is done).
func (s *Store) eraseMedia(ctx context.Context, ids []string, now time.Time) (Erasure, error) {
	e := Erasure{}
	for _, id := range ids {
		var f MediaFile
		err := s.db.Collection(mediaFiles).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
		if err != nil && notFound(err) != ErrNotFound {
			return e, fmt.Errorf("erase picture: %w", err)
		}
		if err == nil && f.Status == MediaExpired && f.Reason == "erased" {
			continue
		}
		for n := 0; ; n++ { // the file's chunks, and any left by a save cut short
			r, err := s.db.Collection(mediaChunks).DeleteOne(ctx, bson.D{{Key: "_id", Value: chunkID(id, n)}})
			if err != nil {
				return e, fmt.Errorf("erase picture: %w", err)
			}
			if r.DeletedCount == 0 && n >= f.Chunks {
				break
			}
			e[mediaChunks] += int(r.DeletedCount)
		}
		gone := MediaFile{ID: id, OpenID: ErasedOpenID, Status: MediaExpired, Reason: "erased", At: now}
		if _, err := s.db.Collection(mediaFiles).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, gone, options.Replace().SetUpsert(true)); err != nil {
			return e, fmt.Errorf("erase picture: %w", err)
		}
		e[mediaFiles]++
		r, err := s.db.Collection(mediaRequests).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return e, fmt.Errorf("erase picture: %w", err)
		}
		e[mediaRequests] += int(r.DeletedCount)
	}
	return e, nil
}

// EraseCustomers erases the customers whole (see the top of this file): their cases are
// anonymised and every other record of theirs deleted or stripped of their openid. It returns
// what it changed; an erasure cut short is finished by calling it again.
func (s *Store) EraseCustomers(ctx context.Context, openIDs []string, now time.Time) (Erasure, error) {
	e := Erasure{}
	if len(openIDs) == 0 {
		return e, nil
	}
	ids := bson.A{}
	for _, id := range openIDs {
		ids = append(ids, id)
	}
	inIDs := bson.D{{Key: "$in", Value: ids}}
	// Their cases: those their turns name, and any other naming them.
	numbers := map[string]bool{}
	for _, id := range openIDs {
		st, err := s.CustomerRetention(ctx, id)
		if err != nil {
			return e, err
		}
		for _, n := range st.Cases {
			numbers[n] = true
		}
	}
	more, err := s.idsWhere(ctx, "cases", bson.D{{Key: "openid", Value: inIDs}})
	if err != nil {
		return e, err
	}
	for _, n := range more {
		if n, ok := n.(string); ok {
			numbers[n] = true
		}
	}
	n, err := s.AnonymiseCases(ctx, slices.Sorted(maps.Keys(numbers)), now)
	e.add(n)
	if err != nil {
		return e, err
	}
	// Surveys of conversations and follow-up calls that name them.
	svs, err := s.idsWhere(ctx, "surveys", bson.D{{Key: "openid", Value: inIDs}})
	if err != nil {
		return e, err
	}
	var svIDs []string
	for _, id := range svs {
		if id, ok := id.(string); ok {
			svIDs = append(svIDs, id)
		}
	}
	if err := take(e)(s.anonymiseSurveys(ctx, svIDs)); err != nil {
		return e, err
	}
	if err := take(e)(s.blankWhere(ctx, "follow_ups", bson.D{{Key: "openid", Value: inIDs}},
		bson.D{{Key: "comment", Value: ""}, {Key: "openid", Value: ErasedOpenID}, {Key: "note", Value: ""}, {Key: "view", Value: ""}})); err != nil {
		return e, err
	}
	// Pictures.
	pics := map[string]bool{}
	for _, coll := range []string{mediaRequests, mediaFiles} {
		found, err := s.idsWhere(ctx, coll, bson.D{{Key: "openid", Value: inIDs}})
		if err != nil {
			return e, err
		}
		for _, id := range found {
			if id, ok := id.(string); ok {
				pics[id] = true
			}
		}
	}
	if err := take(e)(s.eraseMedia(ctx, slices.Sorted(maps.Keys(pics)), now)); err != nil {
		return e, err
	}
	// Records about them alone.
	if err := take(e)(s.blankWhere(ctx, "outbox", bson.D{{Key: "openid", Value: inIDs}, {Key: "case_number", Value: bson.D{{Key: "$nin", Value: bson.A{nil, ""}}}}},
		bson.D{{Key: "text", Value: ""}, {Key: "openid", Value: ErasedOpenID}, {Key: "handled_note", Value: ""}})); err != nil {
		return e, err
	}
	// The messages about no case go, and with them their call-list entries (keyed by the
	// message's _id), which would otherwise still be counted on the call list.
	gone, err := s.idsWhere(ctx, "outbox", bson.D{{Key: "openid", Value: inIDs}})
	if err != nil {
		return e, err
	}
	if err := take(e)(s.dropCallEntries(ctx, gone)); err != nil {
		return e, err
	}
	if err := take(e)(s.deleteIDs(ctx, "outbox", gone)); err != nil {
		return e, err
	}
	for _, coll := range []string{"handoffs", "handoff_events", PendingCollection} {
		if err := take(e)(s.deleteWhere(ctx, coll, bson.D{{Key: "openid", Value: inIDs}})); err != nil {
			return e, err
		}
	}
	for _, coll := range []string{"customers", "survey_open", WindowSendsCollection} {
		if err := take(e)(s.deleteIDs(ctx, coll, ids)); err != nil {
			return e, err
		}
	}
	if err := take(e)(s.eraseCustomerCases(ctx, openIDs)); err != nil { // customer_cases.go
		return e, err
	}
	if err := take(e)(s.scrubAudit(ctx, bson.D{{Key: "target_type", Value: "conversation"}, {Key: "target", Value: inIDs}}, openIDs, true)); err != nil {
		return e, err
	}
	// The transcript and the turns last, newest first: what is left stays findable.
	for _, id := range openIDs {
		last, err := s.latestLine(ctx, id)
		if err != nil {
			return e, err
		}
		for v := last; v >= 1; v-- {
			if _, err := s.messages.DeleteOne(ctx, bson.D{{Key: "_id", Value: lineID(id, v)}}); err != nil {
				return e, fmt.Errorf("erase transcript: %w", err)
			}
			e["messages"]++
		}
		latest, err := s.latestVersion(ctx, id)
		if err != nil {
			return e, err
		}
		for v := latest; v >= 1; v-- {
			// The turn's dedupe record first (its _id is the turn's dedupe key): the turn, left
			// by a run cut short, still leads to it.
			var t struct {
				Dedupe string `bson:"dedupe"`
			}
			err := s.turns.FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(id, v)}}, options.FindOne().SetProjection(bson.D{{Key: "dedupe", Value: 1}})).Decode(&t)
			if err != nil && notFound(err) != ErrNotFound {
				return e, fmt.Errorf("erase conversation: %w", err)
			}
			if t.Dedupe != "" {
				r, err := s.db.Collection(DedupeCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: t.Dedupe}})
				if err != nil {
					return e, fmt.Errorf("erase conversation: %w", err)
				}
				e[DedupeCollection] += int(r.DeletedCount)
			}
			if _, err := s.turns.DeleteOne(ctx, bson.D{{Key: "_id", Value: TurnID(id, v)}}); err != nil {
				return e, fmt.Errorf("erase conversation: %w", err)
			}
			e["turns"]++
		}
	}
	// What is gone from the database must not stay findable in the search index either.
	forgotten, err := s.ForgetSearch(ctx, openIDs, time.Time{})
	if err != nil {
		return e, fmt.Errorf("erase conversation: forget it in the search index: %w", err)
	}
	e["search_index"] += forgotten
	return e, nil
}

// BlankCustomerBefore removes the content of the customer's turns and transcript lines older than
// before (the messages, the bot's replies, the conversation state and effects, the pictures),
// keeping the records themselves, so that the conversation still finds its newest turn; the
// newest turn is never changed. It is for a customer whose conversation goes on (a case kept, or a
// recent message) while an older case of theirs was anonymised.
func (s *Store) BlankCustomerBefore(ctx context.Context, openID string, before time.Time, now time.Time) (Erasure, error) {
	e := Erasure{}
	latest, err := s.latestVersion(ctx, openID)
	if err != nil {
		return e, err
	}
	var pics []string
	for v := int64(1); v < latest; v++ {
		var t struct {
			At     time.Time          `bson:"at"`
			In     complaintbot.Input `bson:"in"`
			Erased bool               `bson:"erased"`
		}
		err := s.turns.FindOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}},
			options.FindOne().SetProjection(bson.D{{Key: "at", Value: 1}, {Key: "in", Value: 1}, {Key: "erased", Value: 1}})).Decode(&t)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return e, fmt.Errorf("anonymise conversation: %w", err)
		}
		if !t.At.Before(before) {
			break
		}
		if t.Erased {
			continue
		}
		if t.In.MediaID != "" {
			pics = append(pics, t.In.MediaID)
		}
		_, err = s.turns.UpdateOne(ctx, bson.D{{Key: "_id", Value: TurnID(openID, v)}}, bson.D{
			{Key: "$set", Value: bson.D{{Key: "in.text", Value: ""}, {Key: "in.media_id", Value: ""}, {Key: "erased", Value: true}}},
			{Key: "$unset", Value: bson.D{{Key: "replies", Value: ""}, {Key: "state", Value: ""}, {Key: "effects", Value: ""}}}})
		if err != nil {
			return e, fmt.Errorf("anonymise conversation: %w", err)
		}
		e["turns"]++
	}
	lastLine, err := s.latestLine(ctx, openID)
	if err != nil {
		return e, err
	}
	for n := int64(1); n <= lastLine; n++ {
		var l struct {
			At      time.Time `bson:"at"`
			Text    string    `bson:"text"`
			MediaID string    `bson:"media_id"`
		}
		err := s.messages.FindOne(ctx, bson.D{{Key: "_id", Value: lineID(openID, n)}}).Decode(&l)
		if notFound(err) == ErrNotFound {
			continue
		}
		if err != nil {
			return e, fmt.Errorf("anonymise transcript: %w", err)
		}
		if !l.At.Before(before) {
			break
		}
		if l.Text == "" && l.MediaID == "" {
			continue
		}
		if l.MediaID != "" {
			pics = append(pics, l.MediaID)
		}
		if _, err := s.messages.UpdateOne(ctx, bson.D{{Key: "_id", Value: lineID(openID, n)}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "text", Value: ""}, {Key: "media_id", Value: ""}}}}); err != nil {
			return e, fmt.Errorf("anonymise transcript: %w", err)
		}
		e["messages"]++
	}
	n, err := s.eraseMedia(ctx, pics, now)
	e.add(n)
	if err != nil {
		return e, err
	}
	forgotten, err := s.ForgetSearch(ctx, []string{openID}, before)
	if err != nil {
		return e, fmt.Errorf("blank conversation: forget it in the search index: %w", err)
	}
	e["search_index"] += forgotten
	return e, nil
}

// ScanQuietCustomers calls fn with the customers who had a turn written in (after, upTo], batch
// turns at a time (a customer may come up more than once), read through the scan connection; the
// caller checks each one's newest turn.
func (s *Store) ScanQuietCustomers(ctx context.Context, after, upTo time.Time, batch int, fn func(openIDs []string) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}}}
	type owner struct {
		OpenID string `bson:"openid"`
	}
	return scanBatches(ctx, s, s.ScanCollection("turns"), filter, nil, batch, func(ts []owner) error {
		seen := map[string]bool{}
		var ids []string
		for _, t := range ts {
			if t.OpenID != "" && !seen[t.OpenID] {
				seen[t.OpenID] = true
				ids = append(ids, t.OpenID)
			}
		}
		return fn(ids)
	})
}

// take returns a function that adds an Erasure to e and passes its error on.
func take(e Erasure) func(Erasure, error) error {
	return func(n Erasure, err error) error {
		e.add(n)
		return err
	}
}
