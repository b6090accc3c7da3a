package storage

import (
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The embedded server's guards (meets) decide as MongoDB's filter would, for the conditions the
// store writes: numbers by value, typed lists, missing fields, dotted paths.
func TestGuardsDecideAsTheFilterWould(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	doc, err := bson.Marshal(bson.D{{Key: "_id", Value: "TS20261204-0001"}, {Key: "status", Value: complaintbot.StatusInvestigating},
		{Key: "work", Value: bson.D{{Key: "rev", Value: int32(3)}}}, {Key: "waiting_since", Value: at},
		{Key: "escalation", Value: bson.D{{Key: "reason", Value: "overdue_reply"}}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cond bson.E
		want bool
	}{
		{"revision as int64", bson.E{Key: "work.rev", Value: int64(3)}, true},
		{"other revision", bson.E{Key: "work.rev", Value: int64(4)}, false},
		{"no revision yet", bson.E{Key: "work.rev", Value: bson.D{{Key: "$exists", Value: false}}}, false},
		{"status", bson.E{Key: "status", Value: complaintbot.StatusInvestigating}, true},
		{"status left", bson.E{Key: "status", Value: complaintbot.StatusReceived}, false},
		{"status in a typed list", bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: []complaintbot.Status{complaintbot.StatusReceived, complaintbot.StatusInvestigating}}}}, true},
		{"status not in", bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{complaintbot.StatusResolved}}}}, false},
		{"status nin", bson.E{Key: "status", Value: bson.D{{Key: "$nin", Value: bson.A{complaintbot.StatusResolved}}}}, true},
		{"missing field nin", bson.E{Key: "reopened_for", Value: bson.D{{Key: "$nin", Value: bson.A{"S1"}}}}, true},
		{"missing field in", bson.E{Key: "reopened_for", Value: bson.D{{Key: "$in", Value: bson.A{"S1"}}}}, false},
		{"missing field ne", bson.E{Key: "reopened_for", Value: bson.D{{Key: "$ne", Value: "S1"}}}, true},
		{"dotted ne, equal", bson.E{Key: "escalation.reason", Value: bson.D{{Key: "$ne", Value: "overdue_reply"}}}, false},
		{"dotted ne, other", bson.E{Key: "escalation.reason", Value: bson.D{{Key: "$ne", Value: "overdue_decision"}}}, true},
		{"time", bson.E{Key: "waiting_since", Value: at}, true},
		{"other time", bson.E{Key: "waiting_since", Value: at.Add(time.Millisecond)}, false},
		{"exists", bson.E{Key: "waiting_since", Value: bson.D{{Key: "$exists", Value: true}}}, true},
		{"path through a string", bson.E{Key: "status.code", Value: bson.D{{Key: "$exists", Value: false}}}, true},
	}
	for _, c := range cases {
		got, err := meets(doc, bson.D{c.cond})
		if err != nil || got != c.want {
			t.Errorf("%s: %v (%v), want %v", c.name, got, err, c.want)
		}
	}
	if _, err := meets(doc, bson.D{{Key: "work.rev", Value: bson.D{{Key: "$gt", Value: 1}}}}); err == nil {
		t.Error("an operator the guards do not know was taken as met or unmet, not refused")
	}
	// A condition into a list (MongoDB would match any element) is refused, not read as missing.
	withList, _ := bson.Marshal(bson.D{{Key: "_id", Value: "x"}, {Key: "additions", Value: bson.A{bson.D{{Key: "turn", Value: "t1"}}}}})
	if _, err := meets(withList, bson.D{{Key: "additions.turn", Value: bson.D{{Key: "$ne", Value: "t1"}}}}); err == nil {
		t.Error("a condition into a list was taken as met or unmet, not refused")
	}
}
