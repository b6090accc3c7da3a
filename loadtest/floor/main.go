// Command floor serves the load benchmarks' floor (see loadtest.Floor) in a process of its own, on
// an embedded database of its own, with Go's default runtime settings: the least a WeChat webhook
// can do, to measure the service against.
//
//	floor -data DIR -addr 127.0.0.1:9090 -appid wx... -token ...
//
// It prints the webhook's URL on its first line of output and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/loadtest"
	"github.com/complaintbot/complaintbot/storage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run() error {
	data := flag.String("data", "", "the embedded database's folder (required)")
	addr := flag.String("addr", "127.0.0.1:0", "where to listen")
	appID := flag.String("appid", "", "the AppID the messages are signed for")
	token := flag.String("token", "", "the token the messages are signed with")
	flag.Parse()
	if *data == "" || *token == "" {
		return fmt.Errorf("-data and -token are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := storage.Open(ctx, storage.Options{DataDir: *data, Database: "floor", Logger: quiet})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		return err
	}
	f, err := loadtest.StartFloor(st, *addr, *appID, *token, engine.Welcome())
	if err != nil {
		return err
	}
	fmt.Println(f.URL)
	<-ctx.Done()
	return f.Close()
}
