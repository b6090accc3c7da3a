package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A supervisor writes a quick reply for their branch in the console; the branch's agent is offered
// it in the reply box, filled with the customer's case number and the agent's name; another branch
// is not; agents cannot write them.
func TestQuickRepliesByBranchFilledForTheConversation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.say(custA, "人工")

	sue := e.login("sue")
	if st, body := sue.do("POST", "/quick-replies", url.Values{"branch": {"0101"}, "title": {"跟进说明"}, "text": {"您的案件{案件编号}由{坐席}跟进，请留意通知。"}}); st != 303 {
		t.Fatalf("supervisor adds a quick reply: %d %s", st, body)
	}
	if st, body := sue.do("POST", "/quick-replies", url.Values{"branch": {"0201"}, "text": {"别的网点"}}); st != 303 {
		t.Fatalf("refused form: %d %s", st, body)
	} else if _, page := sue.do("GET", "/quick-replies", nil); strings.Contains(page, "别的网点") {
		t.Errorf("sue wrote a reply for 0201")
	}
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/quick-replies", map[string]string{"branch": "0101", "text": "坐席自己写"}); st != 403 || !strings.Contains(body, "主管") {
		t.Errorf("an agent writes a quick reply: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	_, page := e.login("alice").do("GET", "/conversations/"+custA, nil)
	if !strings.Contains(page, "您的案件"+number+"由王丽跟进，请留意通知。") {
		t.Errorf("the conversation page does not offer the filled reply:\n%s", page)
	}
	if !strings.Contains(page, "请您提供一下联系电话") {
		t.Errorf("the configured defaults are not offered")
	}
	var carolSees struct {
		QuickReplies []struct{ Branch, Text string } `json:"quick_replies"`
	}
	if st := e.token("carol").getJSON("/api/v1/quick-replies", &carolSees); st != 200 || len(carolSees.QuickReplies) == 0 {
		t.Fatalf("carol's quick replies: %d %+v", st, carolSees)
	}
	for _, q := range carolSees.QuickReplies {
		if q.Branch == "0101" {
			t.Errorf("carol (0201) is offered 0101's reply %q", q.Text)
		}
	}
}

// In the reply box "/" and a word shows only the quick replies holding it, and Enter takes it.
func TestBrowserQuickReplySearchInTheReplyBox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.askForPerson(custA, "城东支行")
	if st, body := e.token("alice").doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	ctx := browser(t)
	e.browserLogin(t, ctx, "alice")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/conversations/"+custA), chromedp.WaitVisible(chromedp.ID("reply-text")),
		chromedp.SendKeys(chromedp.ID("reply-text"), "/电话")); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".canned-reply")].filter(b => !b.hidden).map(b => b.dataset.text)`))
	if err != nil || len(shown) != 1 || !strings.Contains(shown[0], "联系电话") {
		t.Fatalf("after /电话 the reply box offers %q (%v)", shown, err)
	}
	// Enter, as the browser delivers it to the page (chromedp's typed Enter also inserts a line
	// break the page has refused).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("reply-text").dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}))`)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("reply-text").value`))
	if err != nil || text != shown[0] {
		t.Errorf("Enter put %q in the reply box, want %q (%v)", text, shown[0], err)
	}
}
