package storage_test

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// oldTurn is a turn as the conversation service encoded it before storage did: state and effects
// marshalled by the caller into bson.Raw.
type oldTurn struct {
	ID      string             `bson:"_id"`
	OpenID  string             `bson:"openid"`
	Version int64              `bson:"version"`
	Dedupe  string             `bson:"dedupe"`
	At      time.Time          `bson:"at"`
	In      complaintbot.Input `bson:"in"`
	Replies []string           `bson:"replies,omitempty"`
	State   bson.Raw           `bson:"state,omitempty"`
	Effects bson.Raw           `bson:"effects,omitempty"`
	Cases   []string           `bson:"cases,omitempty"`
}

func benchTurn() complaintbot.Turn {
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	return complaintbot.Turn{ID: storage.TurnID("oBench000000000000000000001", 7), OpenID: "oBench000000000000000000001", Version: 7, Dedupe: "m:1", At: at,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "柜员态度很差，让我在窗口等了一个小时也没人理", At: at}, Replies: []string{"您希望我们如何处理？"},
		State: complaintbot.ConversationState{Flow: "intake", Step: "request", LastActive: at, Draft: &complaintbot.Draft{Kind: complaintbot.KindComplaint,
			Fields: map[string]string{"description": "柜员态度很差，让我在窗口等了一个小时也没人理"}}, Done: []string{"branch", "occurred_at", "description"},
			History: []string{"branch", "occurred_at", "description"}, DraftAt: at},
		Effects: []complaintbot.TurnEffect{{Effect: complaintbot.Effect{Type: complaintbot.EffectQueueForAgent, Reason: "asked"}}},
		Cases:   []string{"TS20261120-0003"}}
}

// BenchmarkTurnEncode compares encoding a turn (the CPU part of the one insert per message):
// storage's own encoding (TurnRecord, which AppendTurn inserts) and the caller's encoding it
// replaced.
//
//	go test ./storage -run '^$' -bench TurnEncode
func BenchmarkTurnEncode(b *testing.B) {
	t := benchTurn()
	b.Run("storage-record", func(b *testing.B) { // how AppendTurn and storage/seed write it
		for b.Loop() {
			doc, err := storage.TurnRecord(&t)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bson.Marshal(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("caller", func(b *testing.B) {
		for b.Loop() {
			st := t.State
			if st.LastActive.Equal(t.At) {
				st.LastActive = time.Time{}
			}
			state, err := bson.Marshal(st)
			if err != nil {
				b.Fatal(err)
			}
			effects, err := bson.Marshal(struct {
				List []complaintbot.TurnEffect `bson:"list"`
			}{t.Effects})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bson.Marshal(oldTurn{ID: t.ID, OpenID: t.OpenID, Version: t.Version, Dedupe: t.Dedupe, At: t.At, In: t.In, Replies: t.Replies,
				State: state, Effects: effects, Cases: t.Cases}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTurnDecode compares decoding a stored turn: storage's (as the store reads turns) and
// the caller's decoding of the state it replaced.
func BenchmarkTurnDecode(b *testing.B) {
	t := benchTurn()
	doc, err := storage.TurnRecord(&t)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("storage", func(b *testing.B) {
		for b.Loop() {
			if _, err := storage.ReadTurn(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("caller", func(b *testing.B) {
		for b.Loop() {
			var t oldTurn
			if err := bson.Unmarshal(raw, &t); err != nil {
				b.Fatal(err)
			}
			var st complaintbot.ConversationState
			if err := bson.Unmarshal(t.State, &st); err != nil {
				b.Fatal(err)
			}
			var effects struct {
				List []complaintbot.TurnEffect `bson:"list"`
			}
			if err := bson.Unmarshal(t.Effects, &effects); err != nil {
				b.Fatal(err)
			}
		}
	})
}
