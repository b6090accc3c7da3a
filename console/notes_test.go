package console_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// An agent's internal note on a conversation is shown to the console's users who may see the
// conversation, on the case's timeline too, and never reaches the customer.
func TestConversationNotesStayInside(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	sent := len(e.App.Sandbox.SentTo(custA))
	bob := e.login("bob") // an agent of the branch, not holding the conversation
	if st, body := bob.do("POST", "/conversations/"+custA+"/note", url.Values{"text": {"客户情绪激动，回访时注意语气"}, "client_id": {"note-abc-123"}}); st != 303 {
		t.Fatalf("note: %d %s", st, body)
	}
	// A double submission records one note.
	bob.do("POST", "/conversations/"+custA+"/note", url.Values{"text": {"客户情绪激动，回访时注意语气"}, "client_id": {"note-abc-123"}})
	if st, body := bob.do("POST", "/conversations/"+custA+"/note", url.Values{"text": {"  "}}); st != 303 {
		t.Fatalf("empty note: %d %s", st, body)
	}
	_, page := e.login("alice").do("GET", "/conversations/"+custA+"/messages", nil)
	if n := strings.Count(page, "客户情绪激动"); n != 1 || !strings.Contains(page, "内部备注 · 李强") {
		t.Errorf("alice sees the note %d times (want once, by 李强):\n%s", n, page)
	}
	var tl struct {
		Timeline []struct{ Kind, Who, Title, Text string }
	}
	e.token("alice").getJSON("/api/v1/cases/"+number, &tl)
	found := false
	for _, it := range tl.Timeline {
		if it.Text == "客户情绪激动，回访时注意语气" {
			found = it.Who == "李强" && it.Title == "会话备注"
		}
	}
	if !found {
		t.Errorf("the case timeline does not show the note as 李强's 会话备注: %+v", tl.Timeline)
	}
	if st, _ := e.login("carol").do("POST", "/conversations/"+custA+"/note", url.Values{"text": {"别的网点"}}); st != 404 {
		t.Errorf("carol (0201) notes on a 0101 conversation: %d, want 404", st)
	}
	_, page = e.login("alice").do("GET", "/conversations/"+custA+"/messages", nil)
	if strings.Contains(page, "别的网点") {
		t.Errorf("an agent of another branch wrote on the conversation")
	}
	if got := e.App.Sandbox.SentTo(custA); len(got) != sent {
		t.Errorf("the customer was sent %d more messages: %+v", len(got)-sent, got[sent:])
	}
}

// 我的会话 shows each held conversation's newest message and how many customer messages wait for
// an answer; every page shows how many customers wait in the queue.
func TestInboxShowsLastMessageUnansweredAndTheQueueSign(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	e.askForPerson(custB, "城东支行")
	alice := e.login("alice")
	if _, sign := alice.do("GET", "/inbox/sign", nil); !strings.Contains(sign, "排队 2 人") {
		t.Errorf("queue sign with two waiting: %q", sign)
	}
	if _, sign := e.login("carol").do("GET", "/inbox/sign", nil); strings.Contains(sign, "排队") {
		t.Errorf("carol (0201) is told of 0101's queue: %q", sign)
	}
	if st, body := e.token("alice").doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	e.Deliver()                  // the customer is told who serves them
	e.Clock.Advance(time.Minute) // and writes after that
	e.say(custA, "你们的柜员到底怎么回事")
	e.Clock.Advance(time.Second)
	e.say(custA, "我等了一个小时")
	_, list := alice.do("GET", "/inbox/list", nil)
	mine := regexp.MustCompile(`(?s)<table class="list" id="mine">.*?</table>`).FindString(list)
	if !strings.Contains(mine, "我等了一个小时") || !regexp.MustCompile(`class="unanswered"><span class="badge waiting">2</span>`).MatchString(mine) {
		t.Errorf("我的会话 lacks the newest message or 2 unanswered:\n%s", mine)
	}
	if _, page := alice.do("GET", "/cases", nil); !strings.Contains(page, `id="queue-sign"`) {
		t.Errorf("the case list has no queue sign")
	}
	if _, sign := alice.do("GET", "/inbox/sign", nil); !strings.Contains(sign, "排队 1 人") {
		t.Errorf("queue sign with one waiting: %q", sign)
	}
}

// Beside the conversation the agent sees who the customer is: the phone numbers they gave in the
// cases the agent may see, and who served them.
func TestCustomerPanelBesideTheConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.registerCase(custA, "城东支行", "柜员态度很差")
	e.say(custA, "人工")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "您好，我来帮您处理"}); st != 200 {
		t.Fatalf("reply: %d %s", st, body)
	}
	_, page := e.login("bob").do("GET", "/conversations/"+custA, nil)
	panel := regexp.MustCompile(`(?s)<div id="customer-panel">.*?</div>`).FindString(page)
	if !strings.Contains(panel, "13812345678") || !strings.Contains(panel, "王丽") {
		t.Errorf("the customer panel lacks the phone or the agent who served them:\n%s", panel)
	}
}
