package console_test

import (
	"regexp"
	"strings"
	"testing"
)

// A case's timeline shows what the customer said; the bot's questions and menus are folded.
func TestCaseTimelineFoldsTheBotsPrompts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	_, tl := e.login("alice").do("GET", "/cases/"+number+"/timeline", nil)
	items := regexp.MustCompile(`(?s)<li class="t-(\w+)( prompt)?">(.*?)</li>`).FindAllStringSubmatch(tl, -1)
	var folded, customer int
	for _, it := range items {
		switch {
		case it[2] != "":
			folded++
			if !strings.Contains(it[3], "<details>") {
				t.Errorf("a bot prompt is not folded: %s", it[3])
			}
		case it[1] == "in":
			customer++
			if strings.Contains(it[3], "<details>") {
				t.Errorf("a customer line is folded: %s", it[3])
			}
		case it[1] == "out" && strings.Contains(it[3], "智能助手"):
			t.Errorf("a bot line is shown unfolded: %s", it[3])
		}
	}
	if folded < 5 || customer < 7 {
		t.Errorf("timeline: %d folded bot prompts, %d customer lines; want the whole intake (≥5, ≥7):\n%s", folded, customer, tl)
	}
	if !strings.Contains(tl, "柜员态度很差") {
		t.Errorf("the customer's story is not on the timeline")
	}
}
