package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// A customer's cases (the conversation page, the inbox's routing) are found without reading every
// case on the embedded server: no command on either connection filters on anything but _id.
func TestCasesOfReadsOnlyByID(t *testing.T) {
	var mu sync.Mutex
	var scans []storage.Command
	watch := func(c storage.Command) {
		mu.Lock()
		defer mu.Unlock()
		if !c.ByID {
			scans = append(scans, c)
		}
	}
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{DataDir: t.TempDir(), Database: "casesof", Logger: slog.New(slog.DiscardHandler), Observe: watch, ObserveScan: watch})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if !st.Embedded() {
		t.Skip("MongoDB answers by its openid index")
	}
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	var mine []string
	for i := range 30 {
		who := fmt.Sprint("o", i%5)
		c := &complaintbot.Case{Number: fmt.Sprintf("TS20261202-%04d", i+1), Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived,
			OpenID: who, Received: t0.Add(time.Duration(i) * time.Minute), SourceTurn: fmt.Sprint("t", i)}
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if who == "o3" {
			mine = append(mine, c.Number)
		}
	}
	if err := st.AppendTurn(ctx, &storage.Turn{OpenID: "o3", Version: 1, Dedupe: "m:o3", At: t0, Cases: mine, In: complaintbot.Input{Type: complaintbot.InputText, Text: "进度"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	scans = nil
	mu.Unlock()
	cs, err := st.CasesOf(ctx, "o3", 20)
	if err != nil || len(cs) != 6 || cs[0].Number != mine[5] {
		t.Fatalf("o3's cases, newest first: %+v %v", cs, err)
	}
	if cs, err := st.CasesOf(ctx, "oNobody", 20); err != nil || len(cs) != 0 {
		t.Fatalf("a customer who never wrote: %+v %v", cs, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(scans) > 0 {
		t.Fatalf("commands reading more than by _id: %+v", scans)
	}
}
