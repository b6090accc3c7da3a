package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// embeddedServer is FerretDB with its SQLite backend, running in this process on a loopback port.
type embeddedServer struct {
	uri     string
	cancel  context.CancelFunc
	done    chan struct{}
	lock    *os.File
	dataDir string
	dbDir   string
	log     *slog.Logger

	stopping atomic.Bool           // stop was called: the server's end is expected
	failure  atomic.Pointer[error] // why the server ended on its own
}

// walSizeLimit is the size SQLite cuts the WAL file back to whenever it starts it over (its own
// checkpoints do, between reads): without it the file stays as large as it ever grew while a long
// read held an old snapshot (1.36 GB was seen beside a 356 MB database). Store.CheckpointWAL
// truncates it to nothing.
const walSizeLimit = 16 << 20

// newServerMu serializes ferretdb.New (see startEmbedded).
var newServerMu sync.Mutex

// ErrDataDirLocked means another process already serves the data folder.
var ErrDataDirLocked = errors.New("the data folder is in use by another complaintbot process")

// LockFile is the file in the data folder that one running service holds locked, so that a
// second one refuses to start on the same folder.
const LockFile = "complaintbot.lock"

func startEmbedded(dataDir string, logger *slog.Logger) (*embeddedServer, error) {
	if dataDir == "" {
		return nil, errors.New("embedded database: data_dir is empty")
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	dbDir := filepath.Join(dataDir, "db")
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database: create %s: %w", dbDir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dataDir, LockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded database: open lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded database in %s: %w", dataDir, ErrDataDirLocked)
	}
	// Before FerretDB opens the files (it would create a missing one empty): refuse a folder whose
	// database is gone or damaged (see integrity.go).
	if err := checkDataDir(context.Background(), dataDir, dbDir, logger); err != nil {
		lock.Close()
		return nil, err
	}
	// FerretDB logs every error reply (duplicate keys included) as a warning: keep only errors.
	quiet := slog.New(logger.Handler()).With("component", "ferretdb")
	// ferretdb.New writes a package variable of FerretDB's: two stores opening at once (tests run
	// in parallel, a tool opening two data folders) must not call it together.
	newServerMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dbDir + "/?_pragma=" + url.QueryEscape(fmt.Sprintf("journal_size_limit(%d)", walSizeLimit)),
		Logger:    slog.New(levelFilter{quiet.Handler(), slog.LevelError}),
	})
	newServerMu.Unlock()
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &embeddedServer{uri: f.MongoDBURI(), cancel: cancel, done: make(chan struct{}), lock: lock, dataDir: dataDir, dbDir: dbDir, log: logger}
	go e.run(ctx, f.Run)
	return e, nil
}

// run serves until stop. A server that ends before stop (whatever serve returns) is a failure:
// it is logged at error level and kept for failed, and the store can then neither read nor write.
func (e *embeddedServer) run(ctx context.Context, serve func(context.Context) error) {
	defer close(e.done)
	err := serve(ctx)
	if e.stopping.Load() {
		return
	}
	if err == nil {
		err = errors.New("it returned without an error")
	}
	err = fmt.Errorf("the embedded database server stopped: %w", err)
	e.failure.Store(&err)
	e.log.Error("the embedded database server stopped: nothing can be read or written until the service is restarted", "err", err)
}

// failed returns why the server ended on its own; nil while it runs or after stop.
func (e *embeddedServer) failed() error {
	if p := e.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// ServerErr returns why the embedded server stopped on its own, nil while it runs (and always
// with MongoDB). Once it is set the store can neither read nor write, Ready fails, and only a
// restart of the service brings the database back.
func (s *Store) ServerErr() error {
	if s.embedded == nil {
		return nil
	}
	return s.embedded.failed()
}

// stop stops the server (which closes the database files) and records the files as this clean
// stop leaves them, so that the next start can skip the full check of an unchanged file.
func (e *embeddedServer) stop() {
	e.stopping.Store(true)
	e.cancel()
	<-e.done
	if err := recordCleanStop(e.dataDir, e.dbDir); err != nil {
		e.log.Warn("record the clean stop of the embedded database (the next start checks it in full)", "err", err)
	}
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
