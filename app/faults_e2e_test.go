package app_test

import (
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
)

// While the data folder's disk is full, customers are told the system is busy (nothing is
// acknowledged that was not stored) and /readyz answers 503 naming the cause, on both listeners;
// once space is freed, /readyz says ready again and messages are answered, without a restart.
func TestFullDiskFailsReadinessAndRecovers(t *testing.T) {
	dir := storagetest.MountTmpfs(t, "64m")
	h := apptest.New(t, func(c *config.Config) { c.DataDir = dir })
	readyz := func() (int, string) {
		t.Helper()
		var status int
		var body string
		for _, base := range []string{h.App.WebhookURL(), h.App.ConsoleURL()} {
			r, err := http.Get(base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if status != 0 && (r.StatusCode != status || string(b) != body) {
				t.Fatalf("the listeners disagree: %d %q and %d %q", status, body, r.StatusCode, b)
			}
			status, body = r.StatusCode, string(b)
		}
		return status, body
	}
	const cust = "oFullDiskCustomer01"
	if st, body := readyz(); st != 200 || body != "ready" {
		t.Fatalf("readyz: %d %q", st, body)
	}
	if got := h.Say(cust, "你好"); strings.Contains(got, "繁忙") {
		t.Fatalf("greeting on a healthy disk: %s", got)
	}

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	if got := h.Say(cust, "我要投诉"); !strings.Contains(got, "系统暂时繁忙") {
		t.Fatalf("message on a full disk answered %q, want the busy notice", got)
	}
	h.Clock.Advance(2 * time.Second)
	if st, body := readyz(); st != http.StatusServiceUnavailable || body != "database not writable: the disk is full" {
		t.Fatalf("readyz on a full disk: %d %q", st, body)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(11 * time.Second) // ready again 10 s after the last failed write
	if st, body := readyz(); st != 200 || body != "ready" {
		t.Fatalf("readyz once space is free: %d %q", st, body)
	}
	if got := h.Say(cust, "我要投诉"); strings.Contains(got, "繁忙") {
		t.Fatalf("message once space is free: %s", got)
	}
}

// fillDisk writes a file until the disk is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{1 << 20, 4096} {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				break
			}
		}
	}
}
