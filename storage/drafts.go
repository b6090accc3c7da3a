package storage

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func init() {
	// The housekeeping job finds idle drafts among the turns of a time window.
	addIndex("turns", false, "at", 1)
}

// ScanDraftTurns calls fn with the customers whose conversation had a draft after a turn written
// in (after, upTo], batch turns at a time (a customer may come up more than once). The caller
// checks each customer's current state: a later turn may have finished or dropped the draft. The
// embedded server answers the query by reading every turn (a year: a million), so it reads
// through the read-only connection, not the one customers' messages wait on.
func (s *Store) ScanDraftTurns(ctx context.Context, after, upTo time.Time, batch int, fn func(openIDs []string) error) error {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{{Key: "at", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: upTo}}},
		{Key: "state.draft", Value: bson.D{{Key: "$exists", Value: true}}}}
	type turnOwner struct {
		OpenID string `bson:"openid"`
	}
	return scanBatches(ctx, s, s.ScanCollection("turns"), filter, nil, batch, func(ts []turnOwner) error {
		seen := make(map[string]bool, len(ts))
		ids := make([]string, 0, len(ts))
		for _, t := range ts {
			if !seen[t.OpenID] {
				seen[t.OpenID] = true
				ids = append(ids, t.OpenID)
			}
		}
		return fn(ids)
	})
}
