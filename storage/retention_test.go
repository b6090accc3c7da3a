package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// person is the personal data of one planted customer.
type person struct {
	openID, phone, name, story, wish, note, reply, addOn, media, bytes string
}

// personFor returns the personal data of planted customer n (1 to 9), all of it their own.
func personFor(n int) person {
	d := fmt.Sprint(n)
	return person{openID: "oRetention_Customer_00000000000" + d, phone: "1381234567" + d, name: "张三丰" + d,
		story: "柜员态度很差让我等了一个小时" + d, wish: "希望道歉并改进服务" + d, note: "客户说他住在幸福路八号" + d,
		reply: "已向客户当面致歉" + d, addOn: "补充：当时还有保安在场" + d, media: "sim-media-retention-" + d, bytes: "IMAGEBYTES-RETENTION-" + d}
}

// all lists the strings no document may hold once the customer is erased.
func (p person) all() []string {
	return []string{p.openID, p.phone, p.name, p.story, p.wish, p.note, p.reply, p.addOn, p.bytes}
}

// plantCustomer writes a customer's conversation (turns, transcript, dedupe record, queue entry),
// a closed case with every kind of free text, its survey and follow-up call, its outbox notice, a
// picture, the audit trail, the messaging window and the subscription record; it returns the
// case number.
func plantCustomer(t testing.TB, st *storage.Store, p person, number string, at time.Time) {
	t.Helper()
	openID := p.openID
	ctx := context.Background()
	day := at.In(complaintbot.Shanghai).Format("2006-01-02")
	c := complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusClosed, OpenID: openID,
		Channel: complaintbot.ReceivedWeChat, Coding: taxonomy.Coding{Channel: "A0101", Business: "B0101", Reason: "C01"},
		Category: &complaintbot.Category{Code: "attitude", Name: "服务态度"}, Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"},
		Fields: map[string]string{complaintbot.FieldDescription: p.story, complaintbot.FieldRequest: p.wish,
			complaintbot.FieldPhone: p.phone, complaintbot.FieldName: p.name},
		Evidence: []complaintbot.Evidence{{MediaID: p.media, Type: "image", At: at}},
		Received: at, ReplyDue: at.Add(72 * time.Hour), DecisionDue: at.Add(15 * 24 * time.Hour),
		SourceTurn: storage.TurnID(openID, 3), Day: day, Month: day[:7], Updated: at.Add(48 * time.Hour),
		Additions:    []complaintbot.Addition{{Turn: storage.TurnID(openID, 4), Text: p.addOn, At: at.Add(time.Hour)}},
		Satisfaction: &complaintbot.Satisfaction{Survey: number + "#1", Rating: 2, Comment: p.name + "不满意", At: at.Add(50 * time.Hour)},
	}
	c.Work.Rev = 3
	c.Work.Assignee = "wangli"
	c.Work.Timeline = []complaintbot.TimelineEntry{{ID: "n1", At: at.Add(2 * time.Hour), By: "wangli", Kind: "note", Text: p.note},
		{ID: "s1", At: at.Add(3 * time.Hour), By: "wangli", Kind: "status", From: "received", To: "closed"}}
	c.Work.Resolution = &complaintbot.Resolution{Text: p.reply, Reply: p.reply + "，电话" + p.phone, By: "wangli", At: at.Add(40 * time.Hour)}
	if _, err := st.Collection("cases").InsertOne(ctx, c); err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v <= 4; v++ {
		tu := complaintbot.Turn{ID: storage.TurnID(openID, v), OpenID: openID, Version: v, Dedupe: fmt.Sprintf("msg-%s-%d", openID, v),
			At: at.Add(time.Duration(v) * time.Minute), In: complaintbot.Input{Type: complaintbot.InputText, Text: p.story + p.phone},
			Replies: []string{"请问您的姓名？" + p.name},
			State:   complaintbot.ConversationState{Draft: &complaintbot.Draft{Kind: complaintbot.KindComplaint, Fields: map[string]string{"phone": p.phone}}}}
		if v >= 3 {
			tu.Cases = []string{number}
		}
		if v == 2 {
			tu.In = complaintbot.Input{Type: complaintbot.InputImage, MediaID: p.media}
		}
		doc, err := storage.TurnRecord(&tu)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Collection("turns").InsertOne(ctx, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Collection(storage.DedupeCollection).InsertOne(ctx, storage.DedupeRecord{Key: tu.Dedupe, Turn: tu.ID, At: tu.At}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AppendLine(ctx, storage.Line{ID: "reply-" + openID, OpenID: openID, Dir: storage.Outbound, Type: complaintbot.InputText,
		Text: "您好" + p.name + "，" + p.reply, At: at.Add(5 * time.Hour), By: "wangli", Case: number}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection("handoffs").InsertOne(ctx, complaintbot.Handoff{ID: storage.TurnID(openID, 4), OpenID: openID, Reason: "asked",
		Status: complaintbot.HandoffClosed, At: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection("handoff_events").InsertOne(ctx, complaintbot.HandoffEvent{ID: complaintbot.HandoffEventID(storage.TurnID(openID, 4), 1),
		Handoff: storage.TurnID(openID, 4), OpenID: openID, N: 1, Kind: "claim", Agent: "wangli", By: "wangli", At: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: "notice-" + number, OpenID: openID, Text: "尊敬的" + p.name + "：" + p.reply,
		Purpose: complaintbot.PurposeNotice, CaseNumber: number, Status: complaintbot.OutboxSent, Created: at, NextAt: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enqueue(ctx, &complaintbot.OutboxMessage{ID: "reply-" + openID, OpenID: openID, Text: p.story,
		Purpose: complaintbot.PurposeReply, Status: complaintbot.OutboxSent, Created: at, NextAt: at}); err != nil {
		t.Fatal(err)
	}
	sv := complaintbot.Survey{ID: number + "#1", Subject: complaintbot.SurveyOfCase, Case: number, Round: 1, OpenID: openID, Kind: "complaint",
		Branch: "0101", Day: day, Month: day[:7], Status: complaintbot.SurveyAnswered, Rating: 2, Low: true, Comment: p.name + "不满意",
		Sent: at.Add(49 * time.Hour), Expires: at.Add(120 * time.Hour), AnswerTurn: storage.TurnID(openID, 4)}
	if _, err := st.InsertSurveys(ctx, []complaintbot.Survey{sv}); err != nil {
		t.Fatal(err)
	}
	if err := st.RaiseFollowUp(ctx, &sv, at.Add(50*time.Hour)); err != nil {
		t.Fatal(err)
	}
	req := storage.MediaRequest{ID: p.media, OpenID: openID, Type: "image", At: at, Expires: at.Add(storage.MediaLifetime)}
	if err := st.RequestMedia(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveMedia(ctx, req, "image/png", bytes.Repeat([]byte(p.bytes), 20000), at); err != nil {
		t.Fatal(err)
	}
	for _, a := range []storage.AuditEntry{
		{At: at, User: "wangli", Action: "note", TargetType: "case", Target: number, Branch: "0101", After: p.note},
		{At: at, User: "wangli", Action: "status", TargetType: "case", Target: number, Branch: "0101", Before: "received", After: "closed"},
		{At: at, User: "wangli", Action: "reply", TargetType: "conversation", Target: openID, After: p.reply},
	} {
		if err := st.Audit(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.RecordSubscription(ctx, openID, true, at); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Collection(storage.WindowSendsCollection).InsertOne(ctx, bson.D{{Key: "_id", Value: openID}, {Key: "at", Value: bson.A{at}}}); err != nil {
		t.Fatal(err)
	}
}

// everyDocument returns every document of every collection, as extended JSON, by collection.
func everyDocument(t *testing.T, st *storage.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	names, err := st.Collection("cases").Database().ListCollectionNames(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range names {
		cur, err := st.Collection(n).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(ctx) {
			var raw bson.Raw = cur.Current
			// Binary fields (pictures' chunks) are compared by their bytes too.
			var m bson.M
			if err := bson.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			js, err := bson.MarshalExtJSON(m, false, false)
			if err != nil {
				t.Fatal(err)
			}
			out[n] = append(out[n], string(js)+string(raw))
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Erasing a customer leaves none of their personal data in any collection, through writes by _id
// alone on the customers' connection; the case keeps its number, codes, branch, dates and status,
// the survey its rating.
// Not parallel: opening two embedded stores at once races inside FerretDB (ferretdb.New writes a
// package variable).
func TestEraseCustomerLeavesNoPersonalData(t *testing.T) {
	var mu sync.Mutex
	var scans []storage.Command
	watch := false
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{DataDir: t.TempDir(), Database: "retention", Logger: slog.New(slog.DiscardHandler),
		Observe: func(c storage.Command) {
			mu.Lock()
			defer mu.Unlock()
			if watch && !c.ByID && c.Collection != "audit" { // audit entries are updated by their ObjectID
				scans = append(scans, c)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	at := time.Date(2022, 3, 1, 2, 0, 0, 0, time.UTC)
	me, other := personFor(1), personFor(2)
	plantCustomer(t, st, me, "TS20220301-0001", at)
	plantCustomer(t, st, other, "TS20220301-0002", at)
	before := everyDocument(t, st)
	found := false
	for _, docs := range before {
		for _, d := range docs {
			found = found || strings.Contains(d, me.phone)
		}
	}
	if !found {
		t.Fatal("the planted data holds no phone number: the test would prove nothing")
	}

	mu.Lock()
	watch = true
	mu.Unlock()
	now := at.AddDate(4, 0, 0)
	e, err := st.EraseCustomers(ctx, []string{me.openID}, now)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	watch = false
	if len(scans) > 0 {
		t.Errorf("the erasure read or wrote by a filter other than _id on the customers' connection: %+v", scans)
	}
	mu.Unlock()
	t.Logf("erased: %v", e)
	for _, coll := range []string{"cases", "turns", "messages", "dedupe", "handoffs", "handoff_events", "outbox", "surveys", "follow_ups",
		"media", "media_chunks", "media_fetch", "audit", "customers", storage.WindowSendsCollection} {
		if e[coll] == 0 {
			t.Errorf("the erasure changed nothing in %s: %v", coll, e)
		}
	}
	after := everyDocument(t, st)
	for coll, docs := range after {
		for _, d := range docs {
			for _, p := range me.all() {
				if strings.Contains(d, p) {
					t.Errorf("%s still holds %q: %.300s", coll, p, d)
				}
			}
		}
	}
	// The other customer is untouched.
	for _, coll := range []string{"turns", "messages", "handoffs", "outbox", "cases"} {
		if len(after[coll]) == 0 {
			t.Errorf("%s is empty: the other customer's records went too", coll)
		}
	}
	intact := 0
	for _, d := range after["turns"] {
		if strings.Contains(d, other.openID) && strings.Contains(d, other.phone) {
			intact++
		}
	}
	if intact != 4 {
		t.Errorf("the other customer has %d of their 4 turns intact", intact)
	}
	// The figures stay.
	c, err := st.Case(ctx, "TS20220301-0001")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != complaintbot.KindComplaint || c.Status != complaintbot.StatusClosed || c.Branch.Code != "0101" || c.Category.Code != "attitude" ||
		c.Coding.Reason != "C01" || !c.Received.Equal(at) || !c.DecisionDue.Equal(at.Add(15*24*time.Hour)) || c.Work.Assignee != "wangli" ||
		c.Satisfaction == nil || c.Satisfaction.Rating != 2 || len(c.Work.Timeline) != 2 || c.Work.Timeline[1].To != "closed" {
		t.Errorf("the anonymised case lost figures: %+v", c)
	}
	if c.OpenID != "" || len(c.Fields) != 0 || len(c.Evidence) != 0 {
		t.Errorf("the anonymised case keeps personal data: %+v", c)
	}
	sv, err := st.Survey(ctx, "TS20220301-0001#1")
	if err != nil {
		t.Fatal(err)
	}
	if sv.Rating != 2 || !sv.Low || sv.Comment != "" {
		t.Errorf("survey after erasure: %+v", sv)
	}
	// Erasing again changes nothing more.
	again, err := st.EraseCustomers(ctx, []string{me.openID}, now)
	if err != nil {
		t.Fatal(err)
	}
	if again.Total() != 0 {
		t.Errorf("a second erasure changed %v", again)
	}
}
