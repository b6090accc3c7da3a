package console

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot/events"
	"github.com/gin-gonic/gin"
)

// Stream timing: a comment keeps proxies from closing an idle stream; a stream ends after
// streamLife (the browser reconnects) so that no request lives forever; inbox refreshes are
// coalesced to one per inboxEvery.
const (
	heartbeat  = 20 * time.Second
	streamLife = 10 * time.Minute
	inboxEvery = time.Second
)

// activeSet remembers the customers in the queue or with an agent (as of the last inbox read),
// so that a stream refreshes the inbox for their messages and not for everyone's.
type activeSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (s *activeSet) set(ids map[string]bool) {
	s.mu.Lock()
	s.ids = ids
	s.mu.Unlock()
}

func (s *activeSet) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// events streams Server-Sent Events to a console page: "inbox" when the queue may have changed,
// "queued" when a customer of the user's branches joined it, "conv" when the watched
// conversation (?openid=) changed, "case" when the watched case (?case=) changed. The events
// carry no data: the page re-reads what it shows through the normal, access-checked requests.
func (c *Console) events(g *gin.Context) {
	who := actorOf(g)
	ctx := g.Request.Context()
	watchConv, watchCase := g.Query("openid"), g.Query("case")
	if watchConv != "" {
		if _, _, err := c.readConversation(ctx, who.user, watchConv); err != nil {
			status, msg := c.userError(err)
			g.String(status, msg)
			return
		}
	}
	if watchCase != "" {
		rec, err := c.caseFor(ctx, who.user, watchCase)
		if err != nil {
			status, msg := c.userError(err)
			g.String(status, msg)
			return
		}
		watchCase = rec.Number
	}
	ch, stop := c.bus.Subscribe()
	defer stop()
	h := g.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	g.Status(http.StatusOK)
	w := g.Writer
	send := func(name string) bool {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, name); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return
	}
	w.Flush()

	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	tick := time.NewTicker(inboxEvery)
	defer tick.Stop()
	end := time.NewTimer(streamLife)
	defer end.Stop()
	dirty := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.life.Done():
			return
		case <-end.C:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			w.Flush()
		case <-tick.C:
			if dirty {
				dirty = false
				if !send("inbox") {
					return
				}
			}
		case e, ok := <-ch:
			if !ok {
				return
			}
			switch e.Kind {
			case events.Queued:
				dirty = true
				if c.inScope(ctx, who, e.OpenID) && !send("queued") {
					return
				}
			case events.Handoff:
				dirty = true
			case events.Turn:
				if c.active.has(e.OpenID) {
					dirty = true
				}
			case events.Risk:
				// A raised risk flag is an alert for the branch's supervisors (head office: all)
				// and the case's assignee only (riskAlertFor).
				if c.riskAlertFor(ctx, who.user, e.Ref) && !send("risk") {
					return
				}
			}
			if watchConv != "" && e.OpenID == watchConv && e.Kind != events.Case && !send("conv") {
				return
			}
			if watchCase != "" && e.Kind == events.Case && e.Ref == watchCase && !send("case") {
				return
			}
		}
	}
}

// inScope reports whether the customer's conversation is within the user's branches.
func (c *Console) inScope(ctx context.Context, who *actor, openID string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := c.conversation(ctx, who.user, openID)
	return err == nil
}
