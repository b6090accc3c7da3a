package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/gcfloor"
)

// heapFloor is how far the heap may grow before the garbage collector runs, while the live heap
// is small (unless GOGC or GOMEMLIMIT is set).
const heapFloor = 64 << 20

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", defaultConfigPath(), "the configuration file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	// The service's live heap is a few megabytes; without a floor the collector would run every
	// few dozen messages and show in the reply latency (see package gcfloor).
	defer gcfloor.Keep(heapFloor)()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if err := a.Start(); err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.D())
		defer cancel()
		_ = a.Shutdown(sctx)
		return fmt.Errorf("start: %w", err)
	}
	mode := "plaintext"
	if cfg.WeChat.EncodingAESKey != "" {
		mode = "safe (AES)"
	}
	database := "MongoDB at the configured mongodb.uri"
	if cfg.Embedded() {
		database = "embedded (FerretDB + SQLite in " + cfg.DataDir + ")"
	}
	log.Info("complaintbot is running",
		"webhook", a.WebhookURL()+cfg.WeChat.Path, "console", a.ConsoleURL(), "message_mode", mode, "database", database)
	if cfg.Sandbox() {
		log.Info("sandbox mode: no wechat.app_secret, so outbound messages go to the built-in fake WeChat API and are not sent to WeChat; talk to the bot with `complaintbot chat`",
			"fake_api", a.ConsoleURL()+app.SandboxPath)
	}
	<-ctx.Done()
	stop()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.D())
	defer cancel()
	// A stop that was asked for ends with status 0: what could not be finished within
	// server.shutdown_timeout is finished at the next start, and the log says so.
	if err := a.Shutdown(sctx); err != nil {
		log.Error("stopped with errors", "err", err)
		return nil
	}
	log.Info("stopped")
	return nil
}
