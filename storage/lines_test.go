package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Lines sent to a customer (agents' replies, notices) appear in their transcript only, in order,
// once each however often their delivery is recorded.
func TestTranscriptLinesAreTheCustomersOwnAndOnceEach(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	for i := range 6 {
		who := []string{"oLineA", "oLineB"}[i%2]
		l := storage.Line{ID: fmt.Sprint("outbox:", i), OpenID: who, Dir: storage.Outbound, Type: complaintbot.InputText,
			Text: fmt.Sprint("通知", i), At: t0.Add(time.Duration(i) * time.Minute), By: "system"}
		if err := st.AppendLine(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := st.AppendLine(ctx, l); err != nil { // recorded again after a redelivery
			t.Fatal(err)
		}
	}
	lines, err := st.Transcript(ctx, "oLineA", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.ID+"="+l.Text)
	}
	if fmt.Sprint(got) != "[outbox:0=通知0 outbox:2=通知2 outbox:4=通知4]" {
		t.Fatalf("customer A's transcript: %v", got)
	}
	if lines, _ := st.Transcript(ctx, "oLineB", 2); len(lines) != 2 || lines[1].Text != "通知5" {
		t.Fatalf("customer B's newest two: %+v", lines)
	}
}

// Lines written by an earlier version (keyed by the caller's id alone) are moved into their
// customer's sequence at start, in time order.
func TestOldTranscriptLinesAreMigrated(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	ctx := context.Background()
	for i, text := range []string{"旧1", "旧2"} {
		old := bson.D{{Key: "_id", Value: fmt.Sprint("old:", i)}, {Key: "openid", Value: "oOld"}, {Key: "dir", Value: "out"},
			{Key: "type", Value: "text"}, {Key: "text", Value: text}, {Key: "at", Value: t0.Add(time.Duration(i) * time.Minute)}}
		if _, err := st.Collection("messages").InsertOne(ctx, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Collection(storage.MetaCollection).DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = storagetest.OpenDir(t, dir)
	lines, err := st.Transcript(ctx, "oOld", 10)
	if err != nil || len(lines) != 2 || lines[0].Text != "旧1" || lines[1].ID != "old:1" {
		t.Fatalf("migrated transcript: %+v %v", lines, err)
	}
	if n, _ := st.Collection("messages").CountDocuments(ctx, bson.D{}); n != 2 {
		t.Fatalf("%d line documents after the migration, want 2", n)
	}
}
