package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"gopkg.in/yaml.v3"
)

func TestBadConfigStopsWithOneLinePerProblem(t *testing.T) {
	t.Setenv("COMPLAINTBOT_WECHAT_ENCODING_AES_KEY", "short")
	t.Setenv("COMPLAINTBOT_SERVER_REPLY_BUDGET", "9s")
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "-config", "../../config.yaml"}, strings.NewReader(""), &out, &errOut)
	if code != 1 {
		t.Fatalf("exit code %d", code)
	}
	msg := errOut.String()
	for _, want := range []string{"wechat.encoding_aes_key must be 43 characters", "server.reply_budget must be above 0 and below 5s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") {
		t.Fatalf("a stack trace instead of a message:\n%s", msg)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"frobnicate"}, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "Usage") {
		t.Fatalf("code %d, %s", code, errOut.String())
	}
}

// The customer simulator, reading the same config as the service, gets the welcome text back and
// shows what the service later sends through the (sandbox) WeChat API.
func TestChatTalksToTheRunningService(t *testing.T) {
	// The simulator signs with the wall clock, the service checks with its test clock: widen the window.
	h := apptest.New(t, func(c *config.Config) { c.WeChat.MaxClockSkew = config.Duration(1 << 62) })
	cfg := apptest.Config(h.Dir)
	cfg.WeChat.MaxClockSkew = config.Duration(1 << 62)
	cfg.Server.WebhookAddr = hostPort(t, h.App.WebhookURL())
	cfg.Server.ConsoleAddr = hostPort(t, h.App.ConsoleURL())
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := run([]string{"chat", "-config", path, "-user", "tester"}, strings.NewReader("你好\n/menu PROGRESS\n/quit\n"), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	for _, want := range []string{"公众号> 您好", "投诉", "暂未查到"} {
		if !strings.Contains(text, want) {
			t.Fatalf("simulator output lacks %q:\n%s", want, text)
		}
	}
}

func hostPort(t *testing.T, url string) string {
	t.Helper()
	hp := strings.TrimPrefix(url, "http://")
	if _, _, err := net.SplitHostPort(hp); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", url, err))
	}
	return hp
}
