package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The export of the cases and the nightly rebuild of the reports read the cases through one
// cursor in many batches. Other users' reads on the same connections that are cancelled while
// under way (a closed page, a download given up) must not cut them short: every case is read.
func TestALongReadOutlivesOtherReadersGivingUp(t *testing.T) {
	t.Parallel()
	st := storagetest.Open(t)
	ctx := context.Background()
	const n = 2000
	docs := make([]any, n)
	received := time.Date(2026, 11, 2, 9, 0, 0, 0, complaintbot.Shanghai)
	for i := range docs {
		docs[i] = bson.M{"_id": fmt.Sprintf("TS20261102-%04d", i+1), "kind": "complaint", "status": "open",
			"branch": bson.M{"code": "0101"}, "openid": fmt.Sprintf("o_export_%d", i), "received_at": received.Add(time.Duration(i) * time.Second),
			"fields": bson.D{{Key: "description", Value: strings.Repeat("柜员态度很差，等了一个小时", 20)}}}
	}
	if _, err := st.Collection("cases").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	gaveUp := 0
	// othersGiveUp runs other readers' reads, each given up while under way.
	othersGiveUp := func() {
		for delay := time.Millisecond; delay <= 8*time.Millisecond; delay *= 2 {
			other, cancel := context.WithCancel(ctx)
			time.AfterFunc(delay, cancel)
			if err := st.EachReportCase(other, time.Time{}, time.Time{}, 100, func([]complaintbot.Case) error { return nil }); err != nil {
				gaveUp++
			}
			cancel()
		}
	}
	read := 0
	err := st.EachCase(ctx, storage.CaseFilter{Branches: []string{"0101"}}, n+1, func(*complaintbot.Case) error {
		if read++; read%500 == 50 {
			othersGiveUp()
		}
		return nil
	})
	if err != nil || read != n {
		t.Fatalf("the export with other readers giving up (%d times): %d of %d cases, %v", gaveUp, read, n, err)
	}
	read = 0
	err = st.EachReportCase(ctx, time.Time{}, time.Time{}, 100, func(batch []complaintbot.Case) error {
		if read += len(batch); read%500 == 0 {
			othersGiveUp()
		}
		return nil
	})
	if err != nil || read != n {
		t.Fatalf("the rebuild's read with other readers giving up (%d times): %d of %d cases, %v", gaveUp, read, n, err)
	}
	if gaveUp == 0 {
		t.Fatal("no other reader was cancelled under way: the test tried nothing")
	}
}
