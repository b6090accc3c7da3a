package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// A survey sent by hand from the case page reaches the customer once however often the button is
// pressed; an unresolved case cannot be surveyed; the customer's rating lands on the survey.
func TestSurveyByHandFromTheCasePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	number := e.registerCase(custA, "城东支行", "柜员态度很差，让我在窗口等了一个小时也没人理")
	alice := e.token("alice")
	act := func(action string, body map[string]string) (int, string) {
		t.Helper()
		return alice.doJSON("POST", "/api/v1/cases/"+number+"/"+action, body)
	}
	if st, body := act("survey", nil); st != http.StatusBadRequest || !strings.Contains(body, "办结后") {
		t.Fatalf("survey of an open case: %d %s", st, body)
	}
	if st, body := act("accept", nil); st != 200 {
		t.Fatalf("accept: %d %s", st, body)
	}
	codeCase(t, alice, number)
	if st, body := act("resolve", map[string]string{"text": "已核实并批评教育", "reply": "经核实，柜员确有不当，我行已批评教育并向您致歉。"}); st != 200 {
		t.Fatalf("resolve: %d %s", st, body)
	}
	if st, body := act("survey", nil); st != 200 {
		t.Fatalf("survey: %d %s", st, body)
	}
	if st, body := act("survey", nil); st != 200 { // a repeated click sends nothing more
		t.Fatalf("second click: %d %s", st, body)
	}
	e.Deliver()
	asked := 0
	for _, s := range sentTexts(e, custA) {
		if strings.Contains(s, "非常满意") {
			asked++
		}
	}
	if asked != 1 {
		t.Fatalf("survey questions sent: %d (%q)", asked, sentTexts(e, custA))
	}
	e.Clock.Advance(time.Minute)
	e.say(custA, "5")
	surveys, err := storagetest.SurveysOfCase(ctx, e.App.Store, number, 10)
	if err != nil || len(surveys) != 1 || surveys[0].Rating != 5 || surveys[0].Status != complaintbot.SurveyAnswered || !surveys[0].Manual {
		t.Fatalf("surveys: %+v %v", surveys, err)
	}
}
