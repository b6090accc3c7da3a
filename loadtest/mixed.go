package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Mixed is a mixed load: customers filing complaints flat out, WeChat's retries of some of their
// messages, returning customers, and people reading console pages, all at once, for a bounded
// number of messages and a bounded time.
type Mixed struct {
	Sim *wechatsim.Client
	// Customers send Total messages of Script in all, one after the other each.
	Customers int
	Total     int
	Script    Script
	// Retry says whether WeChat retries the message (the same MsgId and CreateTime again) at
	// each of RetryAfter after first sending it, whatever the first answer (as it does when that
	// answer is slow to come).
	Retry      func(c, i int, text string) bool
	RetryAfter []time.Duration
	// Returning customers each send ReturningScript's messages, Pause apart, until the
	// customers are done.
	Returning       int
	ReturningScript func(r, i int) (openID, text string)
	// Readers each fetch ConsolePages(i) from Console, Pause apart, until the customers are done.
	Readers      int
	Console      *ConsoleClient
	ConsolePages func(r, i int) string
	// Writers each post ConsoleWrites(i) to Console (an agent's action on a case: a note, a
	// status), Pause apart, until the customers are done.
	Writers       int
	ConsoleWrites func(w, i int) (path string, body any)
	Pause         time.Duration
	// MaxTime stops everyone after this long (0: no limit).
	MaxTime time.Duration
	// Observe, when set, is told of every answer to a first send of the customers' messages.
	Observe Observer
}

// MixedResult is what a mixed load measured.
type MixedResult struct {
	// Webhook is every webhook answer: first sends, retries and returning customers.
	Webhook   Result
	First     Result
	Retries   Result
	Returning Result
	// Console is every console page fetched (an answer other than 200 is an error).
	Console Result
	// Writes is every agent's action posted (an answer other than 200 is an error).
	Writes Result
	// RetryDiffers counts the retries answered with another text than the first answer (a
	// "success" to either included).
	RetryDiffers int
}

type collector struct {
	mu   sync.Mutex
	s    sample
	errs atomic.Int64
	succ atomic.Int64
}

func (k *collector) record(d time.Duration, kind byte) {
	k.mu.Lock()
	k.s.lat = append(k.s.lat, d)
	k.mu.Unlock()
	switch kind {
	case 'e':
		k.errs.Add(1)
	case 's':
		k.succ.Add(1)
	}
}

func (k *collector) result(customers int, elapsed time.Duration) Result {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.s
	s.errs, s.success, s.elapsed = int(k.errs.Load()), int(k.succ.Load()), elapsed
	return s.result(customers)
}

func replyKind(r *wechatsim.Reply, err error) byte {
	switch {
	case err != nil || r.Status != 200 || (r.Text == "" && !r.Success):
		return 'e'
	case r.Success:
		return 's'
	}
	return 0
}

// Run runs the mixed load and returns what it measured.
func (m Mixed) Run() MixedResult {
	var first, retries, returning, console, writes collector
	var differs atomic.Int64
	var sent atomic.Int64
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	if m.MaxTime > 0 {
		t := time.AfterFunc(m.MaxTime, halt)
		defer t.Stop()
	}
	var customers, others, retryWG sync.WaitGroup
	start := time.Now()
	for c := range m.Customers {
		customers.Add(1)
		go func() {
			defer customers.Done()
			for i := 0; !stopped() && sent.Add(1) <= int64(m.Total); i++ {
				openID, text := m.Script(c, i)
				msg := wechatsim.Message{From: openID, Type: message.MsgTypeText, Content: text, CreateTime: time.Now().Unix(), MsgID: m.Sim.NextMsgID()}
				t0 := time.Now()
				r, err := m.Sim.Send(msg)
				took := time.Since(t0)
				first.record(took, replyKind(r, err))
				if m.Observe != nil {
					m.Observe(c, i, text, r, err, took)
				}
				if m.Retry == nil || !m.Retry(c, i, text) {
					continue
				}
				want := ""
				if err == nil {
					want = r.Text
				}
				for _, after := range m.RetryAfter {
					retryWG.Add(1)
					time.AfterFunc(after-time.Since(t0), func() {
						defer retryWG.Done()
						t1 := time.Now()
						r, err := m.Sim.Send(msg)
						retries.record(time.Since(t1), replyKind(r, err))
						if err != nil || r.Text != want || want == "" {
							differs.Add(1)
						}
					})
				}
			}
		}()
	}
	for rc := range m.Returning {
		others.Add(1)
		go func() {
			defer others.Done()
			for i := 0; !stopped(); i++ {
				openID, text := m.ReturningScript(rc, i)
				t0 := time.Now()
				r, err := m.Sim.Text(openID, text)
				returning.record(time.Since(t0), replyKind(r, err))
				sleep(stop, m.Pause)
			}
		}()
	}
	// Console users: readers fetch pages, writers post actions; each answer other than 200 is an
	// error.
	users := func(n int, into *collector, call func(u, i int) (int, error)) {
		for u := range n {
			others.Add(1)
			go func() {
				defer others.Done()
				for i := 0; !stopped(); i++ {
					t0 := time.Now()
					status, err := call(u, i)
					kind := byte(0)
					if err != nil || status != http.StatusOK {
						kind = 'e'
					}
					into.record(time.Since(t0), kind)
					sleep(stop, m.Pause)
				}
			}()
		}
	}
	users(m.Readers, &console, func(r, i int) (int, error) { return m.Console.Get(m.ConsolePages(r, i)) })
	users(m.Writers, &writes, func(w, i int) (int, error) { return m.Console.Post(m.ConsoleWrites(w, i)) })
	customers.Wait()
	halt()
	others.Wait()
	retryWG.Wait()
	elapsed := time.Since(start)
	res := MixedResult{First: first.result(m.Customers, elapsed), Retries: retries.result(m.Customers, elapsed),
		Returning: returning.result(m.Returning, elapsed), Console: console.result(m.Readers, elapsed), Writes: writes.result(m.Writers, elapsed), RetryDiffers: int(differs.Load())}
	res.Webhook = Merge([]Result{res.First, res.Retries, res.Returning})
	res.Webhook.Elapsed = elapsed
	res.Webhook.Customers = m.Customers + m.Returning
	return res
}

func sleep(stop <-chan struct{}, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
	case <-t.C:
	}
}

// ConsoleClient reads console pages as a logged-in user (a bearer token).
type ConsoleClient struct {
	Base  string
	HTTP  *http.Client
	token string
}

// Login logs in as the user and keeps the session's token.
func (c *ConsoleClient) Login(user, password string) error {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := c.HTTP.Post(c.Base+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("console login: %w", err)
	}
	defer resp.Body.Close()
	var res struct{ Token string }
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &res) != nil || res.Token == "" {
		return fmt.Errorf("console login as %s: HTTP %d %s", user, resp.StatusCode, data)
	}
	c.token = res.Token
	return nil
}

// Get fetches the page (read to its end) and returns its status.
func (c *ConsoleClient) Get(path string) (int, error) { return c.do(http.MethodGet, path, nil) }

// Post posts body as JSON to the path (the answer read to its end) and returns the status.
func (c *ConsoleClient) Post(path string, body any) (int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	return c.do(http.MethodPost, path, data)
}

// do sends the request as the logged-in user (a JSON body when not nil), reads the answer to
// its end and returns its status.
func (c *ConsoleClient) do(method, path string, body []byte) (int, error) {
	req, err := http.NewRequest(method, c.Base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
