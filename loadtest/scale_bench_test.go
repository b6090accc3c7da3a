package loadtest_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/storage"
)

var seedTurns = flag.Int("seed-turns", 200000, "turns stored before BenchmarkEmbeddedAtScale measures")

// BenchmarkEmbeddedAtScale measures the webhook on an embedded database that already holds
// -seed-turns conversation turns (and a case for every tenth): the live path (10 customers
// chatting) and what still scans there — the first message of a returning customer after a
// restart, and the first case number of a day.
//
//	go test ./loadtest -run XXX -bench EmbeddedAtScale -benchtime 2000x -seed-turns 200000
func BenchmarkEmbeddedAtScale(b *testing.B) {
	h := startService(b)
	st := h.App.Store
	ctx := context.Background()
	turns, cases := st.Collection("turns"), st.Collection("cases")
	const batch = 1000
	for i := 0; i < *seedTurns; i += batch {
		var docs, caseDocs []any
		for j := i; j < min(i+batch, *seedTurns); j++ {
			openID := fmt.Sprintf("oSeed%07d", j/10)
			doc, err := storage.TurnRecord(&complaintbot.Turn{ID: storage.TurnID(openID, int64(j%10+1)), OpenID: openID, Version: int64(j%10 + 1),
				Dedupe: fmt.Sprint("seed:", j), At: h.Clock.Now(), In: complaintbot.Input{Type: complaintbot.InputText, Text: "柜员态度很差，让我等了一个小时"},
				Replies: []string{"非常抱歉给您带来了不好的体验，我们会认真对待您的投诉。"}})
			if err != nil {
				b.Fatal(err)
			}
			docs = append(docs, doc)
			if j%10 == 0 {
				caseDocs = append(caseDocs, complaintbot.Case{Number: fmt.Sprintf("TS20260101-%06d", j/10), OpenID: openID, Kind: complaintbot.KindComplaint,
					Status: complaintbot.StatusReceived, SourceTurn: fmt.Sprint("seedturn:", j), Received: h.Clock.Now(), Fields: map[string]string{"description": "柜员态度很差"}})
			}
		}
		if _, err := turns.InsertMany(ctx, docs); err != nil {
			b.Fatal(err)
		}
		if _, err := cases.InsertMany(ctx, caseDocs); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	if _, err := st.LatestTurn(ctx, "oSeed0000042"); err != nil {
		b.Fatal(err)
	}
	restartLookup := time.Since(t0)
	t0 = time.Now()
	if _, err := st.NextCaseNumber(ctx, "TS", "20261201", "bench-turn"); err != nil {
		b.Fatal(err)
	}
	firstNumber := time.Since(t0)
	sim := client(h.Sim.URL)
	sim.Clock = h.Clock
	b.ResetTimer()
	report(b, loadtest.Drive(sim, 10, b.N, func(c, i int) (string, string) {
		return fmt.Sprintf("oScale%04d", c), "你好"
	}))
	b.ReportMetric(float64(restartLookup.Milliseconds()), "restart-lookup-ms")
	b.ReportMetric(float64(firstNumber.Milliseconds()), "first-number-of-day-ms")
}
