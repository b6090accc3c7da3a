package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/storage"
)

// JobErasures is the name of the erasures job (Erasures.Job), registered through Options.Jobs.
const JobErasures = "erasures"

// ErasuresSpec is when the erasures job looks for requests.
const ErasuresSpec = "@every 1m"

// Erasures carries out the erasure requests admins recorded (erasures.Service.Request, in
// storage.ErasuresCollection), oldest first, under the scheduler's lease: one instance at a time.
// A request a restart cut short (执行中) is run again and finished; the audit trail gets the
// result (erasures.AuditErased) under the name of the admin who asked.
type Erasures struct {
	Store *storage.Store
	Clock complaintbot.Clock
	Log   *slog.Logger
	// Forget drops a customer's cached conversation state (conversations.Service.Forget); nil
	// when nothing caches it.
	Forget func(openID string)
}

// Job returns the erasures job for Options.Jobs.
func (x *Erasures) Job() Job { return Job{Name: JobErasures, Spec: ErasuresSpec, Run: x.Run} }

// Run carries out every unfinished request and returns how many it finished.
func (x *Erasures) Run(ctx context.Context) (int, error) {
	log := x.Log
	if log == nil {
		log = slog.Default()
	}
	ids, err := x.Store.UnfinishedErasures(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, id := range ids {
		before, err := x.Store.ErasureRequest(ctx, id)
		if err != nil {
			return done, err
		}
		r, err := x.Store.RunErasure(ctx, id, x.Clock.Now())
		if x.Forget != nil {
			for _, o := range before.OpenIDs {
				x.Forget(o)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Error("erasure request failed", "erasure", id, "subject", r.Subject, "err", err)
				x.audit(ctx, log, r, "failed: "+err.Error())
			}
			return done, fmt.Errorf("erasure request %s: %w", id, err)
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Counts)) {
			if r.Counts[k] > 0 {
				parts = append(parts, fmt.Sprintf("%s=%d", k, r.Counts[k]))
			}
		}
		x.audit(ctx, log, r, fmt.Sprintf("%d records: %s", r.Records, strings.Join(parts, " ")))
		log.Info("customer's personal data erased on request", "erasure", id, "subject", r.Subject, "by", r.RequestedBy, "records", r.Records)
		done++
	}
	return done, nil
}

// audit writes the result of the request to the audit trail.
func (x *Erasures) audit(ctx context.Context, log *slog.Logger, r storage.ErasureRequest, after string) {
	e := &storage.AuditEntry{At: x.Clock.Now(), User: r.RequestedBy, Action: erasures.AuditErased, TargetType: erasures.AuditTarget,
		Target: r.Subject, After: "request " + r.ID + ": " + after}
	if err := x.Store.Audit(ctx, e); err != nil {
		log.Error("customer erased, but its audit entry was not written", "erasure", r.ID, "err", err)
	}
}
