package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
)

// JobRetention is the name of the retention job (Retention.Job), registered through Options.Jobs.
const JobRetention = "retention"

// caselessCheckpoint names the checkpoint of the retention job's look for quiet conversations: the
// turns up to it were looked at.
const caselessCheckpoint = "retention.caseless"

// Retention is the retention job (issue #14): it anonymises the cases that ended and did not
// change for config.Retention.CaseYears years, with their records and the conversation before them,
// and erases the customers whose conversation led to no case that is kept and who have been
// quiet for CaselessDays. The figures stay (see storage.Store.AnonymiseCases). It works in batches
// through the scan connection and writes by _id; a run cut short is finished by the next.
type Retention struct {
	Store  *storage.Store
	Clock  complaintbot.Clock
	Log    *slog.Logger
	Config config.Retention
	// Batch is how many cases or turns it reads at a time (scheduler.batch_size).
	Batch int
	// Forget drops a customer's cached conversation state once their turns changed
	// (conversations.Service.Forget); nil when nothing caches it.
	Forget func(openID string)
	// AfterBatch, when set, is called after each batch with the number of cases and customers done
	// so far; an error stops the run there (tests use it to cut a run short, as a crash would).
	AfterBatch func(done int) error
}

// Job returns the retention job for Options.Jobs.
func (r *Retention) Job() Job { return Job{Name: JobRetention, Spec: r.Config.Spec, Run: r.Run} }

// RetentionCutoffs returns the times before which cases (that ended and last changed then) are
// anonymised and quiet conversations are erased, at now.
func RetentionCutoffs(cfg config.Retention, now time.Time) (cases, quiet time.Time) {
	return now.AddDate(-cfg.CaseYears, 0, 0), now.AddDate(0, 0, -cfg.CaselessDays)
}

// Run does one pass and returns how many cases and customers it anonymised or erased.
func (r *Retention) Run(ctx context.Context) (int, error) {
	if r.Config.CaseYears < config.MinCaseYears {
		return 0, errors.New("retention: case_years below the minimum")
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 500
	}
	now := r.Clock.Now()
	caseCutoff, quietCutoff := RetentionCutoffs(r.Config, now)
	cases, customers, records := 0, 0, 0
	err := r.Store.ScanExpiredCases(ctx, caseCutoff, batch, func(cs []complaintbot.Case) error {
		// The customers first (their cases still name them), a batch at a time: those with
		// nothing kept and quiet are erased whole, the others lose the conversation before.
		numbers := make([]string, 0, len(cs))
		byCustomer := map[string][]string{}
		for _, c := range cs {
			numbers = append(numbers, c.Number)
			if c.OpenID != "" {
				byCustomer[c.OpenID] = append(byCustomer[c.OpenID], c.Number)
			}
		}
		var erase []string
		for _, id := range slices.Sorted(maps.Keys(byCustomer)) {
			n, whole, err := r.settle(ctx, id, caseCutoff, quietCutoff, now, byCustomer[id])
			records += n
			if err != nil {
				return err
			}
			if whole {
				erase = append(erase, id)
			}
		}
		e, err := r.Store.EraseCustomers(ctx, erase, now)
		records += e.Total()
		r.forget(erase...)
		if err != nil {
			return err
		}
		customers += len(erase)
		// The cases last: anonymised_at ends their selection.
		e, err = r.Store.AnonymiseCases(ctx, numbers, now)
		records += e.Total()
		if err != nil {
			return err
		}
		cases += len(numbers)
		return r.after(ctx, cases+customers)
	})
	if err == nil {
		err = r.quiet(ctx, now, quietCutoff, batch, &customers, &records, cases)
	}
	if cases+customers > 0 {
		log.Info("retention anonymised cases and erased quiet customers", "cases", cases, "customers", customers, "records", records)
	}
	return cases + customers, err
}

// quiet erases the customers whose newest turn was written in the window since the last look and
// is now older than quietCutoff, and who have no case that is kept.
func (r *Retention) quiet(ctx context.Context, now, quietCutoff time.Time, batch int, customers, records *int, cases int) error {
	after, _, err := r.Store.JobCheckpoint(ctx, caselessCheckpoint)
	if err != nil {
		return err
	}
	if !after.Before(quietCutoff) {
		return nil
	}
	err = r.Store.ScanQuietCustomers(ctx, after, quietCutoff, batch, func(ids []string) error {
		var erase []string
		for _, id := range ids {
			st, err := r.Store.CustomerRetention(ctx, id)
			if err != nil {
				return err
			}
			if st.KeptSince.IsZero() && !st.LastActive.After(quietCutoff) {
				erase = append(erase, id)
			}
		}
		e, err := r.Store.EraseCustomers(ctx, erase, now)
		*records += e.Total()
		r.forget(erase...)
		if err != nil {
			return err
		}
		*customers += len(erase)
		return r.after(ctx, cases+*customers)
	})
	if err != nil {
		return err
	}
	return r.Store.SetJobCheckpoint(ctx, caselessCheckpoint, quietCutoff, nil)
}

// settle deals with the customer of cases about to be anonymised (numbers): whole reports that
// the customer has no other case kept and has been quiet since quietCutoff, to be erased whole;
// otherwise their conversation before the retention cutoff (and before their oldest case kept)
// loses its content here.
func (r *Retention) settle(ctx context.Context, openID string, caseCutoff, quietCutoff, now time.Time, numbers []string) (int, bool, error) {
	st, err := r.Store.CustomerRetention(ctx, openID, numbers...)
	if err != nil {
		return 0, false, err
	}
	if st.KeptSince.IsZero() && !st.LastActive.After(quietCutoff) {
		return 0, true, nil
	}
	defer r.forget(openID)
	bound := caseCutoff
	if !st.KeptSince.IsZero() && st.KeptSince.Before(bound) {
		bound = st.KeptSince
	}
	e, err := r.Store.BlankCustomerBefore(ctx, openID, bound, now)
	return e.Total(), false, err
}

func (r *Retention) forget(ids ...string) {
	if r.Forget == nil {
		return
	}
	for _, id := range ids {
		r.Forget(id)
	}
}

func (r *Retention) after(ctx context.Context, done int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.AfterBatch != nil {
		return r.AfterBatch(done)
	}
	return nil
}
