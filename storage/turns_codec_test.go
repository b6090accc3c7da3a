package storage_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A turn written by the conversation service before storage encoded turns itself (state and
// effects marshalled by the caller into bson.Raw, literally this document) reads back into the
// typed turn, every field: a year of stored conversations survives the change.
func TestTurnStoredTheOldWayReadsBack(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	active := at.Add(-3 * time.Minute)
	draftAt := at.Add(-time.Minute)
	received := at
	replyDue := at.Add(5 * 24 * time.Hour)
	decisionDue := at.Add(15 * 24 * time.Hour)
	id := storage.TurnID("oOld00000000000000000000001", 7)
	doc := bson.D{
		{Key: "_id", Value: id}, {Key: "openid", Value: "oOld00000000000000000000001"}, {Key: "version", Value: int64(7)},
		{Key: "dedupe", Value: "m:123"}, {Key: "at", Value: at},
		{Key: "in", Value: bson.D{{Key: "type", Value: "text"}, {Key: "text", Value: "确认"}, {Key: "at", Value: at}}},
		{Key: "replies", Value: bson.A{"已受理", "编号 TS20261128-0001"}},
		{Key: "state", Value: bson.D{{Key: "flow", Value: "intake"}, {Key: "step", Value: "phone"},
			{Key: "draft", Value: bson.D{{Key: "kind", Value: "complaint"}, {Key: "fields", Value: bson.D{{Key: "description", Value: "柜员态度差"}}}}},
			{Key: "failures", Value: int32(2)}, {Key: "handoff", Value: "waiting"}, {Key: "handoff_id", Value: "oOld#3"},
			{Key: "last_active", Value: active}, {Key: "draft_at", Value: draftAt},
			{Key: "done", Value: bson.A{"branch"}}, {Key: "history", Value: bson.A{"branch"}}, {Key: "choices", Value: bson.A{"0101", "0102"}},
			{Key: "correcting", Value: true}, {Key: "story", Value: "取款机吞卡"}, {Key: "context", Value: "周日开门吗"}, {Key: "piece", Value: "我去取钱"}}},
		{Key: "effects", Value: bson.D{{Key: "list", Value: bson.A{
			bson.D{{Key: "type", Value: "create_case"}, {Key: "case", Value: bson.D{{Key: "_id", Value: "TS20261128-0001"},
				{Key: "kind", Value: "complaint"}, {Key: "status", Value: "received"}, {Key: "openid", Value: "oOld00000000000000000000001"},
				{Key: "channel", Value: "wechat"}, {Key: "branch", Value: bson.D{{Key: "code", Value: "0101"}, {Key: "name", Value: "城东支行"}}},
				{Key: "fields", Value: bson.D{{Key: "description", Value: "柜员态度差"}}},
				{Key: "received_at", Value: received}, {Key: "reply_due", Value: replyDue}, {Key: "decision_due", Value: decisionDue},
				{Key: "source_turn", Value: id}, {Key: "day", Value: "2026-11-28"}, {Key: "month", Value: "2026-11"}, {Key: "updated_at", Value: received}}}},
			bson.D{{Key: "type", Value: "queue_for_agent"}, {Key: "reason", Value: "asked"}},
			bson.D{{Key: "type", Value: "survey_answered"}, {Key: "case_number", Value: "TS20261120-0003"}, {Key: "survey_id", Value: "TS20261120-0003#1"},
				{Key: "rating", Value: int32(2)}, {Key: "low", Value: true}},
			bson.D{{Key: "type", Value: "survey_comment"}, {Key: "survey_id", Value: "TS20261120-0003#1"}, {Key: "comment", Value: "太慢"}},
			bson.D{{Key: "type", Value: "leave_queue"}, {Key: "handoff_id", Value: "oOld#3"}},
		}}}},
		{Key: "cases", Value: bson.A{"TS20261120-0003", "TS20261128-0001"}},
	}
	if _, err := st.Collection("turns").InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	got, err := st.Turn(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := complaintbot.Turn{ID: id, OpenID: "oOld00000000000000000000001", Version: 7, Dedupe: "m:123", At: at,
		In:      complaintbot.Input{Type: complaintbot.InputText, Text: "确认", At: at},
		Replies: []string{"已受理", "编号 TS20261128-0001"},
		State: complaintbot.ConversationState{Flow: "intake", Step: "phone", Draft: &complaintbot.Draft{Kind: complaintbot.KindComplaint, Fields: map[string]string{"description": "柜员态度差"}},
			Failures: 2, Handoff: "waiting", HandoffID: "oOld#3", LastActive: active, DraftAt: draftAt, Done: []string{"branch"}, History: []string{"branch"},
			Choices: []string{"0101", "0102"}, Correcting: true, Story: "取款机吞卡", Context: "周日开门吗", Piece: "我去取钱"},
		Effects: []complaintbot.TurnEffect{
			{Effect: complaintbot.Effect{Type: complaintbot.EffectCreateCase}, Case: &complaintbot.Case{Number: "TS20261128-0001", Kind: complaintbot.KindComplaint,
				Status: complaintbot.StatusReceived, OpenID: "oOld00000000000000000000001", Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"},
				Fields: map[string]string{"description": "柜员态度差"}, Received: received, ReplyDue: replyDue, DecisionDue: decisionDue, SourceTurn: id,
				Day: "2026-11-28", Month: "2026-11", Updated: received}},
			{Effect: complaintbot.Effect{Type: complaintbot.EffectQueueForAgent, Reason: "asked"}},
			{Effect: complaintbot.Effect{Type: complaintbot.EffectSurveyAnswered, CaseNumber: "TS20261120-0003", SurveyID: "TS20261120-0003#1", Rating: 2, Low: true}},
			{Effect: complaintbot.Effect{Type: complaintbot.EffectSurveyComment, SurveyID: "TS20261120-0003#1", Comment: "太慢"}},
			{Effect: complaintbot.Effect{Type: complaintbot.EffectLeaveQueue, HandoffID: "oOld#3"}},
		},
		Cases: []string{"TS20261120-0003", "TS20261128-0001"}}
	normalise(got)
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("a turn stored the old way reads back as\n%+v\nwant\n%+v", *got, want)
	}

	// A greeting's turn of old: no state, no effects; its last activity is the turn's time.
	greet := bson.D{{Key: "_id", Value: storage.TurnID("oOld00000000000000000000002", 1)}, {Key: "openid", Value: "oOld00000000000000000000002"},
		{Key: "version", Value: int64(1)}, {Key: "dedupe", Value: "m:124"}, {Key: "at", Value: at},
		{Key: "in", Value: bson.D{{Key: "type", Value: "text"}, {Key: "text", Value: "你好"}, {Key: "at", Value: at}}}, {Key: "replies", Value: bson.A{"欢迎"}}}
	if _, err := st.Collection("turns").InsertOne(ctx, greet); err != nil {
		t.Fatal(err)
	}
	g, err := st.LatestTurn(ctx, "oOld00000000000000000000002")
	if err != nil {
		t.Fatal(err)
	}
	if !g.State.LastActive.Equal(at) || g.State.Flow != "" || g.Effects != nil {
		t.Fatalf("an old greeting's turn reads back with state %+v and effects %v, want only the last activity at %v", g.State, g.Effects, at)
	}
}

// A turn with a state and effects is stored in the shape the service has always stored (state and
// effects.list sub-documents; last activity left out when it is the turn's own time; no state and
// no effects field for a greeting) and reads back as it was written.
func TestTurnRoundTrip(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	turn := complaintbot.Turn{OpenID: "oTrip0000000000000000000001", Version: 1, Dedupe: "m:9", At: at,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "人工", At: at}, Replies: []string{"正在为您转接"},
		State: complaintbot.ConversationState{Flow: "idle", Handoff: "waiting", HandoffID: "x#1", LastActive: at, Done: []string{"branch"}},
		Effects: []complaintbot.TurnEffect{{Effect: complaintbot.Effect{Type: complaintbot.EffectQueueForAgent, Reason: "asked"}},
			{Effect: complaintbot.Effect{Type: complaintbot.EffectCreateCase}, Case: &complaintbot.Case{Number: "TS20261128-0009", Kind: complaintbot.KindComplaint,
				Status: complaintbot.StatusReceived, OpenID: "oTrip0000000000000000000001", Received: at, ReplyDue: at, DecisionDue: at, SourceTurn: "t", Updated: at}}},
		Cases: []string{"TS20261128-0009"}}
	if err := st.AppendTurn(ctx, &turn); err != nil {
		t.Fatal(err)
	}
	raw, err := st.Collection("turns").FindOne(ctx, bson.D{{Key: "_id", Value: turn.ID}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		State   bson.M `bson:"state"`
		Effects struct {
			List []bson.M `bson:"list"`
		} `bson:"effects"`
	}
	if err := bson.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	if _, ok := shape.State["last_active"]; ok || shape.State["handoff"] != "waiting" || shape.State["flow"] != "idle" || len(shape.State) != 4 {
		t.Errorf("stored state %v, want flow, handoff, handoff_id, done and no last_active (the turn's own time)", shape.State)
	}
	if len(shape.Effects.List) != 2 || shape.Effects.List[0]["type"] != "queue_for_agent" || shape.Effects.List[0]["reason"] != "asked" ||
		shape.Effects.List[1]["type"] != "create_case" || raw.Lookup("effects", "list", "1", "case", "_id").StringValue() != "TS20261128-0009" {
		t.Errorf("stored effects %v, want {list: [{type: queue_for_agent, reason}, {type: create_case, case: {_id...}}]}", shape.Effects.List)
	}
	got, err := st.Turn(ctx, turn.ID)
	if err != nil {
		t.Fatal(err)
	}
	normalise(got)
	if !reflect.DeepEqual(*got, turn) {
		t.Fatalf("read back\n%+v\nwant\n%+v", *got, turn)
	}

	// A greeting's turn stores neither state nor effects.
	greet := complaintbot.Turn{OpenID: "oTrip0000000000000000000002", Version: 1, Dedupe: "m:10", At: at,
		In: complaintbot.Input{Type: complaintbot.InputText, Text: "你好", At: at}, Replies: []string{"欢迎"}, State: complaintbot.ConversationState{LastActive: at}}
	if err := st.AppendTurn(ctx, &greet); err != nil {
		t.Fatal(err)
	}
	raw, err = st.Collection("turns").FindOne(ctx, bson.D{{Key: "_id", Value: greet.ID}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"state", "effects"} {
		if v, err := raw.LookupErr(f); err == nil {
			t.Errorf("a greeting's turn stores %s %v, want none", f, v)
		}
	}
}

// normalise puts the times the database hands back in UTC, as the test writes them.
func normalise(t *complaintbot.Turn) {
	utc := func(p *time.Time) {
		if !p.IsZero() {
			*p = p.UTC()
		}
	}
	utc(&t.At)
	utc(&t.In.At)
	utc(&t.State.LastActive)
	utc(&t.State.DraftAt)
	for _, e := range t.Effects {
		if c := e.Case; c != nil {
			for _, p := range []*time.Time{&c.Received, &c.ReplyDue, &c.DecisionDue, &c.Updated} {
				utc(p)
			}
		}
	}
}
