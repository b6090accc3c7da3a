package storage

import (
	"reflect"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A survey entry's survey is stored as the JSON the entries have always held (the seed's field
// names, written before the seed was a complaintbot.Survey), and read back as it was written.
func TestSurveyEntryKeepsItsStoredSeed(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sv := &complaintbot.Survey{ID: "TS20261127-0001#1", Subject: complaintbot.SurveyOfCase, Case: "TS20261127-0001", Round: 1, OpenID: "oS",
		Kind: "complaint", Branch: "0101", BranchName: "城东支行", Category: "fee", CategoryName: "收费", Agent: "wang", Manual: true, By: "wang"}
	e := DueEntry{ID: "survey#TS20261127-0001#1", Kind: DueSurvey, At: at, Case: "TS20261127-0001", Survey: sv}
	b, err := bson.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var d dueDoc
	if err := bson.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	const old = `{"ID":"TS20261127-0001#1","Subject":"case","Case":"TS20261127-0001","Round":1,"Handoff":"","OpenID":"oS","Kind":"complaint",` +
		`"Branch":"0101","BranchName":"城东支行","Category":"fee","CategoryName":"收费","Agent":"wang","Manual":true,"By":"wang"}`
	if d.Seed != old {
		t.Fatalf("stored seed\n%s\nwant\n%s", d.Seed, old)
	}
	var back DueEntry
	if err := bson.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Survey, sv) {
		t.Fatalf("read back %+v, want %+v", back.Survey, sv)
	}
}
