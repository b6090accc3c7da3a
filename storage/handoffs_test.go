package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

func TestHandoffEventsLetOneAgentWin(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	if err := st.QueueHandoff(ctx, &complaintbot.Handoff{ID: "oA#000000000003", OpenID: "oA", Status: complaintbot.HandoffWaiting, At: t0}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("agent%d", i)
			err := st.AddHandoffEvent(ctx, &complaintbot.HandoffEvent{Handoff: "oA#000000000003", OpenID: "oA", N: 1, Kind: "claim", Agent: agent, By: agent, At: t0})
			if err == nil {
				wins <- agent
			} else if !storage.IsDuplicate(err) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners: %v", winners)
	}
	e, err := st.HandoffEventAt(ctx, "oA#000000000003", 1)
	if err != nil || e.Agent != winners[0] {
		t.Fatalf("stored claim %+v %v", e, err)
	}
	claimed, seq, code := complaintbot.HandoffClaimed, 1, ""
	if err := st.UpdateHandoff(ctx, "oA#000000000003", storage.HandoffUpdate{Status: &claimed, Agent: &winners[0], Seq: &seq, BranchCode: &code}); err != nil {
		t.Fatal(err)
	}
	h, err := st.ActiveHandoffOf(ctx, "oA")
	if err != nil || h.Status != complaintbot.HandoffClaimed || h.Seq != 1 || h.BranchCode == nil || *h.BranchCode != "" {
		t.Fatalf("active handoff %+v %v", h, err)
	}
	all, err := st.ActiveHandoffs(ctx, 10)
	if err != nil || len(all) != 1 {
		t.Fatalf("active: %+v %v", all, err)
	}
}
