package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles the Go package pkg (an import path) into dir and returns the program's path.
func Build(dir, pkg string) (string, error) {
	out := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, msg)
	}
	return out, nil
}

// Process is a webhook server running as a program of its own, so that it has its own runtime
// (heap, collector, scheduler) as it would in production.
type Process struct {
	// URL is the webhook's address.
	URL string
	// ConsoleURL is the console listener's base address (the service only).
	ConsoleURL string
	cmd        *exec.Cmd
	mu         sync.Mutex
	errs       bytes.Buffer
	done       chan struct{}
}

// StartService runs the service's program (see Build) as `complaintbot serve` with the default
// configuration and env (COMPLAINTBOT_* settings) on top, its data in dataDir, the webhook on a
// free loopback port (the console on another), and waits until it answers /healthz.
func StartService(bin, dataDir string, env []string) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	consolePort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dataDir // no config.yaml there: the defaults, then env
	cmd.Env = append(os.Environ(), "COMPLAINTBOT_DATA_DIR="+dataDir,
		fmt.Sprintf("COMPLAINTBOT_SERVER_WEBHOOK_ADDR=127.0.0.1:%d", port), fmt.Sprintf("COMPLAINTBOT_SERVER_CONSOLE_ADDR=127.0.0.1:%d", consolePort))
	cmd.Env = append(cmd.Env, env...)
	p := &Process{URL: fmt.Sprintf("http://127.0.0.1:%d/wechat", port), ConsoleURL: fmt.Sprintf("http://127.0.0.1:%d", consolePort),
		cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = p.stderr()
	if err := p.start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("the service stopped at start: %s", p.output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.Stop()
	return nil, fmt.Errorf("the service did not answer /healthz within %v: %s", startTimeout, p.output())
}

// StartFloorProcess runs the floor's program (package loadtest/floor, see Build) with its
// database in dataDir and waits until it serves.
func StartFloorProcess(bin, dataDir, appID, token string) (*Process, error) {
	cmd := exec.Command(bin, "-data", dataDir, "-appid", appID, "-token", token)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = p.stderr()
	if err := p.start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("the floor did not start: %v: %s", err, p.output())
	}
	p.URL = strings.TrimSpace(line)
	return p, nil
}

// startTimeout bounds a service's start (on a year of data it reads the case index and
// indexes new collections first).
const startTimeout = 5 * time.Minute

// Output is what the program wrote to its standard error (the first 64 KB).
func (p *Process) Output() string { return p.output() }

func (p *Process) start() error {
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.cmd.Path, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return nil
}

// Stop asks the program to shut down (SIGTERM), kills it if it has not within 30 s, and waits.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

type lockedWriter struct{ p *Process }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	if w.p.errs.Len() < 64<<10 {
		w.p.errs.Write(b)
	}
	return len(b), nil
}

func (p *Process) stderr() lockedWriter { return lockedWriter{p} }

func (p *Process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errs.String()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
