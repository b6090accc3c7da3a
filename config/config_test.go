package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot/config"
)

func TestShippedConfigLoadsAndMatchesDefaults(t *testing.T) {
	cfg, err := config.Load("../config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Fatalf("config.yaml and config.Default() disagree:\n%+v\n%+v", cfg, config.Default())
	}
	if !cfg.Sandbox() || !cfg.Embedded() {
		t.Fatal("a new user must start in sandbox mode on the embedded database")
	}
}

func TestShippedConfigDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range config.Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(text, leaf+":") {
			t.Errorf("config.yaml does not mention %s", key)
		}
	}
}

func TestEnvironmentOverridesEveryKind(t *testing.T) {
	env := []string{
		"COMPLAINTBOT_WECHAT_TOKEN=fromenv",
		"COMPLAINTBOT_SERVER_WEBHOOK_ADDR=:9090",
		"COMPLAINTBOT_WECHAT_MAX_CLOCK_SKEW=2m",
		"COMPLAINTBOT_INTAKE_DAILY_CASE_CAP=9",
		"COMPLAINTBOT_MONGODB_URI=mongodb://db1,db2/?replicaSet=rs0",
		"UNRELATED=1",
	}
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WeChat.Token != "fromenv" || cfg.Server.WebhookAddr != ":9090" || cfg.WeChat.MaxClockSkew.D() != 2*time.Minute ||
		cfg.Intake.DailyCaseCap != 9 || cfg.Embedded() {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	if config.EnvName("server.webhook_addr") != "COMPLAINTBOT_SERVER_WEBHOOK_ADDR" {
		t.Fatal(config.EnvName("server.webhook_addr"))
	}
}

func TestEveryProblemIsReportedByItsKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	yaml := "wechat:\n  encoding_aes_key: short\n  path: nope\nlog:\n  level: loud\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path, []string{"COMPLAINTBOT_SERVER_REPLY_BUDGET=soon", "COMPLAINTBOT_INTAKE_DAILY_CASE_CAP=many"})
	var cerr *config.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want *config.Error, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"wechat.encoding_aes_key must be 43 characters",
		"wechat.path must start with /",
		"log.level must be one of",
		"server.reply_budget (from COMPLAINTBOT_SERVER_REPLY_BUDGET): \"soon\" is not a duration",
		"intake.daily_case_cap (from COMPLAINTBOT_INTAKE_DAILY_CASE_CAP): \"many\" is not a whole number",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestUnknownKeysAndBadValuesInTheFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key":  "wechat:\n  tokn: x\n",
		"bad duration": "server:\n  reply_budget: fast\n",
	} {
		path := filepath.Join(dir, "c.yaml")
		_ = os.WriteFile(path, []byte(body), 0o600)
		if _, err := config.Load(path, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := config.Load(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Error("a missing file named with -config must be an error")
	}
}

// A way of sending templates the service does not know is refused at start, naming the key.
func TestUnknownMessageAPIIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, []byte("scheduler:\n  message_api: sms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path, nil); err == nil || !strings.Contains(err.Error(), "scheduler.message_api") {
		t.Errorf("message_api sms: %v, want a refusal naming scheduler.message_api", err)
	}
	if err := os.WriteFile(path, []byte("scheduler:\n  message_api: subscribe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path, nil); err != nil {
		t.Errorf("subscribe messages: %v", err)
	}
}
