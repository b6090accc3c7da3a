package console_test

import (
	"regexp"
	"strings"
	"testing"
)

// People are named by their display names wherever the console shows them, and the audit trail
// names its actions and their objects in Chinese rather than by their codes.
func TestDisplayNamesAndChineseAuditTrail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	e.say(custA, "人工")
	alice := e.token("alice")
	if st, body := alice.doJSON("POST", "/api/v1/cases/"+number+"/accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	if st, body := alice.doJSON("POST", "/api/v1/conversations/"+custA+"/claim", nil); st != 200 {
		t.Fatalf("claim: %d %s", st, body)
	}
	_, list := e.login("sue").do("GET", "/cases", nil)
	row := regexp.MustCompile(`(?s)<tr class="[^"]*">\s*<td><a href="/cases/` + number + `">.*?</tr>`).FindString(list)
	if !strings.Contains(row, `data-label="承办人">王丽<`) {
		t.Errorf("the case list names the assignee otherwise than 王丽:\n%s", row)
	}
	_, audit := e.login("sue").do("GET", "/audit", nil)
	for _, want := range []string{">王丽<", "接入会话", "受理案件", "会话 ", "案件 " + number} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit trail lacks %q", want)
		}
	}
	if regexp.MustCompile(`<td>alice</td>|>conversation\.claim<|<td>conversation `).MatchString(audit) {
		t.Errorf("the audit trail shows codes or user names:\n%s", audit)
	}
}
