package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// searchAnswer is GET /api/v1/search as a test reads it.
type searchAnswer struct {
	Query   string `json:"query"`
	Results []struct {
		OpenID  string   `json:"openid"`
		Session int      `json:"session"`
		Cases   []string `json:"cases"`
		Branch  string   `json:"branch"`
		Dir     string   `json:"dir"`
		Before  string   `json:"before"`
		Match   string   `json:"match"`
		After   string   `json:"after"`
		Link    string   `json:"link"`
	} `json:"results"`
	Error string `json:"error"`
}

// twoBranchCustomer walks custA through a complaint about 城东支行 (0101) with a picture, a
// handoff to 王丽 (alice, 0101) who replies and writes a note, and hours later a complaint about
// 城西支行 (0201) with another picture, where 陈静 (carol, 0201) writes a note. It returns the two
// case numbers.
func twoBranchCustomer(t *testing.T, e *env) (first, second string) {
	t.Helper()
	caseNo := regexp.MustCompile(`TS\d{8}-\d{4}`)
	for _, line := range []string{"我要投诉", "1", "城东支行"} {
		e.say(custA, line)
	}
	e.sendImage(custA, "sim-media-east-1")
	for _, line := range []string{"昨天下午3点", "柜员态度很差，让我等了一个小时", "希望支行道歉", "13812345678"} {
		e.say(custA, line)
	}
	if first = caseNo.FindString(e.say(custA, "确认")); first == "" {
		t.Fatal("no first case")
	}
	e.Clock.Advance(time.Hour)
	e.say(custA, "人工")
	alice := e.token("alice")
	for _, step := range []struct {
		path string
		body map[string]string
	}{
		{"claim", nil},
		{"reply", map[string]string{"text": "我们正在核实柜台的情况"}},
		{"note", map[string]string{"text": "客户情绪激动，已安抚"}},
	} {
		if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/"+step.path, step.body); st != 200 {
			t.Fatalf("alice %s: %d %s", step.path, st, body)
		}
	}
	e.Deliver()
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/end", nil); st != 200 {
		t.Fatalf("end: %d %s", st, body)
	}
	e.Clock.Advance(6 * time.Hour)
	for _, line := range []string{"我要投诉", "1", "城西支行"} {
		e.say(custA, line)
	}
	e.sendImage(custA, "sim-media-west-1")
	for _, line := range []string{"今天上午10点", "城西支行的保安也很凶，订单号\u202E7654321\u202C", "希望支行道歉", "13900001111"} {
		e.say(custA, line)
	}
	if second = caseNo.FindString(e.say(custA, "确认")); second == "" || second == first {
		t.Fatalf("no second case (%q)", second)
	}
	e.Deliver()
	e.runMedia()
	if st, body := e.token("carol").doJSON("POST", "/api/v1/conversations/"+custA+"/note", map[string]string{"text": "已联系城西保安队长"}); st != 200 {
		t.Fatalf("carol's note: %d %s", st, body)
	}
	return first, second
}

// search runs GET /api/v1/search?q= as c and returns the status and the answer.
func (c *client) search(q string) (int, searchAnswer) {
	c.t.Helper()
	st, body := c.do("GET", "/api/v1/search?q="+url.QueryEscape(q), nil)
	var a searchAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.t.Fatalf("search %q: %d %v in %s", q, st, err, body)
	}
	return st, a
}

// An agent searches the conversations by a word, a phone number's tail, a case number or a note,
// and finds only the sessions of their branch: carol (0201) finds nothing of the 0101 session
// (its case number, its phone number, the customer's words, alice's reply and note) and alice
// nothing of the 0201 one; head office finds both. Each result names the session, its case and
// branch, with a snippet whose invisible controls are shown.
func TestSearchFindsOnlyTheSessionsOfTheUsersBranch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first, second := twoBranchCustomer(t, e)
	alice, carol, root := e.token("alice"), e.token("carol"), e.token("root")

	found := func(who string, c *client, q string) searchAnswer {
		t.Helper()
		st, a := c.search(q)
		if st != 200 {
			t.Fatalf("%s searches %q: %d %s", who, q, st, a.Error)
		}
		return a
	}
	for _, q := range []string{"柜员", first, "5678", "13812345678", "核实", "安抚"} {
		if a := found("carol", carol, q); len(a.Results) != 0 {
			t.Errorf("carol (0201) finds %q of the 0101 session: %+v", q, a.Results)
		}
		if a := found("alice", alice, q); len(a.Results) == 0 {
			t.Errorf("alice (0101) does not find %q of her own session", q)
		}
		if a := found("root", root, q); len(a.Results) == 0 {
			t.Errorf("head office does not find %q", q)
		}
	}
	for _, q := range []string{"保安", second, "1111", "7654321", "队长"} {
		if a := found("alice", alice, q); len(a.Results) != 0 {
			t.Errorf("alice (0101) finds %q of the 0201 session: %+v", q, a.Results)
		}
		if a := found("carol", carol, q); len(a.Results) == 0 {
			t.Errorf("carol (0201) does not find %q of her own session", q)
		}
	}
	a := found("carol", carol, "保安也很凶")
	if len(a.Results) != 1 {
		t.Fatalf("carol's results for 保安也很凶: %+v", a.Results)
	}
	r := a.Results[0]
	if r.OpenID != custA || r.Dir != "in" || r.Branch != "城西支行" || len(r.Cases) != 1 || r.Cases[0] != second || r.Match != "保安也很凶" ||
		!strings.HasSuffix(r.Before, "城西支行的") || r.Link != "/conversations/"+custA {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(r.After, "[U+202E]") || strings.ContainsRune(r.After, '\u202E') {
		t.Errorf("snippet shows the direction override as it is: %q", r.After)
	}
	if a := found("alice", alice, first); a.Results[0].Branch != "城东支行" || a.Results[0].Cases[0] != first {
		t.Errorf("alice's result for her case number: %+v", a.Results[0])
	}

	for _, q := range []string{"", "保", "保 安"} {
		if st, a := alice.search(q); st != http.StatusBadRequest || a.Error == "" {
			t.Errorf("search %q: %d %q, want 400 and a message", q, st, a.Error)
		}
	}

	// The page: the search box, results with the match marked, and plain words for no result
	// and a query too short.
	web := e.login("carol")
	if st, body := web.do("GET", "/search", nil); st != 200 || !strings.Contains(body, `id="search-q"`) || strings.Contains(body, "search-message") {
		t.Errorf("search page: %d", st)
	}
	if st, body := web.do("GET", "/search?q="+url.QueryEscape("保安"), nil); st != 200 || !strings.Contains(body, "<mark>保安</mark>") || strings.Contains(body, first) {
		t.Errorf("carol's results page: %d %s", st, body)
	}
	if st, body := web.do("GET", "/search?q="+url.QueryEscape("柜员"), nil); st != 200 || !strings.Contains(body, "没有找到") || strings.Contains(body, "柜员态度") {
		t.Errorf("carol's page for the other branch's word: %d", st)
	}
	if st, body := web.do("GET", "/search?q="+url.QueryEscape("保"), nil); st != 400 || !strings.Contains(body, "至少要有两个") {
		t.Errorf("too short: %d", st)
	}
	if _, body := web.do("GET", "/inbox", nil); !strings.Contains(body, `action="/search"`) {
		t.Error("the inbox has no search box")
	}
}

// The pictures, the notes and the live stream of a conversation follow the sessions: each
// branch's agent gets its own session's picture and notes and nothing of the other's, and may
// watch the conversation only if they see part of it; adding a note stays with the branch the
// conversation is routed to.
func TestMediaNotesAndStreamFollowTheSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	twoBranchCustomer(t, e)
	alice, carol := e.login("alice"), e.login("carol")
	for _, c := range []struct {
		who  *client
		name string
		mine string
		not  string
	}{{alice, "alice", "sim-media-east-1", "sim-media-west-1"}, {carol, "carol", "sim-media-west-1", "sim-media-east-1"}} {
		if st, _, _ := c.who.getRaw("/media/" + c.mine + "?conv=" + custA); st != 200 {
			t.Errorf("%s: own session's picture: %d", c.name, st)
		}
		if st, _, data := c.who.getRaw("/media/" + c.not + "?conv=" + custA); st != 404 || strings.Contains(string(data), "PNG") {
			t.Errorf("%s: the other session's picture: %d, want 404", c.name, st)
		}
		if st, _ := c.who.do("GET", "/media/"+c.not+"/tile?conv="+custA, nil); st != 404 {
			t.Errorf("%s: the other session's tile: %d, want 404", c.name, st)
		}
	}
	for _, c := range []struct {
		who       *client
		name      string
		mine, not string
	}{{e.token("alice"), "alice", "客户情绪激动，已安抚", "已联系城西保安队长"}, {e.token("carol"), "carol", "已联系城西保安队长", "客户情绪激动，已安抚"}} {
		st, body := c.who.do("GET", "/api/v1/conversations/"+custA, nil)
		if st != 200 || !strings.Contains(body, c.mine) || strings.Contains(body, c.not) {
			t.Errorf("%s: notes in the conversation: %d, want %q and not %q", c.name, st, c.mine, c.not)
		}
	}
	// The conversation is routed to 0201 now: alice reads her session but does not act on it.
	if st, body := e.token("alice").doJSON("POST", "/api/v1/conversations/"+custA+"/note", map[string]string{"text": "补充"}); st != 404 {
		t.Errorf("alice adds a note to a conversation routed to 0201: %d %s", st, body)
	}

	// The stream: carol may not watch a conversation she sees nothing of (custB's, at 0101);
	// alice may watch custA's, of which she sees her session.
	e.askForPerson(custB, "城东支行")
	if st, _ := carol.do("GET", "/events?openid="+custB, nil); st != 404 {
		t.Errorf("carol watches a 0101 conversation: %d, want 404", st)
	}
	if st := alice.streamStatus("/events?openid=" + custA); st != 200 {
		t.Errorf("alice watches the conversation of her session: %d", st)
	}
	if st := carol.streamStatus("/events?openid=" + custA); st != 200 {
		t.Errorf("carol watches the conversation of her session: %d", st)
	}
}

// streamStatus opens the event stream at path and returns its status, without waiting for it to end.
func (c *client) streamStatus(path string) int {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}
