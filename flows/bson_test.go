package flows

import (
	"reflect"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/complaintbot/complaintbot"
)

// The caller stores the ConversationState as BSON between turns: a stored-and-loaded state must
// carry the conversation on exactly as the in-memory one.
func TestStateSurvivesBSON(t *testing.T) {
	c := newChat(t)
	roundTrip := func() {
		t.Helper()
		load := func(st complaintbot.ConversationState) complaintbot.ConversationState {
			raw, err := bson.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back complaintbot.ConversationState
			if err := bson.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			return back
		}
		once := load(c.st)
		// Loaded times are UTC and empty maps come back nil; past that, nothing may change.
		if twice := load(once); !reflect.DeepEqual(once, twice) {
			t.Fatalf("state changes through BSON:\n%+v\n%+v", once, twice)
		}
		if !once.LastActive.Equal(c.st.LastActive) || !once.DraftAt.Equal(c.st.DraftAt) ||
			once.Step != c.st.Step || !reflect.DeepEqual(once.Choices, c.st.Choices) ||
			len(once.Draft.Fields) != len(c.st.Draft.Fields) || len(once.Draft.Evidence) != len(c.st.Draft.Evidence) {
			t.Fatalf("state lost through BSON:\n%+v\n%+v", c.st, once)
		}
		c.st = once
	}
	c.say("投诉")
	c.say("1")
	roundTrip() // empty Fields
	c.say("人民", "1 人民路支行")
	roundTrip() // Choices pending
	c.say("1", "什么时候")
	c.say("昨晚", "经过")
	c.send(complaintbot.Input{Type: complaintbot.InputImage, MediaID: "m1"})
	roundTrip()
	c.say("柜员一直在看手机，让我等了很久。", "如何处理")
	roundTrip()
	c.say("道歉")
	roundTrip()
	c.say("13812345678", "3. 网点：人民路支行", "4. 时间：2026年11月27日晚上", "另附图片1张")
	roundTrip()
	c.say("确认")
	ef := c.effect()
	if _, err := bson.Marshal(ef); err != nil {
		t.Fatal(err)
	}
	// A fresh customer is the zero ConversationState, which stores and loads as well.
	var zero complaintbot.ConversationState
	raw, err := bson.Marshal(zero)
	if err != nil {
		t.Fatal(err)
	}
	if err := bson.Unmarshal(raw, &zero); err != nil {
		t.Fatal(err)
	}
}
