package soak

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildService compiles cmd/complaintbot into dir.
func buildService(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "complaintbot")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/complaintbot/complaintbot/cmd/complaintbot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the service: %v\n%s", err, out)
	}
	return bin
}

// service is the complaintbot program, started, killed and restarted on one data folder and one
// webhook port (WeChat knows one URL).
type service struct {
	bin, dataDir, logDir string
	env                  []string
	port                 int

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	n       int          // incarnations started
	upSince time.Time    // when the current incarnation answered /readyz
	down    bool         // killed and not ready again
	exits   []string     // how each incarnation ended
	pids    map[int]int  // process id of each incarnation
	killed  map[int]bool // incarnations ended by SIGKILL (never asked to stop)
}

func newService(bin, dataDir, logDir string, env []string) (*service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &service{bin: bin, dataDir: dataDir, logDir: logDir, port: port, pids: map[int]int{}, killed: map[int]bool{}}
	// The developer's own COMPLAINTBOT_* settings (a MongoDB URI, say) must not leak into the soak.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COMPLAINTBOT_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"COMPLAINTBOT_DATA_DIR="+dataDir,
		"COMPLAINTBOT_MONGODB_URI=",
		fmt.Sprintf("COMPLAINTBOT_SERVER_WEBHOOK_ADDR=127.0.0.1:%d", port),
		"COMPLAINTBOT_SERVER_CONSOLE_ADDR=127.0.0.1:0")
	s.env = append(s.env, env...)
	return s, nil
}

// URL is the webhook's address.
func (s *service) URL() string { return fmt.Sprintf("http://127.0.0.1:%d/wechat", s.port) }

// incarnation returns the number of the running (or last) incarnation.
func (s *service) incarnation() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// start runs a new incarnation and waits until it answers /readyz; it returns how long that took.
func (s *service) start() (time.Duration, error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	logf, err := os.Create(s.logPath(n))
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(s.bin, "serve")
	cmd.Dir = s.dataDir // no config.yaml there: the defaults, then the environment
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return 0, fmt.Errorf("start the service: %w", err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.pids[n] = cmd.Process.Pid
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		s.mu.Lock()
		s.exits = append(s.exits, fmt.Sprintf("incarnation %d: %v", n, exitText(err)))
		s.mu.Unlock()
		close(done)
	}()
	hc := &http.Client{Timeout: time.Second}
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", s.port)
	for time.Since(begin) < time.Minute {
		if r, err := hc.Get(ready); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				s.mu.Lock()
				s.upSince, s.down = time.Now(), false
				s.mu.Unlock()
				return time.Since(begin), nil
			}
		}
		select {
		case <-done:
			return 0, fmt.Errorf("incarnation %d stopped at start:\n%s", n, s.tail(n, 40))
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.kill()
	return 0, fmt.Errorf("incarnation %d did not answer /readyz within a minute:\n%s", n, s.tail(n, 40))
}

// kill sends SIGKILL and waits until the process is gone.
func (s *service) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	s.mu.Lock()
	s.down = true
	if s.done != nil {
		select {
		case <-s.done: // ended already (stopped, or killed before)
		default:
			s.killed[s.n] = true
		}
	}
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// incarnationOf returns the incarnation whose process id is pid (0 if none), and whether it was
// killed with SIGKILL.
func (s *service) incarnationOf(pid int) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, p := range s.pids {
		if p == pid {
			return n, s.killed[n]
		}
	}
	return 0, false
}

// stall freezes the service (SIGSTOP) for d and lets it go on (SIGCONT): a machine pause, as a
// stalled disk or a paused VM gives, longer than the reply budget.
func (s *service) stall(d time.Duration) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGSTOP)
	time.Sleep(d)
	_ = cmd.Process.Signal(syscall.SIGCONT)
}

// isDown reports whether the service is killed and not ready again.
func (s *service) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// stop asks the service to shut down (SIGTERM) and waits for it, killing it after limit; it
// returns how long it took and how the process ended.
func (s *service) stop(limit time.Duration) (time.Duration, string) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	begin := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(limit):
		s.mu.Lock()
		s.killed[s.n] = true
		s.mu.Unlock()
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return time.Since(begin), fmt.Sprintf("still running after %v: killed", limit)
	}
	return time.Since(begin), exitText(cmd.ProcessState)
}

func exitText(v any) string {
	switch e := v.(type) {
	case nil:
		return "exit status 0"
	case *os.ProcessState:
		if e.Success() {
			return "exit status 0"
		}
		return e.String()
	case error:
		var ee *exec.ExitError
		if errors.As(e, &ee) {
			return ee.ProcessState.String()
		}
		return e.Error()
	}
	return fmt.Sprint(v)
}

func (s *service) logPath(n int) string {
	return filepath.Join(s.logDir, fmt.Sprintf("serve-%02d.log", n))
}

// tail returns the last lines of an incarnation's log.
func (s *service) tail(n, lines int) string {
	all := s.logLines(n, func(string) bool { return true })
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// logLines returns an incarnation's log lines that keep selects.
func (s *service) logLines(n int, keep func(string) bool) []string {
	f, err := os.Open(s.logPath(n))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if keep(sc.Text()) {
			out = append(out, sc.Text())
		}
	}
	return out
}

// grep returns the log lines of every incarnation that keep selects, each prefixed by its
// incarnation, at most limit of them.
func (s *service) grep(limit int, keep func(string) bool) []string {
	var out []string
	for n := 1; n <= s.incarnation(); n++ {
		for _, l := range s.logLines(n, keep) {
			out = append(out, fmt.Sprintf("[%d] %s", n, l))
		}
	}
	if len(out) > limit {
		out = append(out[:limit], fmt.Sprintf("… %d more", len(out)-limit))
	}
	return out
}
