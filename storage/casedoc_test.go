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

// oldCaseDoc is a case document as the code before the one case type wrote it: registered by a
// conversation, added to by the customer, worked in the console (work), and marked by the
// scheduler and the surveys (replied_at ... satisfaction). Every key the old types read is set.
func oldCaseDoc(at time.Time) bson.D {
	ms := func(d time.Duration) time.Time { return at.Add(d).Truncate(time.Millisecond) }
	return bson.D{
		{Key: "_id", Value: "TS20261127-0042"}, {Key: "kind", Value: "complaint"}, {Key: "status", Value: "reopened"},
		{Key: "openid", Value: "oOld0000000042"}, {Key: "channel", Value: "wechat"},
		{Key: "category", Value: bson.D{{Key: "code", Value: "attitude"}, {Key: "name", Value: "服务态度"}, {Key: "jr_channel", Value: "A01"}, {Key: "jr_business", Value: "B02"}, {Key: "jr_reason", Value: "C03"}}},
		{Key: "branch", Value: bson.D{{Key: "code", Value: "0101"}, {Key: "name", Value: "城东支行"}, {Key: "aliases", Value: bson.A{"东门"}}}},
		{Key: "occurred_at", Value: ms(-24 * time.Hour)}, {Key: "occurred_precision", Value: "week"}, {Key: "urgent", Value: "fraud"},
		{Key: "fields", Value: bson.D{{Key: "description", Value: "柜员态度很差"}, {Key: "phone", Value: "13812345678"}}},
		{Key: "evidence", Value: bson.A{bson.D{{Key: "media_id", Value: "m1"}, {Key: "type", Value: "image"}, {Key: "at", Value: ms(0)}}}},
		{Key: "received_at", Value: ms(0)}, {Key: "reply_due", Value: ms(72 * time.Hour)}, {Key: "decision_due", Value: ms(15 * 24 * time.Hour)},
		{Key: "source_turn", Value: "oOld0000000042#000000000007"}, {Key: "day", Value: "2026-11-27"}, {Key: "month", Value: "2026-11"},
		{Key: "updated_at", Value: ms(time.Hour)},
		{Key: "additions", Value: bson.A{bson.D{{Key: "turn", Value: "oOld0000000042#000000000009"}, {Key: "text", Value: "补充：还收了手续费"}, {Key: "at", Value: ms(2 * time.Hour)}}}},
		{Key: "work", Value: bson.D{
			{Key: "rev", Value: int64(4)}, {Key: "assignee", Value: "wangli"}, {Key: "accepted_at", Value: ms(10 * time.Minute)}, {Key: "accepted_by", Value: "wangli"},
			{Key: "departments", Value: bson.D{{Key: "responsible", Value: "营业室"}, {Key: "host", Value: "城东支行"}, {Key: "co_handling", Value: bson.A{"个人金融部"}}}},
			{Key: "malicious", Value: bson.D{{Key: "reason", Value: "反复骚扰"}, {Key: "by", Value: "admin"}, {Key: "at", Value: ms(3 * time.Hour)}}},
			{Key: "resolution", Value: bson.D{{Key: "text", Value: "已致歉"}, {Key: "reply", Value: "向您致歉"}, {Key: "by", Value: "wangli"}, {Key: "at", Value: ms(4 * time.Hour)}}},
			{Key: "extensions", Value: int32(1)},
			{Key: "timeline", Value: bson.A{bson.D{{Key: "id", Value: "r1"}, {Key: "at", Value: ms(10 * time.Minute)}, {Key: "by", Value: "wangli"}, {Key: "kind", Value: "status"},
				{Key: "text", Value: "开始调查"}, {Key: "from", Value: "received"}, {Key: "to", Value: "investigating"}},
				bson.D{{Key: "id", Value: "r1-notice"}, {Key: "at", Value: ms(11 * time.Minute)}, {Key: "by", Value: "wangli"}, {Key: "kind", Value: "notice"}, {Key: "outbox", Value: "ob1"}}}},
		}},
		{Key: "replied_at", Value: ms(30 * time.Minute)}, {Key: "waiting_since", Value: ms(5 * time.Hour)}, {Key: "paused_ns", Value: int64(2 * time.Hour)},
		{Key: "overdue", Value: bson.D{{Key: "reply", Value: ms(73 * time.Hour)}}}, {Key: "escalated_at", Value: ms(73 * time.Hour)},
		{Key: "escalation", Value: bson.D{{Key: "level", Value: "head_office"}, {Key: "reason", Value: "overdue_reply"}, {Key: "by", Value: "system"}}},
		{Key: "reopened_at", Value: ms(100 * time.Hour)}, {Key: "reopen_reason", Value: "low_rating"}, {Key: "reopened_for", Value: "TS20261127-0042#1"},
		{Key: "satisfaction", Value: bson.D{{Key: "survey", Value: "TS20261127-0042#1"}, {Key: "rating", Value: int32(2)}, {Key: "comment", Value: "太慢"}, {Key: "at", Value: ms(99 * time.Hour)}}},
	}
}

// A case document written by the old code decodes into the one case type with every field, read
// through the store as every package reads it; and nothing of it is lost when the type writes it
// back.
func TestOldCaseDocumentDecodesIntoTheCaseType(t *testing.T) {
	st := storagetest.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	ms := func(d time.Duration) *time.Time { x := at.Add(d).UTC(); return &x }
	doc := oldCaseDoc(at)
	if _, err := st.Collection("cases").InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	occurred := *ms(-24 * time.Hour)
	want := complaintbot.Case{
		Number: "TS20261127-0042", Kind: complaintbot.KindComplaint, Status: complaintbot.StatusReopened, OpenID: "oOld0000000042", Channel: "wechat",
		Category: &complaintbot.Category{Code: "attitude", Name: "服务态度", Channel: "A01", Business: "B02", Reason: "C03"},
		Branch:   complaintbot.Branch{Code: "0101", Name: "城东支行", Aliases: []string{"东门"}},
		Occurred: &occurred, OccurredPrecision: "week", Urgent: "fraud",
		Fields:   map[string]string{"description": "柜员态度很差", "phone": "13812345678"},
		Evidence: []complaintbot.Evidence{{MediaID: "m1", Type: "image", At: at}},
		Received: at, ReplyDue: *ms(72 * time.Hour), DecisionDue: *ms(15 * 24 * time.Hour), SourceTurn: "oOld0000000042#000000000007",
		Day: "2026-11-27", Month: "2026-11", Updated: *ms(time.Hour),
		Additions: []complaintbot.Addition{{Turn: "oOld0000000042#000000000009", Text: "补充：还收了手续费", At: *ms(2 * time.Hour)}},
		Work: complaintbot.CaseWork{Rev: 4, Assignee: "wangli", AcceptedAt: ms(10 * time.Minute), AcceptedBy: "wangli",
			Departments: complaintbot.Departments{Responsible: "营业室", Host: "城东支行", CoHandling: []string{"个人金融部"}},
			Malicious:   &complaintbot.Flag{Reason: "反复骚扰", By: "admin", At: *ms(3 * time.Hour)},
			Resolution:  &complaintbot.Resolution{Text: "已致歉", Reply: "向您致歉", By: "wangli", At: *ms(4 * time.Hour)},
			Extensions:  1,
			Timeline: []complaintbot.TimelineEntry{{ID: "r1", At: *ms(10 * time.Minute), By: "wangli", Kind: "status", Text: "开始调查", From: "received", To: "investigating"},
				{ID: "r1-notice", At: *ms(11 * time.Minute), By: "wangli", Kind: "notice", Outbox: "ob1"}}},
		RepliedAt: ms(30 * time.Minute), WaitingSince: ms(5 * time.Hour), Paused: 2 * time.Hour,
		Missed: map[string]time.Time{storage.DeadlineReply: *ms(73 * time.Hour)}, Escalated: ms(73 * time.Hour),
		Escalation: complaintbot.Escalation{Level: "head_office", Reason: "overdue_reply", By: "system"},
		ReopenedAt: ms(100 * time.Hour), ReopenReason: "low_rating", ReopenedFor: "TS20261127-0042#1",
		Satisfaction: &complaintbot.Satisfaction{Survey: "TS20261127-0042#1", Rating: 2, Comment: "太慢", At: *ms(99 * time.Hour)},
	}
	for name, read := range map[string]func(context.Context, string) (*complaintbot.Case, error){"Case": st.Case, "ScanCase": st.ScanCase} {
		got, err := read(ctx, want.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(utc(*got), want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, utc(*got), want)
		}
	}
	if got, want := mustCase(t, st, want.Number).LastNotice(), *ms(11 * time.Minute); !got.Equal(want) {
		t.Errorf("last notice %v, want %v", got, want)
	}

	// Written back, the document is the old one, key for key (in the type's order).
	raw, err := bson.Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	var back, old bson.M
	if err := bson.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	oldRaw, _ := bson.Marshal(doc)
	_ = bson.Unmarshal(oldRaw, &old)
	// Compared as maps all the way down: a map field (fields) is written in no fixed key order.
	if !reflect.DeepEqual(unordered(back), unordered(old)) {
		t.Errorf("the case type writes\n%v\nthe old document is\n%v", back, old)
	}
}

// A case as a conversation registers it is written exactly as before: no "work", no scheduler
// fields (the case workflow's first change expects no work.rev, and the scheduler's marks expect
// their fields absent).
func TestNewCaseIsWrittenWithTheOldKeys(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	c := testCase(7, "0101", at)
	raw, err := bson.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var d bson.D
	if err := bson.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range d {
		keys = append(keys, e.Key)
	}
	want := []string{"_id", "kind", "status", "openid", "channel", "category", "branch", "fields", "received_at", "reply_due", "decision_due",
		"source_turn", "day", "month", "updated_at"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("a registered case is written with %v, want %v", keys, want)
	}
}

func mustCase(t *testing.T, st *storage.Store, number string) *complaintbot.Case {
	t.Helper()
	c, err := st.ScanCase(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// utc puts every time of the case in UTC (the driver decodes dates in the local zone).
func utc(c complaintbot.Case) complaintbot.Case {
	u := func(t *time.Time) {
		if t != nil {
			*t = t.UTC()
		}
	}
	up := func(t **time.Time) {
		if *t != nil {
			x := (*t).UTC()
			*t = &x
		}
	}
	up(&c.Occurred)
	for i := range c.Evidence {
		u(&c.Evidence[i].At)
	}
	u(&c.Received)
	u(&c.ReplyDue)
	u(&c.DecisionDue)
	u(&c.Updated)
	for i := range c.Additions {
		u(&c.Additions[i].At)
	}
	up(&c.Work.AcceptedAt)
	if c.Work.Malicious != nil {
		u(&c.Work.Malicious.At)
	}
	if c.Work.Resolution != nil {
		u(&c.Work.Resolution.At)
	}
	for i := range c.Work.Timeline {
		u(&c.Work.Timeline[i].At)
	}
	up(&c.RepliedAt)
	up(&c.WaitingSince)
	for k, v := range c.Missed {
		c.Missed[k] = v.UTC()
	}
	up(&c.Escalated)
	up(&c.ReopenedAt)
	if c.Satisfaction != nil {
		u(&c.Satisfaction.At)
	}
	return c
}

// unordered turns every document within v into a map, so that documents compare regardless of
// their keys' order.
func unordered(v any) any {
	switch x := v.(type) {
	case bson.D:
		m := make(map[string]any, len(x))
		for _, e := range x {
			m[e.Key] = unordered(e.Value)
		}
		return m
	case bson.M:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = unordered(e)
		}
		return m
	case bson.A:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unordered(e)
		}
		return out
	}
	return v
}
