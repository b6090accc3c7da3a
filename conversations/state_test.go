package conversations_test

import (
	"context"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A greeting's turn carries no state (the customer's last activity is the turn's own time), and
// the time of the customer's last message survives a restart and a later change by someone else.
func TestLastActivityIsTheCustomersLastMessage(t *testing.T) {
	h := apptest.New(t, nil)
	ctx := context.Background()
	who := "oActive001"
	said := h.Clock.Now()
	h.Say(who, "你好")
	turn, err := h.App.Store.LatestTurn(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := h.App.Store.Collection("turns").FindOne(ctx, bson.D{{Key: "_id", Value: turn.ID}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	// A greeting's turn stores no state but the session it belongs to (design.md §9).
	if st, err := raw.LookupErr("state"); err == nil {
		if elems, _ := st.Document().Elements(); len(elems) != 1 || elems[0].Key() != "session" {
			t.Errorf("a greeting's turn stores state %v, want only its session", st)
		}
	}

	h.Clock.Advance(10 * time.Minute) // an agent looks at the conversation later
	if _, err := h.App.Convs.Control(ctx, who, "test: note", func(st *complaintbot.ConversationState) ([]string, error) {
		st.Failures = 1
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	h.Restart()
	st, err := h.App.Convs.State(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	if !st.LastActive.Equal(said) || st.Failures != 1 {
		t.Fatalf("after a restart: last active %v, failures %d; want %v (the customer's message) and 1", st.LastActive, st.Failures, said)
	}
}
