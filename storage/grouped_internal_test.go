package storage

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// openInternal opens a store on the embedded server in a fresh folder for the tests of this file.
func openInternal(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), Options{DataDir: t.TempDir(), Database: "grouped", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}

// A confirmation that gives up while its case number waits behind other customers' numbers is
// told it failed, and the number is not stored later: the retry of the same turn gets that
// number, with no gap in the day's sequence.
func TestACaseNumberGivenUpInTheQueueIsNotStored(t *testing.T) {
	t.Parallel()
	st := openInternal(t)
	ctx := context.Background()
	w := st.grouped.of(st.caseNumbers.Name())
	w.mu.Lock()
	w.writing = true // a group of other customers' numbers is on its way
	w.mu.Unlock()
	gaveUp, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if n, err := st.NextCaseNumber(gaveUp, "TS", "20261202", "turnA#1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a number reserved while the writer is held: %q, %v; want the deadline", n, err)
	}
	for b := w.take(); b != nil; b = w.take() { // the group under way ends; the queue is written
		w.run(b)
	}
	if err := st.caseNumbers.FindOne(ctx, bson.D{{Key: "_id", Value: "TS20261202-0001"}}).Err(); err == nil {
		t.Fatal("the number given up is stored all the same")
	}
	if n, err := st.NextCaseNumber(ctx, "TS", "20261202", "turnA#1"); err != nil || n != "TS20261202-0001" {
		t.Fatalf("the retry of the turn: %q, %v; want TS20261202-0001", n, err)
	}
}

// A customer's entries stay findable after an erasure, and a case recorded again (a turn applied
// twice) after another is not added twice; a fresh process, which knows no key's last entry,
// finds them by its lookups.
func TestCustomerEntriesAfterAnErasureAndATurnAppliedTwice(t *testing.T) {
	t.Parallel()
	st := openInternal(t)
	ctx := context.Background()
	keys := st.CustomerKeys("o_grouped", "")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, n := range []string{"TS20261201-0001", "TS20261201-0002", "TS20261201-0003"} {
		if err := st.AddCustomerCase(ctx, keys, n, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.ForgetCustomerCases(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if got, err := st.RecentCustomerCases(ctx, keys, at, 8); err != nil || len(got) != 0 {
		t.Fatalf("the complaints of an erased customer: %v, %v; want none", got, err)
	}
	for _, n := range []string{"TS20261202-0001", "TS20261202-0002", "TS20261202-0001"} {
		if err := st.AddCustomerCase(ctx, keys, n, at.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := st.db.Collection("customer_cases").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if stored != 2 {
		t.Errorf("%d entries stored after the erasure, want 2 (TS20261202-0001 applied twice counts once)", stored)
	}
	st.customerHints = lastHints{} // a fresh process
	got, err := st.RecentCustomerCases(ctx, keys, at, 8)
	if err != nil || len(got) != 2 {
		t.Fatalf("the complaints recorded after the erasure, read by a fresh process: %v, %v; want both", got, err)
	}
}

// On the embedded server a customer's last entry is read from the _id index in the file, and the
// process is the only writer of the entries: once it has looked a key up, recording the
// customer's complaint and counting their next one look nothing up again; only the entries
// themselves are read.
func TestCustomerEntriesLookedUpOncePerKey(t *testing.T) {
	t.Parallel()
	var finds atomic.Int64
	st, err := Open(context.Background(), Options{DataDir: t.TempDir(), Database: "grouped", Logger: slog.New(slog.DiscardHandler),
		Observe: func(c Command) {
			if c.Name == "find" && c.Collection == "customer_cases" {
				finds.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	ctx := context.Background()
	keys := st.CustomerKeys("o_once", "13812345678")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if got, err := st.RecentCustomerCases(ctx, keys, at, 8); err != nil || len(got) != 0 {
		t.Fatalf("a new customer's complaints: %v, %v", got, err)
	}
	if n := finds.Load(); n != 0 {
		t.Errorf("a new customer's two keys looked up with %d finds, want none (the _id index read from the file)", n)
	}
	finds.Store(0)
	if err := st.AddCustomerCase(ctx, keys, "TS20261201-0001", at); err != nil {
		t.Fatal(err)
	}
	if n := finds.Load(); n != 0 {
		t.Errorf("recording the complaint after the lookup took %d finds, want 0", n)
	}
	got, err := st.RecentCustomerCases(ctx, keys, at, 8)
	if err != nil || !slices.Equal(got, []string{"TS20261201-0001"}) {
		t.Fatalf("the customer's complaints: %v, %v; want TS20261201-0001", got, err)
	}
	if n := finds.Load(); n != 2 {
		t.Errorf("counting the next complaint took %d finds, want 2 (one entry per key, no search)", n)
	}
}
