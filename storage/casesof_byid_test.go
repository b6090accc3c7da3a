package storage_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// A customer's cases (the conversation page, the inbox's routing) are found without reading every
// case on the embedded server: no command on either connection filters on anything but _id.
func TestCasesOfReadsOnlyByID(t *testing.T) {
	ctx := context.Background()
	st, watch := openWatched(t, "casesof", true)
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
	if err := st.AppendTurn(ctx, &complaintbot.Turn{OpenID: "o3", Version: 1, Dedupe: "m:o3", At: t0, Cases: mine, In: complaintbot.Input{Type: complaintbot.InputText, Text: "进度"}}); err != nil {
		t.Fatal(err)
	}
	watch.reset()
	cs, err := st.CasesOf(ctx, "o3", 20)
	if err != nil || len(cs) != 6 || cs[0].Number != mine[5] {
		t.Fatalf("o3's cases, newest first: %+v %v", cs, err)
	}
	if cs, err := st.CasesOf(ctx, "oNobody", 20); err != nil || len(cs) != 0 {
		t.Fatalf("a customer who never wrote: %+v %v", cs, err)
	}
	if scans := watch.seen(); len(scans) > 0 {
		t.Fatalf("commands reading more than by _id: %+v", scans)
	}
}

// A case decided before the decision's time was recorded on its own (decided_at) is decided,
// for the customer's review window, when its resolution was recorded.
func TestSummaryOfACaseDecidedBeforeDecidedAt(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{DataDir: t.TempDir(), Database: "decided", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	old := &complaintbot.Case{Number: "TS20261101-0001", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusResolved,
		OpenID: "oOld", Received: at.AddDate(0, 0, -10), SourceTurn: "t-old",
		Work: complaintbot.CaseWork{Rev: 3, Resolution: &complaintbot.Resolution{Text: "r", Reply: "r", By: "alice", At: at}}}
	open := &complaintbot.Case{Number: "TS20261101-0002", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived,
		OpenID: "oOld", Received: at, SourceTurn: "t-open"}
	for _, c := range []*complaintbot.Case{old, open} {
		if err := st.InsertCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := st.CaseSummaries(ctx, []string{old.Number, open.Number}, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("summaries: %+v %v", cs, err)
	}
	if cs[1].Decided == nil || !cs[1].Decided.Equal(at) {
		t.Errorf("the old decided case: Decided = %v, want %v", cs[1].Decided, at)
	}
	if cs[0].Decided != nil {
		t.Errorf("the open case: Decided = %v, want none", cs[0].Decided)
	}
}
