package app_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/flows/corpustest"
	"github.com/complaintbot/complaintbot/textnorm"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// blindSets are the blind sets written without sight of the project (flows/testdata/corpus), the
// sets since the 31st: replayed through the webhook as the independent check replays its customers.
var blindSets = []string{"47_blind31", "48_blind32", "49_blind33", "50_blind34", "51_blind35", "52_blind36", "53_blind37", "54_blind38", "55_blind39", "56_blind40", "57_blind41", "58_blind42", "59_blind43", "60_blind44", "61_blind45", "62_blind46", "63_blind47", "65_blind49"}

// blindConv is one customer of a blind set: their lines and what their stored case must hold.
type blindConv struct {
	title string
	at    time.Time // the clock the conversation starts at ("@ 2026-11-30 09:30"); zero: the sets' own
	lines []string
	want  map[string]string
}

// readBlindSet reads a blind set's conversations that only send text and voice (a picture needs
// the fake WeChat's media; the engine's corpus test covers those).
func readBlindSet(t *testing.T, name string) []blindConv {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "flows", "testdata", "corpus", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []blindConv
	var cur *blindConv
	plain := true
	flush := func() {
		if cur != nil && plain && len(cur.lines) > 0 {
			out = append(out, *cur)
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "=== "):
			flush()
			cur, plain = &blindConv{title: strings.TrimPrefix(line, "=== "), want: map[string]string{}}, true
		case cur == nil || line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "> "):
			text := strings.TrimPrefix(line, "> ")
			plain = plain && !strings.HasPrefix(text, "[image]") && !strings.HasPrefix(text, "[menu]") && !strings.HasPrefix(text, "[location]")
			cur.lines = append(cur.lines, text)
		case strings.HasPrefix(line, "@ ") && len(cur.lines) == 0:
			at, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimPrefix(line, "@ "), complaintbot.Shanghai)
			if err != nil {
				plain = false // "@ +2h", "@ off-duty": the engine's own test
				continue
			}
			cur.at = at
		case strings.HasPrefix(line, "= "):
			field, value, _ := strings.Cut(strings.TrimPrefix(line, "= "), " ")
			cur.want[field] = value
		default:
			plain = false // "<", "!", "@": a transcript for the engine's own test
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// storedWhen writes a case's time as the blind sets do ("2026-11-27 下午", "week 2026-11-16", …).
func storedWhen(c *complaintbot.Case) string {
	return corpustest.When(c.Occurred, c.OccurredPrecision, c.Fields[flows.FieldOccurredPeriod])
}

// mismatches compares a stored case with what the customer meant, field by field.
func mismatches(c *complaintbot.Case, want map[string]string, unstated string) []string {
	var bad []string
	check := func(field, got string) {
		w, ok := want[field]
		if !ok {
			return
		}
		if frags, fuzzy := strings.CutPrefix(w, "~"); fuzzy {
			for _, f := range strings.Split(frags, "|") {
				if !strings.Contains(got, f) && !strings.Contains(textnorm.Simplified(got), f) { // written in traditional characters
					bad = append(bad, fmt.Sprintf("%s %q lacks %q", field, got, f))
				}
			}
			return
		}
		if w == "-" {
			w = ""
			if field == complaintbot.FieldRequest && got == unstated {
				return // "随便": a request stated as none
			}
		}
		if got != w {
			bad = append(bad, fmt.Sprintf("%s is %q, want %q", field, got, w))
		}
	}
	check("kind", string(c.Kind))
	category := ""
	if c.Category != nil {
		category = c.Category.Code
	}
	check("category", category)
	if want["branch"] == "-" {
		// No branch named (a suggestion about none, a branch not remembered): the case is head
		// office's, as one that concerns none (cases.Registry.NewCase).
		want["branch"] = complaintbot.NoBranchCode
	}
	check("branch", c.Branch.Code)
	if w, ok := want["when"]; ok && storedWhen(c) != w {
		bad = append(bad, fmt.Sprintf("when is %q, want %q", storedWhen(c), w))
	}
	check("urgent", c.Urgent)
	for _, f := range []string{complaintbot.FieldDescription, complaintbot.FieldRequest, complaintbot.FieldPerson, complaintbot.FieldPhone} {
		check(f, c.Fields[f])
	}
	return bad
}

// The latest blind sets, replayed customer by customer through the signed webhook on the embedded
// database, as the independent check does: every customer is told a case number, and every stored
// case holds what the customer meant — what the engine's corpus test finds, through the whole
// service (the wire, voice messages, storage, the case registry).
func TestBlindSetsThroughTheWebhook(t *testing.T) {
	h := apptest.New(t, nil)
	ctx := context.Background()
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, complaintbot.Shanghai) // the sets' clock
	total, right := 0, 0
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	unstated := engine.RequestUnstated()
	for _, set := range blindSets {
		for i, conv := range readBlindSet(t, set) {
			total++
			who := fmt.Sprintf("oBlind%s%03d", strings.SplitN(set, "_", 2)[0], i)
			h.Clock.Set(start)
			if !conv.at.IsZero() {
				h.Clock.Set(conv.at)
			}
			var last string
			for _, line := range conv.lines {
				if text, voice := strings.CutPrefix(line, "[voice] "); voice {
					r, err := h.Sim.Send(wechatsim.Message{From: who, Type: message.MsgTypeVoice, MediaID: "voice-" + who, Recognition: text})
					if err != nil || r.Status != 200 {
						t.Fatalf("%s/%s: send voice: %v %+v", set, conv.title, err, r)
					}
					h.App.Webhook.Wait()
					last = r.Text
				} else {
					last = h.Say(who, line)
				}
				h.Clock.Advance(20 * time.Second)
			}
			cs := cases(t, h, who)
			if len(cs) != 1 {
				t.Errorf("%s/%s: %d cases registered; the last answer: %s", set, conv.title, len(cs), last)
				continue
			}
			if !strings.Contains(last, cs[0].Number) {
				t.Errorf("%s/%s: the customer was not told the case number %s: %s", set, conv.title, cs[0].Number, last)
			}
			c, err := h.App.Store.Case(ctx, cs[0].Number)
			if err != nil {
				t.Fatal(err)
			}
			if bad := mismatches(c, conv.want, unstated); len(bad) > 0 {
				t.Errorf("%s/%s: %s", set, conv.title, strings.Join(bad, "; "))
				continue
			}
			right++
		}
	}
	t.Logf("blind sets through the webhook: %d of %d customers registered with every field as they meant", right, total)
	if total < 100 {
		t.Fatalf("only %d conversations read", total)
	}
}
