// Package config loads the service's settings from config.yaml, lets environment variables
// (COMPLAINTBOT_ + the key path in upper snake case) override any key, and checks them, reporting
// every problem by the key that has it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable that overrides a key.
const EnvPrefix = "COMPLAINTBOT_"

// Config is every setting of the service. The zero value is not usable: start from Default.
type Config struct {
	Server  Server  `yaml:"server"`
	WeChat  WeChat  `yaml:"wechat"`
	MongoDB MongoDB `yaml:"mongodb"`
	DataDir string  `yaml:"data_dir"`
	Log     Log     `yaml:"log"`
	Intake  Intake  `yaml:"intake"`
	Cases   Cases   `yaml:"cases"`
	Outbox  Outbox  `yaml:"outbox"`
	// Console is the agent and supervisor console (console.go).
	Console Console `yaml:"console"`
	// Scheduler holds the cron jobs, templates and surveys (scheduler.go).
	Scheduler Scheduler `yaml:"scheduler"`
	// Retention says how long personal data is kept (retention.go).
	Retention Retention `yaml:"retention"`
	// Reports holds the figures' settings: the branches' customer counts (reports.go).
	Reports Reports `yaml:"reports"`
}

// Server holds the listeners and the webhook's limits.
type Server struct {
	WebhookAddr     string   `yaml:"webhook_addr"`
	ConsoleAddr     string   `yaml:"console_addr"`
	ReplyBudget     Duration `yaml:"reply_budget"`
	MaxBodyBytes    int      `yaml:"max_body_bytes"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// WeChat holds the Official Account's credentials and protocol settings.
type WeChat struct {
	AppID                  string   `yaml:"app_id"`
	AppSecret              string   `yaml:"app_secret"`
	Token                  string   `yaml:"token"`
	EncodingAESKey         string   `yaml:"encoding_aes_key"`
	PreviousEncodingAESKey string   `yaml:"previous_encoding_aes_key"`
	Path                   string   `yaml:"path"`
	APIBase                string   `yaml:"api_base"`
	MaxClockSkew           Duration `yaml:"max_clock_skew"`
}

// MongoDB says where the data lives; an empty URI means the embedded server under data_dir.
type MongoDB struct {
	URI      string `yaml:"uri"`
	Database string `yaml:"database"`
}

// Log sets the log level and format.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Intake tunes the guided conversation.
type Intake struct {
	FlowFile        string   `yaml:"flow_file"`
	IdleTimeout     Duration `yaml:"idle_timeout"`
	DraftKeep       Duration `yaml:"draft_keep"`
	DailyCaseCap    int      `yaml:"daily_case_cap"`
	DuplicateWindow Duration `yaml:"duplicate_window"`
}

// Cases sets the promised reply and decision deadlines.
type Cases struct {
	ReplyDays    int    `yaml:"reply_days"`
	ReplyUnit    string `yaml:"reply_unit"`
	DecisionDays int    `yaml:"decision_days"`
	HolidayFile  string `yaml:"holiday_file"`
	// ExtendDays is how far after receipt an agent may extend a complex case's decision deadline
	// with a reason (the regulation: 30); ApprovedDays how far a supervisor or head office may
	// approve beyond that (60 at most).
	ExtendDays   int `yaml:"extend_days"`
	ApprovedDays int `yaml:"approved_days"`
	// RepeatCases complaints by one customer within 30 days raise the risk flag on the last.
	RepeatCases int `yaml:"repeat_cases"`
	// ReviewWindowDays is how many days after the decision the customer may ask for a review
	// (核查; the regulation: 30); ReviewDays how many calendar days head office has for its result.
	ReviewWindowDays int `yaml:"review_window_days"`
	ReviewDays       int `yaml:"review_days"`
}

// Outbox tunes delivery of messages sent on the service's own initiative.
type Outbox struct {
	PollInterval Duration `yaml:"poll_interval"`
	MaxAttempts  int      `yaml:"max_attempts"`
}

// Sandbox reports whether outbound messages go to the built-in fake WeChat API (no app secret).
func (c *Config) Sandbox() bool { return c.WeChat.AppSecret == "" }

// Embedded reports whether the service runs its own embedded MongoDB-compatible server.
func (c *Config) Embedded() bool { return c.MongoDB.URI == "" }

// Default returns the settings a new user gets with no config file.
func Default() Config {
	return Config{
		Server: Server{
			WebhookAddr:     "127.0.0.1:8080",
			ConsoleAddr:     "127.0.0.1:8081",
			ReplyBudget:     Duration(4 * time.Second),
			MaxBodyBytes:    64 << 10,
			ShutdownTimeout: Duration(10 * time.Second),
		},
		WeChat: WeChat{
			AppID:        "wxsandbox0000000",
			Token:        "complaintbot-dev-token",
			Path:         "/wechat",
			MaxClockSkew: Duration(5 * time.Minute),
		},
		MongoDB: MongoDB{Database: "complaintbot"},
		DataDir: "data",
		Log:     Log{Level: "info", Format: "text"},
		Intake: Intake{
			IdleTimeout:     Duration(30 * time.Minute),
			DraftKeep:       Duration(24 * time.Hour),
			DailyCaseCap:    5,
			DuplicateWindow: Duration(7 * 24 * time.Hour),
		},
		Cases:     Cases{ReplyDays: 3, ReplyUnit: "working", DecisionDays: 15, ExtendDays: 30, ApprovedDays: 60, RepeatCases: 3, ReviewWindowDays: 30, ReviewDays: 15},
		Outbox:    Outbox{PollInterval: Duration(5 * time.Second), MaxAttempts: 8},
		Console:   defaultConsole(),
		Scheduler: defaultScheduler(),
		Retention: defaultRetention(),
		Reports:   defaultReports(),
	}
}

// Load reads the YAML file at path (a missing file is an error unless path is empty), applies the
// environment overrides from environ (os.Environ() form) and checks the result. The error lists
// every problem, one per line, each naming its key.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config file %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	var problems []string
	problems = append(problems, applyEnv(&cfg, environ)...)
	problems = append(problems, cfg.Validate()...)
	if len(problems) > 0 {
		return cfg, &Error{Problems: problems}
	}
	return cfg, nil
}

// Error lists every problem found in a configuration.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// Validate returns one plain sentence per problem, each naming the key.
func (c *Config) Validate() []string {
	var p []string
	if c.Server.WebhookAddr == "" {
		p = append(p, "server.webhook_addr must be set (e.g. \":8080\")")
	}
	if c.Server.ConsoleAddr == "" {
		p = append(p, "server.console_addr must be set (e.g. \"127.0.0.1:8081\")")
	}
	if c.Server.ReplyBudget <= 0 || c.Server.ReplyBudget.D() >= 5*time.Second {
		p = append(p, "server.reply_budget must be above 0 and below 5s (WeChat waits 5 seconds)")
	}
	if c.Server.MaxBodyBytes < 1024 {
		p = append(p, "server.max_body_bytes must be at least 1024")
	}
	if c.WeChat.Token == "" {
		p = append(p, "wechat.token must be set (the token configured in the Official Account's server settings)")
	} else if len(c.WeChat.Token) < 3 || len(c.WeChat.Token) > 32 {
		p = append(p, "wechat.token must be 3 to 32 characters")
	}
	for key, v := range map[string]string{"wechat.encoding_aes_key": c.WeChat.EncodingAESKey, "wechat.previous_encoding_aes_key": c.WeChat.PreviousEncodingAESKey} {
		if v != "" && len(v) != 43 {
			p = append(p, key+" must be 43 characters")
		}
	}
	if c.WeChat.EncodingAESKey != "" && c.WeChat.AppID == "" {
		p = append(p, "wechat.app_id must be set when wechat.encoding_aes_key is (safe mode checks the AppID)")
	}
	if c.WeChat.AppSecret != "" && c.WeChat.AppID == "" {
		p = append(p, "wechat.app_id must be set when wechat.app_secret is")
	}
	if !strings.HasPrefix(c.WeChat.Path, "/") {
		p = append(p, "wechat.path must start with /")
	}
	if c.WeChat.APIBase != "" && !strings.HasPrefix(c.WeChat.APIBase, "http://") && !strings.HasPrefix(c.WeChat.APIBase, "https://") {
		p = append(p, "wechat.api_base must be an http:// or https:// URL")
	}
	if c.WeChat.MaxClockSkew <= 0 {
		p = append(p, "wechat.max_clock_skew must be above 0")
	}
	if c.MongoDB.Database == "" {
		p = append(p, "mongodb.database must be set")
	}
	if c.MongoDB.URI != "" && !strings.HasPrefix(c.MongoDB.URI, "mongodb://") && !strings.HasPrefix(c.MongoDB.URI, "mongodb+srv://") {
		p = append(p, "mongodb.uri must start with mongodb:// or mongodb+srv://")
	}
	if c.Embedded() && c.DataDir == "" {
		p = append(p, "data_dir must be set when mongodb.uri is empty (the embedded database lives there)")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		p = append(p, "log.level must be one of debug, info, warn, error")
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		p = append(p, "log.format must be text or json")
	}
	if c.Intake.IdleTimeout <= 0 {
		p = append(p, "intake.idle_timeout must be above 0")
	}
	if c.Intake.DraftKeep < c.Intake.IdleTimeout {
		p = append(p, "intake.draft_keep must be at least intake.idle_timeout")
	}
	if c.Intake.DailyCaseCap < 1 {
		p = append(p, "intake.daily_case_cap must be at least 1")
	}
	if c.Intake.DuplicateWindow < 0 {
		p = append(p, "intake.duplicate_window must not be negative")
	}
	if c.Cases.ReplyDays < 1 {
		p = append(p, "cases.reply_days must be at least 1")
	}
	if c.Cases.ReplyUnit != "working" && c.Cases.ReplyUnit != "calendar" {
		p = append(p, "cases.reply_unit must be working or calendar")
	}
	if c.Cases.DecisionDays < c.Cases.ReplyDays {
		p = append(p, "cases.decision_days must be at least cases.reply_days")
	}
	if c.Cases.ExtendDays < c.Cases.DecisionDays {
		p = append(p, "cases.extend_days must be at least cases.decision_days")
	}
	if c.Cases.ApprovedDays < c.Cases.ExtendDays {
		p = append(p, "cases.approved_days must be at least cases.extend_days")
	} else if c.Cases.ApprovedDays > 60 {
		p = append(p, "cases.approved_days must be at most 60 (the regulation's longest handling period)")
	}
	if c.Cases.RepeatCases < 2 {
		p = append(p, "cases.repeat_cases must be at least 2 (the complaints within 30 days that make a repeat complaint)")
	}
	if c.Cases.ReviewWindowDays < 1 || c.Cases.ReviewDays < 1 {
		p = append(p, "cases.review_window_days and cases.review_days must be at least 1")
	}
	if c.Outbox.PollInterval <= 0 {
		p = append(p, "outbox.poll_interval must be above 0")
	}
	if c.Outbox.MaxAttempts < 1 {
		p = append(p, "outbox.max_attempts must be at least 1")
	}
	p = append(p, c.Console.validate()...)
	p = append(p, c.Scheduler.validate()...)
	p = append(p, c.Retention.validate()...)
	p = append(p, c.Reports.validate()...)
	return p
}

// EnvName returns the environment variable that overrides the key path (wechat.token →
// COMPLAINTBOT_WECHAT_TOKEN).
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Keys lists every key path of the configuration, in declaration order.
func Keys() []string {
	var keys []string
	walk(reflect.ValueOf(&Config{}).Elem(), "", func(key string, _ reflect.Value) { keys = append(keys, key) })
	return keys
}

func walk(v reflect.Value, prefix string, leaf func(key string, field reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			walk(f, key, leaf)
			continue
		}
		leaf(key, f)
	}
}

func applyEnv(cfg *Config, environ []string) []string {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	var problems []string
	walk(reflect.ValueOf(cfg).Elem(), "", func(key string, f reflect.Value) {
		raw, ok := env[EnvName(key)]
		if !ok {
			return
		}
		if err := setField(f, raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s (from %s): %v", key, EnvName(key), err))
		}
	})
	return problems
}

func setField(f reflect.Value, raw string) error {
	if f.Type() == reflect.TypeOf(Duration(0)) {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 5m", raw)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		f.SetInt(int64(n))
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// Duration is a time.Duration written in config as "30s", "5m" or "24h".
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads a duration such as "4s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s or 5m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as "4s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
