// Package seed writes records straight into a store, bypassing the service, for load tests and
// tools: a year of a bank's traffic written with InsertMany in large unordered groups (Batch), and
// the floor benchmark's one bare insert per message (InsertFloorMessage). The documents have the
// shape the service itself writes; only how they get there differs.
package seed

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DefaultGroup is how many documents of one collection a Batch writes with one InsertMany.
const DefaultGroup = 2000

// Batch collects documents by collection and writes each collection's with one unordered
// InsertMany once Group of them are waiting; Flush writes the rest. It is not safe for concurrent
// use.
type Batch struct {
	st    *storage.Store
	group int
	docs  map[string][]any
}

// NewBatch returns a batch writing into st, group documents of a collection at a time (0:
// DefaultGroup).
func NewBatch(st *storage.Store, group int) *Batch {
	return &Batch{st: st, group: cmp.Or(group, DefaultGroup), docs: map[string][]any{}}
}

func (b *Batch) add(ctx context.Context, coll string, doc any) error {
	b.docs[coll] = append(b.docs[coll], doc)
	if len(b.docs[coll]) >= b.group {
		return b.flush(ctx, coll)
	}
	return nil
}

func (b *Batch) flush(ctx context.Context, coll string) error {
	docs := b.docs[coll]
	if len(docs) == 0 {
		return nil
	}
	b.docs[coll] = nil
	if _, err := b.st.Collection(coll).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false)); err != nil {
		return fmt.Errorf("seed %d documents of %s: %w", len(docs), coll, err)
	}
	return nil
}

// Flush writes every document still waiting, collection by collection in name order.
func (b *Batch) Flush(ctx context.Context) error {
	colls := make([]string, 0, len(b.docs))
	for k := range b.docs {
		colls = append(colls, k)
	}
	slices.Sort(colls)
	for _, coll := range colls {
		if err := b.flush(ctx, coll); err != nil {
			return err
		}
	}
	return nil
}

// Turn writes a conversation turn and its dedupe record, as AppendTurn leaves them.
func (b *Batch) Turn(ctx context.Context, t *complaintbot.Turn) error {
	doc, err := storage.TurnRecord(t)
	if err != nil {
		return err
	}
	if err := b.add(ctx, "turns", doc); err != nil {
		return err
	}
	return b.add(ctx, storage.DedupeCollection, storage.DedupeRecord{Key: t.Dedupe, Turn: t.ID, At: t.At})
}

// CaseNumber records that the turn registered the case number: the number's claim and the
// turn's claim on it, as NextCaseNumber leaves them.
func (b *Batch) CaseNumber(ctx context.Context, number, turnID string) error {
	if err := b.add(ctx, "case_numbers", bson.D{{Key: "_id", Value: number}, {Key: "turn", Value: turnID}}); err != nil {
		return err
	}
	return b.add(ctx, storage.CaseNumberTurnsCollection, bson.D{{Key: "_id", Value: turnID}, {Key: "number", Value: number}})
}

// Case writes a case document: the case with the work done on it and what the scheduler and the
// surveys add, in the shape of the cases collection (its _id is the case number).
func (b *Batch) Case(ctx context.Context, doc any) error { return b.add(ctx, "cases", doc) }

// Survey writes a satisfaction survey.
func (b *Batch) Survey(ctx context.Context, sv complaintbot.Survey) error {
	return b.add(ctx, "surveys", sv)
}

// FollowUp writes the follow-up call of a low rating, with its entry in the follow-up list
// (storage.FollowUpListCollection).
func (b *Batch) FollowUp(ctx context.Context, f storage.FollowUp) error {
	if err := b.add(ctx, "follow_ups", f); err != nil {
		return err
	}
	e := storage.FollowUpEntry{ID: f.ID, Branch: f.Branch, Created: f.Created}
	if f.Status == storage.FollowUpDone {
		e.Done = f.Done
		if e.Done == nil {
			e.Done = &f.Created
		}
	}
	return b.add(ctx, storage.FollowUpListCollection, e)
}

// Line writes the customer's n-th transcript line (n from 1, in time order, no gaps), as
// AppendLine numbers them.
func (b *Batch) Line(ctx context.Context, l storage.Line, n int64) error {
	return b.add(ctx, "messages", storage.LineRecord(l, n))
}

// SentMessage writes an outbox message as delivered (its status and times as the caller sets
// them) with the delivery claim of its first attempt, taken by owner at the message's creation.
func (b *Batch) SentMessage(ctx context.Context, m complaintbot.OutboxMessage, owner string) error {
	if err := b.add(ctx, "outbox", m); err != nil {
		return err
	}
	return b.add(ctx, "outbox_attempts", bson.D{{Key: "_id", Value: m.ID + "#1"}, {Key: "owner", Value: owner}, {Key: "at", Value: m.Created}})
}

// CaseTrack writes what the scheduler saw of a case when it last looked.
func (b *Batch) CaseTrack(ctx context.Context, tr storage.CaseTrack) error {
	return b.add(ctx, "sched_cases", tr)
}

// FloorMessage is a message as the floor benchmark stores it: the least a webhook could store.
type FloorMessage struct {
	OpenID string
	MsgID  int64
	Text   string
	At     int64 // WeChat's CreateTime
}

// FloorCollection is where InsertFloorMessage writes.
const FloorCollection = "floor_messages"

// InsertFloorMessage stores m with one insert into FloorCollection.
func InsertFloorMessage(ctx context.Context, st *storage.Store, m FloorMessage) error {
	_, err := st.Collection(FloorCollection).InsertOne(ctx, bson.D{{Key: "openid", Value: m.OpenID}, {Key: "msgid", Value: m.MsgID},
		{Key: "text", Value: m.Text}, {Key: "at", Value: m.At}})
	if err != nil {
		return fmt.Errorf("store floor message: %w", err)
	}
	return nil
}
