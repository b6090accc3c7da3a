package sandbox_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/sandbox"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var start = time.Date(2026, 12, 4, 10, 0, 0, 0, complaintbot.Shanghai)

// jobs counts the runs of what fell due.
type jobs struct{ runs int }

func (j *jobs) RunDue(context.Context) error { j.runs++; return nil }

// Only an admin moves the clock, forward by at most MaxAdvance; each move is audited before it
// is made, and one whose audit entry cannot be written leaves the clock where it was and runs
// nothing.
func TestClockMovesOnlyAuditedAndForAdmins(t *testing.T) {
	ctx := context.Background()
	st := storagetest.Open(t)
	clock := complaintbot.NewTravelClock(complaintbot.NewManualClock(start))
	j := &jobs{}
	s := sandbox.New(sandbox.Deps{Store: st, Clock: clock, Jobs: j, Log: slog.New(slog.DiscardHandler)})
	root := complaintbot.Actor{User: &complaintbot.User{Name: "root", Role: complaintbot.RoleAdmin, Branches: []string{complaintbot.HeadOffice}}, Addr: "10.0.0.1"}
	sue := complaintbot.Actor{User: &complaintbot.User{Name: "sue", Role: complaintbot.RoleSupervisor, Branches: []string{complaintbot.HeadOffice}}}

	if err := s.Advance(ctx, sue, time.Hour); !errors.Is(err, sandbox.ErrForbidden) {
		t.Fatalf("a supervisor moves the clock: %v", err)
	}
	for _, d := range []time.Duration{0, -time.Hour, sandbox.MaxAdvance + time.Second} {
		if err := s.Advance(ctx, root, d); !errors.Is(err, sandbox.ErrSpan) {
			t.Fatalf("a move by %v: %v", d, err)
		}
	}
	if s.Offset() != 0 || j.runs != 0 {
		t.Fatalf("refused moves moved the clock: %v, %d runs", s.Offset(), j.runs)
	}
	if err := s.Advance(ctx, root, 72*time.Hour); err != nil {
		t.Fatal(err)
	}
	if !s.Now().Equal(start.Add(72*time.Hour)) || j.runs != 1 {
		t.Fatalf("after a move of 72h: %v, %d runs", s.Now(), j.runs)
	}
	log, err := st.AuditLog(ctx, storage.AuditFilter{TargetType: sandbox.AuditTarget})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "sandbox.clock" || log[0].Target != "clock" || log[0].User != "root" ||
		log[0].Before != start.Format(time.RFC3339) || log[0].After != start.Add(72*time.Hour).Format(time.RFC3339) {
		t.Fatalf("audit entries %+v", log)
	}

	// Every later audit entry collides with the one already there.
	if _, err := st.Collection("audit").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "action", Value: 1}},
		Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(ctx, root, time.Hour); !errors.Is(err, sandbox.ErrUnaudited) {
		t.Fatalf("a move without its audit entry: %v", err)
	}
	if s.Offset() != 72*time.Hour || j.runs != 1 {
		t.Fatalf("a move without its audit entry moved the clock: %v, %d runs", s.Offset(), j.runs)
	}
}
