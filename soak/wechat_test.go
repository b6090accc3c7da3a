package soak

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// WeChat's delivery rules for a callback (design §4): an answer must come within 5 s, else (or on
// a broken connection) the same message is sent again, 3 tries in all, each try 5 s after the
// previous one started.
const (
	wechatWait  = 5 * time.Second
	wechatTries = 3
)

// busyText starts the answer the webhook gives when it could not handle a message (nothing was
// stored; the customer is asked to send it again).
const busyText = "抱歉，系统暂时繁忙"

// outcome is how WeChat ended one message.
type outcome int

const (
	givenUp outcome = iota // no try got an answer
	replied                // a passive text reply
	success                // "success": the answer comes through the customer-service API
	busy                   // the webhook's "系统暂时繁忙" reply: nothing stored, send again
	garbled                // an HTTP 200 that is neither: WeChat shows "该公众号暂时无法提供服务"
)

func (o outcome) String() string {
	return [...]string{"given up", "replied", "success", "busy", "garbled"}[o]
}

// acknowledged reports whether WeChat took the answer as the service's acceptance of the message.
func (o outcome) acknowledged() bool { return o == replied || o == success }

// try is one HTTP request of a message.
type try struct {
	start, end  time.Duration // since the soak began
	incarnation int           // of the service when the try started
	down        bool          // the service was down (killed, not yet ready again)
	status      int
	err         string
	body        string // a short excerpt of what came back
}

// delivery is one customer message (one MsgId) and what became of it.
type delivery struct {
	who     *customer
	text    string
	msgID   int64
	confirm bool
	tries   []try
	outcome outcome
	reply   string // the passive text reply when outcome is replied or busy
	// For a message answered success: the fake WeChat's last Seq the customer had read then, and
	// whether an answer came through the customer-service API while the customer waited.
	seqAtAck int64
	lateSeen bool
}

// wechat sends customers' messages to the webhook as WeChat does.
type wechat struct {
	sim *wechatsim.Client
	j   *journal
	svc *service

	inflight        atomic.Int64 // tries sent, not answered
	confirmInflight atomic.Int64
	confirmStarted  atomic.Int64 // 确认 tries started / ended, for the kill trigger
	confirmEnded    atomic.Int64
}

func newWeChat(url, token, appID, aesKey string, j *journal, svc *service) *wechat {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 100
	return &wechat{
		sim: &wechatsim.Client{URL: url, Token: token, AppID: appID, AESKey: aesKey,
			HTTP: &http.Client{Timeout: wechatWait, Transport: tr}},
		j: j, svc: svc,
	}
}

// deliver sends the customer's text as a new message and retries it as WeChat would.
func (w *wechat) deliver(c *customer, text string) *delivery {
	confirm := text == confirmWord
	m := wechatsim.Message{From: c.openID, Type: message.MsgTypeText, Content: text,
		CreateTime: time.Now().Unix(), MsgID: w.sim.NextMsgID()}
	body := w.sim.XML(m)
	d := &delivery{who: c, text: text, msgID: m.MsgID, confirm: confirm}
	first := time.Now()
	for i := range wechatTries {
		if wait := time.Until(first.Add(time.Duration(i) * wechatWait)); wait > 0 {
			time.Sleep(wait) // WeChat's retry schedule, not a wait for the service
		}
		tr := try{start: w.j.since(), incarnation: w.svc.incarnation(), down: w.svc.isDown()}
		w.inflight.Add(1)
		if confirm {
			w.confirmInflight.Add(1)
			w.confirmStarted.Add(1)
		}
		r, err := w.sim.Post(body)
		w.inflight.Add(-1)
		if confirm {
			w.confirmInflight.Add(-1)
			w.confirmEnded.Add(1)
		}
		tr.end = w.j.since()
		if r != nil {
			tr.status = r.Status
			tr.body = excerpt(string(r.Body), 60)
			if r.Text != "" {
				tr.body = excerpt(r.Text, 60)
			}
		}
		if err != nil {
			tr.err = err.Error()
		}
		d.tries = append(d.tries, tr)
		done := true
		switch {
		case r == nil || r.Status != http.StatusOK: // refused, broken, timed out, 5xx: try again
			done = false
		case r.Success:
			d.outcome = success
		case err != nil || r.Text == "":
			d.outcome = garbled
		case strings.HasPrefix(r.Text, busyText):
			d.outcome, d.reply = busy, r.Text
		default:
			d.outcome, d.reply = replied, r.Text
		}
		w.j.add(c.openID, "msg %d %q try %d (%s): %s", d.msgID, text, i+1, tr.where(), tr.describe())
		if done {
			return d
		}
	}
	d.outcome = givenUp
	w.j.add(c.openID, "msg %d %q given up after %d tries", d.msgID, text, wechatTries)
	return d
}

func (t try) where() string {
	if t.down {
		return fmt.Sprintf("service down after incarnation %d", t.incarnation)
	}
	return fmt.Sprintf("incarnation %d", t.incarnation)
}

func (t try) describe() string {
	took := (t.end - t.start).Round(time.Millisecond)
	switch {
	case t.status == 0:
		return fmt.Sprintf("no answer after %v: %s", took, t.err)
	case t.err != "":
		return fmt.Sprintf("HTTP %d after %v, unreadable: %s (%q)", t.status, took, t.err, t.body)
	default:
		return fmt.Sprintf("HTTP %d after %v: %q", t.status, took, t.body)
	}
}

func excerpt(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// journal is the soak's timeline: every try of every message, every kill and restart.
type journal struct {
	begin time.Time
	mu    sync.Mutex
	lines []line
}

type line struct {
	at   time.Duration
	who  string // "" for the service's events
	text string
}

func newJournal() *journal { return &journal{begin: time.Now()} }

func (j *journal) since() time.Duration { return time.Since(j.begin) }

func (j *journal) add(who, format string, args ...any) {
	l := line{at: j.since(), who: who, text: fmt.Sprintf(format, args...)}
	j.mu.Lock()
	j.lines = append(j.lines, l)
	j.mu.Unlock()
}

// of returns the customer's lines with the service's events among them, from the customer's first
// line to their last.
func (j *journal) of(who string) []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	first, last := -1, -1
	for i, l := range j.lines {
		if l.who == who {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	for _, l := range j.lines[first : last+1] {
		switch l.who {
		case who:
			out = append(out, fmt.Sprintf("%9.3fs  %s", l.at.Seconds(), l.text))
		case "":
			out = append(out, fmt.Sprintf("%9.3fs  ** %s", l.at.Seconds(), l.text))
		}
	}
	return out
}

// service returns the service's events (kills, restarts).
func (j *journal) service() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, l := range j.lines {
		if l.who == "" {
			out = append(out, fmt.Sprintf("%9.3fs  %s", l.at.Seconds(), l.text))
		}
	}
	return out
}
