package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A customer's complaints are recorded under a hash of the openid and of the normalised phone
// (never the number itself), found again newest first within the window asked for, each once
// however often it is recorded (a turn applied twice), also when two writers record at once; an
// erasure deletes them.
func TestCustomerCasesByOpenIDAndPhone(t *testing.T) {
	t.Parallel()
	st := storagetest.Open(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, complaintbot.Shanghai)
	if a, b := st.CustomerKeys("", "+86 138-1234-5678"), st.CustomerKeys("", "13812345678"); !slices.Equal(a, b) || len(a) != 1 {
		t.Fatalf("one phone written two ways: %v %v", a, b)
	}
	if len(st.CustomerKeys("", "12")) != 0 {
		t.Fatal("a key of no phone")
	}
	keys := st.CustomerKeys("oCust0001", "13812345678")
	for i := 1; i <= 11; i++ { // 11 entries: the last is found by doubling and halving
		n := fmt.Sprintf("TS202611%02d-0001", i)
		if err := st.AddCustomerCase(ctx, keys, n, base.AddDate(0, 0, i-1)); err != nil {
			t.Fatal(err)
		}
		if err := st.AddCustomerCase(ctx, keys, n, base.AddDate(0, 0, i-1)); err != nil { // again
			t.Fatal(err)
		}
	}
	got, err := st.RecentCustomerCases(ctx, st.CustomerKeys("", "138 1234 5678"), base.AddDate(0, 0, 8), 10)
	if want := []string{"TS20261111-0001", "TS20261110-0001", "TS20261109-0001"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("recent by phone: %v %v, want %v", got, err, want)
	}
	if got, _ := st.RecentCustomerCases(ctx, keys, base, 64); len(got) != 11 {
		t.Fatalf("by both keys, each once: %v", got)
	}
	if got, _ := st.RecentCustomerCases(ctx, st.CustomerKeys("oOther", "13900000000"), base, 64); len(got) != 0 {
		t.Fatalf("another customer: %v", got)
	}
	raw, err := st.Collection("customer_cases").CountDocuments(ctx, bson.D{})
	if err != nil || raw != 22 {
		t.Fatalf("%d entries for 11 complaints under 2 keys: %v", raw, err)
	}
	var one bson.M
	if err := st.Collection("customer_cases").FindOne(ctx, bson.D{}).Decode(&one); err != nil || strings.Contains(fmt.Sprint(one), "13812345678") ||
		strings.Contains(fmt.Sprint(one), "oCust0001") {
		t.Fatalf("an entry holds the phone or the openid: %v %v", one, err)
	}

	// Two writers at once (two instances registering for one caller): every complaint kept.
	phone := st.CustomerKeys("", "13700000000")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if err := st.AddCustomerCase(ctx, phone, fmt.Sprintf("TS20261120-%04d", i+1), base); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := st.RecentCustomerCases(ctx, phone, base, 64); len(got) != 6 {
		t.Fatalf("concurrent records: %v", got)
	}

	// The erasure of the customer deletes the entries under their openid.
	if _, err := st.EraseCustomers(ctx, []string{"oCust0001"}, base.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.RecentCustomerCases(ctx, st.CustomerKeys("oCust0001", ""), base, 64); len(got) != 0 {
		t.Fatalf("erased customer, still found by openid: %v", got)
	}
	if n, err := st.ForgetCustomerCases(ctx, keys); err != nil || n != 11 {
		t.Fatalf("erase: %d %v", n, err)
	}
	if got, _ := st.RecentCustomerCases(ctx, keys, base, 64); len(got) != 0 {
		t.Fatalf("erased, still found: %v", got)
	}
}

// The one-time backfill records the complaints of the window already stored (not suggestions,
// not older ones), once: a second call does nothing.
func TestBackfillCustomerCases(t *testing.T) {
	t.Parallel()
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, complaintbot.Shanghai)
	for i, c := range []struct {
		kind complaintbot.Kind
		days int
	}{{complaintbot.KindComplaint, 0}, {complaintbot.KindComplaint, -10}, {complaintbot.KindSuggestion, -5}, {complaintbot.KindComplaint, -40}} {
		r := at.AddDate(0, 0, c.days)
		n := fmt.Sprintf("%s%s-%04d", c.kind.Prefix(), r.Format("20060102"), i+1)
		if err := st.InsertCase(ctx, &complaintbot.Case{Number: n, Kind: c.kind, Status: complaintbot.StatusReceived, Channel: complaintbot.ReceivedPhone,
			Fields: map[string]string{complaintbot.FieldPhone: "13812345678"}, Received: r, SourceTurn: "form:" + n, Updated: r}); err != nil {
			t.Fatal(err)
		}
	}
	since := at.AddDate(0, 0, -30)
	if n, err := st.BackfillCustomerCases(ctx, since); err != nil || n != 2 {
		t.Fatalf("backfill: %d %v", n, err)
	}
	if n, err := st.BackfillCustomerCases(ctx, since); err != nil || n != 0 {
		t.Fatalf("second backfill: %d %v", n, err)
	}
	got, err := st.RecentCustomerCases(ctx, st.CustomerKeys("", "13812345678"), since, 10)
	if want := []string{"TS20261120-0001", "TS20261110-0002"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("backfilled: %v %v, want %v", got, err, want)
	}
}

// A database from before the customers' records gets them at start (a migration): the
// complaints of the 31 days before the newest case.
func TestCustomerCasesBackfilledAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, complaintbot.Shanghai)
	for i, days := range []int{0, -20, -45} {
		r := at.AddDate(0, 0, days)
		n := fmt.Sprintf("TS%s-%04d", r.Format("20060102"), i+1)
		if err := st.InsertCase(ctx, &complaintbot.Case{Number: n, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oOldCust",
			Channel: complaintbot.ReceivedWeChat, Received: r, SourceTurn: "turn:" + n, Updated: r}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Collection(storage.MetaCollection).DeleteMany(ctx, bson.D{}); err != nil { // as before the migration existed
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	got, err := st.RecentCustomerCases(ctx, st.CustomerKeys("oOldCust", ""), time.Time{}, 10)
	if want := []string{"TS20261120-0001", "TS20261031-0002"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("after the start: %v %v, want %v", got, err, want)
	}
}

// plainKey is a key as an older version made it: a plain hash, found again by hashing every phone
// number.
func plainKey(kind, v string) string {
	sum := sha256.Sum256([]byte("complaintbot/customer/" + kind + "/" + v))
	return kind + hex.EncodeToString(sum[:16])
}

// A phone number's key is this database's own (two databases key one number differently, and
// neither key is the plain hash anyone could compute for every number); a database written by an
// older version, with entries under plain hashes, has them replaced at start: the plain ones are
// gone and the customer's complaints are found under the new keys.
func TestCustomerKeysAreTheDatabasesOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	other := storagetest.Open(t)
	mine, theirs := st.CustomerKeys("oCust0001", "13812345678"), other.CustomerKeys("oCust0001", "13812345678")
	if len(mine) != 2 || slices.Contains(theirs, mine[0]) || slices.Contains(theirs, mine[1]) {
		t.Fatalf("two databases, the same keys: %v %v", mine, theirs)
	}
	if slices.Contains(mine, plainKey("p", "13812345678")) || slices.Contains(mine, plainKey("o", "oCust0001")) {
		t.Fatalf("a key is the plain hash: %v", mine)
	}

	at := time.Date(2026, 11, 20, 10, 0, 0, 0, complaintbot.Shanghai)
	const number = "TS20261120-0001"
	if err := st.InsertCase(ctx, &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReceived, OpenID: "oCust0001",
		Fields: map[string]string{complaintbot.FieldPhone: "13812345678"}, Channel: complaintbot.ReceivedWeChat, Received: at, SourceTurn: "turn:" + number, Updated: at}); err != nil {
		t.Fatal(err)
	}
	// As an older version left it: entries under plain hashes, its backfill mark, no migration yet.
	entries := st.Collection("customer_cases")
	if _, err := entries.DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{plainKey("o", "oCust0001"), plainKey("p", "13812345678")} {
		if _, err := entries.InsertOne(ctx, bson.D{{Key: "_id", Value: k + "#1"}, {Key: "case", Value: number}, {Key: "at", Value: at}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := entries.InsertOne(ctx, bson.D{{Key: "_id", Value: "backfill#v1"}, {Key: "at", Value: at.AddDate(0, 0, -31)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection(storage.MetaCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: "migration:customer-cases-keyed"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}

	st = storagetest.OpenDir(t, dir)
	if got := st.CustomerKeys("oCust0001", "13812345678"); !slices.Equal(got, mine) {
		t.Fatalf("after a restart the keys changed: %v, were %v", got, mine)
	}
	for _, k := range []string{plainKey("o", "oCust0001"), plainKey("p", "13812345678")} {
		if n, err := st.Collection("customer_cases").CountDocuments(ctx, bson.D{{Key: "_id", Value: k + "#1"}}); err != nil || n != 0 {
			t.Fatalf("an entry under a plain hash is left: %d %v", n, err)
		}
	}
	for _, keys := range [][]string{st.CustomerKeys("oCust0001", ""), st.CustomerKeys("", "13812345678")} {
		got, err := st.RecentCustomerCases(ctx, keys, at.AddDate(0, 0, -30), 10)
		if err != nil || !slices.Equal(got, []string{number}) {
			t.Fatalf("the customer's complaints after the migration: %v %v", got, err)
		}
	}
}
