package console_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// A customer who complained about 城东支行 (0101) and later about 城西支行 (0201): each branch sees
// its own session of the chat and nothing of the other's — no case number, no phone number, no
// agent's reply — by the conversation page, its messages, the API and the case timelines; head
// office sees both.
func TestEachBranchSeesOnlyItsOwnSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first := e.registerCase(custA, "城东支行", "柜员态度很差") // phone 13812345678
	// A handoff about the first case: 王丽 answers and ends it.
	e.Clock.Advance(time.Hour)
	e.say(custA, "人工")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "我们正在核实柜台的情况"}); st != 200 {
		t.Fatalf("reply: %d %s", st, body)
	}
	e.Deliver()
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/end", nil); st != 200 {
		t.Fatalf("end: %d %s", st, body)
	}
	// Hours later, a complaint about another branch.
	e.Clock.Advance(6 * time.Hour)
	for _, line := range []string{"我要投诉", "1", "城西支行", "今天上午10点", "城西支行的保安也很凶，对我大吼大叫", "希望支行道歉", "13900001111"} {
		e.say(custA, line)
	}
	second := regexp.MustCompile(`TS\d{8}-\d{4}`).FindString(e.say(custA, "确认"))
	if second == "" || second == first {
		t.Fatalf("no second case (%q)", second)
	}
	e.Deliver()

	firstOnly := []string{first, "13812345678", "柜员态度很差", "我们正在核实柜台的情况"}
	secondOnly := []string{second, "13900001111", "保安也很凶"}
	check := func(who, what, body string, present, absent []string) {
		t.Helper()
		for _, s := range present {
			if !strings.Contains(body, s) {
				t.Errorf("%s: %s lacks %q", who, what, s)
			}
		}
		for _, s := range absent {
			if strings.Contains(body, s) {
				t.Errorf("%s: %s shows %q of the other branch", who, what, s)
			}
		}
	}
	carol, carolWeb := e.token("carol"), e.login("carol")
	for what, get := range map[string]func() (int, string){
		"conversation API":  func() (int, string) { return carol.do("GET", "/api/v1/conversations/"+custA, nil) },
		"conversation page": func() (int, string) { return carolWeb.do("GET", "/conversations/"+custA, nil) },
		"messages":          func() (int, string) { return carolWeb.do("GET", "/conversations/"+custA+"/messages", nil) },
		"case API":          func() (int, string) { return carol.do("GET", "/api/v1/cases/"+second, nil) },
		"case timeline":     func() (int, string) { return carolWeb.do("GET", "/cases/"+second+"/timeline", nil) },
	} {
		st, body := get()
		if st != 200 {
			t.Errorf("carol (0201): %s: %d", what, st)
			continue
		}
		check("carol (0201)", what, body, []string{"保安也很凶"}, firstOnly)
	}
	alice, aliceWeb := e.token("alice"), e.login("alice") // her morning session has ended
	for what, get := range map[string]func() (int, string){
		"conversation API":  func() (int, string) { return alice.do("GET", "/api/v1/conversations/"+custA, nil) },
		"conversation page": func() (int, string) { return aliceWeb.do("GET", "/conversations/"+custA, nil) },
		"case API":          func() (int, string) { return alice.do("GET", "/api/v1/cases/"+first, nil) },
		"case timeline":     func() (int, string) { return aliceWeb.do("GET", "/cases/"+first+"/timeline", nil) },
	} {
		st, body := get()
		if st != 200 {
			t.Errorf("alice (0101): %s: %d — she keeps her own customer's conversation", what, st)
			continue
		}
		check("alice (0101)", what, body, []string{"柜员态度很差"}, secondOnly)
	}
	if st, body := alice.do("GET", "/api/v1/cases/"+second, nil); st != 404 {
		t.Errorf("alice reads 0201's case: %d %.80s", st, body)
	}
	// The case's own timeline holds its own session only, also for head office.
	_, tl := e.login("root").do("GET", "/cases/"+first+"/timeline", nil)
	check("root", "the first case's timeline", tl, []string{"柜员态度很差"}, []string{"保安也很凶"})
	_, all := e.token("root").do("GET", "/api/v1/conversations/"+custA, nil)
	check("root", "the conversation", all, append(firstOnly, secondOnly...), nil)
}

// An agent's reply in a later session stays with that session when a notice about an earlier
// case of another branch reached the customer just before it: 城西支行's agent keeps her own reply,
// and 城东支行 does not get it with its case's notice.
func TestAReplyAfterAnotherBranchsNoticeStaysWithItsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.Clock.Advance(6 * time.Hour)
	for _, line := range []string{"我要投诉", "1", "城西支行", "今天上午10点", "城西支行的保安也很凶，对我大吼大叫", "希望支行道歉", "13900001111"} {
		e.say(custA, line)
	}
	if second := regexp.MustCompile(`TS\d{8}-\d{4}`).FindString(e.say(custA, "确认")); second == "" || second == first {
		t.Fatalf("no second case (%q)", second)
	}
	e.Deliver()
	e.Clock.Advance(time.Minute)
	e.say(custA, "人工")
	carol, alice := e.token("carol"), e.token("alice")
	if st, body := carol.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("carol claims: %d %s", st, body)
	}
	// 城东支行 accepts its case meanwhile: its notice goes out first.
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+first+"/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	e.Deliver()
	e.Clock.Advance(time.Minute)
	if st, body := carol.doJSON("POST", "/api/v1/conversations/"+custA+"/reply", map[string]string{"text": "请告诉我保安的工号"}); st != 200 {
		t.Fatalf("reply: %d %s", st, body)
	}
	e.Deliver()
	if _, body := carol.do("GET", "/api/v1/conversations/"+custA, nil); !strings.Contains(body, "请告诉我保安的工号") {
		t.Errorf("carol (0201) does not see her own reply after 0101's notice: %.300s", body)
	}
	if _, body := alice.do("GET", "/api/v1/conversations/"+custA, nil); strings.Contains(body, "请告诉我保安的工号") {
		t.Errorf("alice (0101) sees 0201's reply because it followed 0101's notice")
	}
}
