package storage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// An embedded server that stops on its own does not go unnoticed: the store reports why
// (ServerErr), /readyz's check fails naming it, and the log says so at error level. A stop asked
// for by Close is no failure.
func TestTheEmbeddedServerStoppingIsReported(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "complaintbot_test",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	if err := st.Ready(ctx); err != nil {
		t.Fatalf("ready while the server runs: %v", err)
	}
	if err := st.ServerErr(); err != nil {
		t.Fatalf("a running server reported: %v", err)
	}

	// The server ends without anyone asking (as when FerretDB's Run returns an error).
	st.embedded.cancel()
	select {
	case <-st.embedded.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the embedded server did not stop")
	}

	if err := st.ServerErr(); err == nil {
		t.Fatal("the store does not report that its server stopped")
	}
	err = st.Ready(ctx)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "embedded database server stopped") {
		t.Fatalf("ready after the server stopped: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "embedded database server stopped") {
		t.Fatalf("nothing logged at error level:\n%s", logs.String())
	}
}

// Close stopping the server is not reported as a failure.
func TestClosingTheStoreIsNoServerFailure(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	st, err := Open(ctx, Options{DataDir: t.TempDir(), Database: "complaintbot_test",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	emb := st.embedded
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := emb.failed(); err != nil {
		t.Fatalf("a requested stop reported as a failure: %v", err)
	}
	if strings.Contains(logs.String(), "embedded database server stopped") {
		t.Fatalf("a requested stop logged as a failure:\n%s", logs.String())
	}
}
