// Command complaintbot is the WeChat complaint-intake service. With no arguments it serves; its
// other subcommands are tools around the service (the customer simulator, ...).
//
//	complaintbot [serve] [-config config.yaml]   run the service
//	complaintbot chat [-user NAME]               talk to the running service as a WeChat customer
//	complaintbot user add|list|disable|enable|passwd  manage console accounts
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/complaintbot/complaintbot/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `complaintbot — WeChat complaint intake for banks

Usage:
  complaintbot [serve] [-config FILE]            run the service (the default)
  complaintbot chat [-config FILE] [-user NAME]  talk to the running service as a WeChat customer
  complaintbot user add|list|disable|enable|passwd [-config FILE] ...
                                                 manage console accounts (complaintbot user help)

Every setting is in config.yaml and can be overridden by environment variables
(COMPLAINTBOT_ + the key in upper snake case, e.g. COMPLAINTBOT_WECHAT_TOKEN).
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args, stderr)
	case "chat":
		err = chat(args, stdin, stdout, stderr)
	case "user":
		err = user(args, stdin, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintln(stderr, "complaintbot:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// defaultConfigPath is config.yaml in the working directory when it exists, else none (defaults).
func defaultConfigPath() string {
	if _, err := os.Stat("config.yaml"); err == nil {
		return "config.yaml"
	}
	return ""
}

func loadConfig(path string) (config.Config, error) {
	return config.Load(path, os.Environ())
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
