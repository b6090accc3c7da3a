package console_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/users"
)

// stream opens the user's live stream and returns its events' names, in order, on a channel.
func (c *client) stream(path string) <-chan string {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	hc := &http.Client{} // no timeout: the stream lives on; the test's cleanup cancels it
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil || resp.StatusCode != http.StatusOK {
		c.t.Fatalf("stream %s: %v %v", path, resp, err)
	}
	out := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				out <- name
			}
		}
	}()
	return out
}

// risksUntil counts the "risk" events on the stream up to the first "marker" one.
func risksUntil(t *testing.T, ch <-chan string, marker string) int {
	t.Helper()
	n := 0
	for name := range ch {
		switch name {
		case "risk":
			n++
		case marker:
			return n
		}
	}
	t.Fatal("the stream ended")
	return n
}

// A raised risk flag is a live alert for the supervisors covering the case's branch (head office
// included) and for the case's assignee, not for the branch's other agents nor for another
// branch's supervisor.
func TestRiskAlertReachesTheBranchSupervisor(t *testing.T) {
	e := newEnv(t, nil)
	addUser(t, e.Harness, users.NewUser{Name: "dan", DisplayName: "城西主管", Role: storage.RoleSupervisor, Branches: []string{"0201"}, Password: password})
	east := e.registerCase(custA, "城东支行", "柜员态度很差")
	ctx := context.Background()
	streams := map[string]<-chan string{}
	for _, name := range []string{"alice", "bob", "sue", "dan", "root"} {
		streams[name] = e.token(name).stream("/events")
	}
	sup := complaintbot.Actor{User: &complaintbot.User{Name: "sue", Role: complaintbot.RoleSupervisor, Branches: []string{"0101"}}}
	if err := e.App.Cases.Assign(ctx, sup, east, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Cases.RaiseRisk(ctx, sup, east, "客户称要找媒体"); err != nil {
		t.Fatal(err)
	}
	// Then a flag on a case of another branch, after the first.
	west := e.registerCase(custB, "城西支行", "柜员态度很差")
	e.App.Bus.Publish(events.Event{Kind: events.Risk, Ref: west})
	// A handoff change makes every stream refresh its inbox ("inbox"), after the events before it.
	e.App.Bus.Publish(events.Event{Kind: events.Handoff})
	want := map[string]int{"alice": 1, "bob": 0, "sue": 1, "dan": 1, "root": 2}
	for name, ch := range streams {
		if got := risksUntil(t, ch, "inbox"); got != want[name] {
			t.Errorf("%s: %d risk alerts, want %d", name, got, want[name])
		}
	}
}
