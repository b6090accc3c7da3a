package console_test

import (
	"testing"
)

// A conversation outside the agent's branches answers exactly as one that does not exist, by the
// page and by the API: the agent cannot tell that the customer wrote.
func TestOutOfScopeConversationAnswersAsAMissingOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.registerCase(custA, "城东支行", "柜员态度很差") // 0101's customer
	carol := e.login("carol")               // 0201
	api := e.token("carol")
	for _, path := range []string{"/conversations/", "/api/v1/conversations/"} {
		c := carol
		if path[1] == 'a' {
			c = api
		}
		outStatus, outBody := c.do("GET", path+custA, nil)
		missStatus, missBody := c.do("GET", path+"oNobodyEverWrote01", nil)
		if outStatus != 404 || missStatus != 404 || outBody != missBody {
			t.Errorf("%s: out of scope %d %q; missing %d %q — want the same 404", path, outStatus, outBody, missStatus, missBody)
		}
	}
	if st, _ := e.login("alice").do("GET", "/conversations/"+custA, nil); st != 200 {
		t.Errorf("alice (0101) reads her branch's conversation: %d", st)
	}
}
