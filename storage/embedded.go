package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embeddedServer is FerretDB with its SQLite backend, running in this process on a loopback port.
type embeddedServer struct {
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
	lock   *os.File
}

// ErrDataDirLocked means another process already serves the data folder.
var ErrDataDirLocked = errors.New("the data folder is in use by another complaintbot process")

func startEmbedded(dataDir string, logger *slog.Logger) (*embeddedServer, error) {
	if dataDir == "" {
		return nil, errors.New("embedded database: data_dir is empty")
	}
	dbDir, err := filepath.Abs(filepath.Join(dataDir, "db"))
	if err != nil {
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database: create %s: %w", dbDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dataDir, "complaintbot.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded database: open lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded database in %s: %w", dataDir, ErrDataDirLocked)
	}
	// FerretDB logs every error reply (duplicate keys included) as a warning: keep only errors.
	quiet := slog.New(logger.Handler()).With("component", "ferretdb")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dbDir + "/",
		Logger:    slog.New(levelFilter{quiet.Handler(), slog.LevelError}),
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	return &embeddedServer{uri: f.MongoDBURI(), cancel: cancel, done: done, lock: lock}, nil
}

func (e *embeddedServer) stop() {
	e.cancel()
	<-e.done
	e.lock.Close()
}

// levelFilter passes on only records at or above min.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h.Handler.WithAttrs(a), h.min}
}

func (h levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{h.Handler.WithGroup(name), h.min}
}
