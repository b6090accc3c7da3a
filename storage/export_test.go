package storage

import (
	"context"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Names the tests of package storage_test use that the service does not.

// RecordCallback records that the webhook accepted a callback signed with timestamp ts (Unix
// seconds) and nonce, whose body hashes to bodyHash, and says whether the pair was seen before:
// one insert when it was not (the usual case); when it was, one lookup by _id to compare the
// bodies.
func (s *Store) RecordCallback(ctx context.Context, ts int64, nonce, bodyHash string) (CallbackSeen, error) {
	seen, err := s.RecordCallbacks(ctx, []CallbackPair{{TS: ts, Nonce: nonce, BodyHash: bodyHash}})
	if err != nil {
		return CallbackNew, err
	}
	return seen[0], nil
}

// Matches reports whether the fact passes the filter (FactFilter's Go-side twin of its query).
func (f *FactFilter) Matches(x *ReportFact) bool { return f.matches(x) }

// ReadTurn decodes a stored turn document as the store reads turns (see turnIn).
func ReadTurn(raw []byte) (*complaintbot.Turn, error) {
	var d turnIn
	if err := bson.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	return d.turn(), nil
}
