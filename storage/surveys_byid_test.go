package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/storage"
)

// Releasing a customer's survey claim — done on their path, when they rate — removes only the
// claim of that survey and reads nothing but by _id on the connection customers wait on.
func TestReleaseSurveyClaimOnlyByID(t *testing.T) {
	ctx := context.Background()
	st, watch := openWatched(t, "surveys", false)
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	if _, err := st.ClaimSurveys(ctx, []storage.SurveyClaim{{OpenID: "oA", Survey: "s1", At: t0, Expires: t0.Add(72 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	watch.reset()
	if err := st.ReleaseSurveyClaim(ctx, "oA", "s0"); err != nil {
		t.Fatal(err)
	}
	if c, err := st.SurveyClaimOf(ctx, "oA"); err != nil || c.Survey != "s1" {
		t.Fatalf("releasing another survey took the claim: %+v %v", c, err)
	}
	if err := st.ReleaseSurveyClaim(ctx, "oA", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SurveyClaimOf(ctx, "oA"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the claim is still there: %v", err)
	}
	if err := st.ReleaseSurveyClaim(ctx, "oB", "s1"); err != nil {
		t.Fatalf("a customer with no claim: %v", err)
	}
	if scans := watch.seen(); st.Embedded() && len(scans) > 0 {
		t.Fatalf("commands reading more than by _id: %+v", scans)
	}
}
