package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// PendingTurn marks a turn whose aftermath may be unfinished: its effects (a new case, a queue
// entry) carried out and its answer delivered. It is written before the turn and removed once the
// answer is out, so after a crash the marks that remain name exactly the turns to finish; the
// collection holds only the turns in flight, and is read whole at start-up.
type PendingTurn struct {
	Turn   string `bson:"_id"`
	OpenID string `bson:"openid"`
	// Dedupe is the message's dedupe key: a mark whose turn holds another message is stale.
	Dedupe string    `bson:"dedupe,omitempty"`
	At     time.Time `bson:"at"`
}

// PendingCollection is the collection of pending-turn marks.
const PendingCollection = "pending_turns"

func init() { addCollection(PendingCollection) }

// MarkPending records that the turn's aftermath is about to begin; marking it again is harmless.
func (s *Store) MarkPending(ctx context.Context, p PendingTurn) error {
	if err := s.pendingWriter.write(ctx, p); err != nil && !IsDuplicate(err) {
		return fmt.Errorf("mark turn %s pending: %w", p.Turn, err)
	}
	return nil
}

// ClearPending records that the turn's aftermath is complete.
func (s *Store) ClearPending(ctx context.Context, turnID string) error {
	if err := s.pendingClearer.write(ctx, turnID); err != nil {
		return fmt.Errorf("clear pending turn %s: %w", turnID, err)
	}
	return nil
}

// PendingTurns returns every pending-turn mark, oldest first. The collection holds only the turns
// in flight (a handful), so reading it whole is cheap on both databases.
func (s *Store) PendingTurns(ctx context.Context) ([]PendingTurn, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection(PendingCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list pending turns: %w", err)
	}
	var out []PendingTurn
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list pending turns: %w", err)
	}
	slices.SortFunc(out, func(a, b PendingTurn) int { return a.At.Compare(b.At) })
	return out, nil
}
