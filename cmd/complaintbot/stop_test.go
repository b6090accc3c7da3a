package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"gopkg.in/yaml.v3"
)

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the service's log and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A stop asked for by SIGTERM ends with exit status 0 within server.shutdown_timeout, and the
// data folder is released (the service starts again on it).
func TestSIGTERMStopsCleanlyWithStatusZero(t *testing.T) {
	dir := t.TempDir()
	cfg := apptest.Config(dir)
	cfg.Server.WebhookAddr, cfg.Server.ConsoleAddr = freeAddr(t), freeAddr(t)
	cfg.Server.ShutdownTimeout = config.Duration(3 * time.Second)
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		var errOut syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run([]string{"serve", "-config", path}, strings.NewReader(""), &bytes.Buffer{}, &errOut)
		}()
		ready := false
		for range 600 {
			if r, err := http.Get("http://" + cfg.Server.WebhookAddr + "/readyz"); err == nil {
				r.Body.Close()
				if r.StatusCode == http.StatusOK {
					ready = true
					break
				}
			}
			select {
			case code := <-done:
				t.Fatalf("round %d: the service ended with %d before it was ready: %s", round, code, errOut.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		if !ready {
			t.Fatalf("round %d: the service never became ready: %s", round, errOut.String())
		}
		stopAsked := time.Now()
		if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("round %d: exit status %d after SIGTERM: %s", round, code, errOut.String())
			}
			if took := time.Since(stopAsked); took > 3*time.Second+6*time.Second {
				t.Fatalf("round %d: the stop took %v, beyond server.shutdown_timeout", round, took)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: the service did not stop after SIGTERM: %s", round, errOut.String())
		}
	}
}
