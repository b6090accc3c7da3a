package console_test

import (
	"strings"
	"testing"
)

// A customer's hidden direction override shows as a visible mark on the case page, in the API and
// in the export, so that 订单号\u202E1234567 is not read by an agent as 订单号7654321.
func TestHiddenDirectionOverridesAreShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "订单号\u202E1234567\u202C被重复扣款，柜员\u200B态度很差")
	alice := e.login("alice")
	api := e.token("alice")
	for name, get := range map[string]func() (int, string){
		"case page":    func() (int, string) { return alice.do("GET", "/cases/"+number, nil) },
		"case API":     func() (int, string) { return api.do("GET", "/api/v1/cases/"+number, nil) },
		"conversation": func() (int, string) { return alice.do("GET", "/conversations/"+custA, nil) },
		"export":       func() (int, string) { return alice.do("GET", "/export/cases.csv?q="+number, nil) },
	} {
		status, body := get()
		if status != 200 {
			t.Errorf("%s: %d", name, status)
			continue
		}
		if strings.ContainsAny(body, "\u202E\u202C\u200B") {
			t.Errorf("%s holds the hidden controls themselves", name)
		}
		if !strings.Contains(body, "订单号[U+202E]1234567[U+202C]") {
			t.Errorf("%s does not show the override as a mark:\n%s", name, body)
		}
		if !strings.Contains(body, "柜员态度很差") {
			t.Errorf("%s lost the text around a zero-width space", name)
		}
	}
}
