package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"weak"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Readiness: Ready answers whether the database takes writes, for /readyz. It must stay cheap (load
// balancers poll it, also on the public listener) and must not read collections, so it looks at:
//
//   - the outcome of the writes the store makes on its main connection, when the client reports
//     them (healthMonitor): under traffic that alone answers, at no cost;
//   - otherwise a probe at most every probeEvery: on the embedded server the free space of the
//     data folder's file system and a one-byte file created and removed there (SQLite reports a
//     read-only disk only as "disk I/O error"), then one insert and one delete by _id in the
//     small health_probe collection, within probeTimeout.
//
// After a failed write, Ready keeps failing until a write succeeds writeFaultHold after the last
// failure, so that a nearly full disk (which takes a probe's few bytes but not a conversation
// turn) does not make it flap. The first failure is logged once at error level with its cause,
// the recovery once at info level.

const (
	probeEvery     = time.Second
	probeTimeout   = 2 * time.Second
	writeFaultHold = 10 * time.Second
	// minFreeBytes is the free space under which the embedded server's disk counts as full.
	minFreeBytes = 1 << 20
	// probeCollection holds the probes' documents (none, but for a moment each).
	probeCollection = "health_probe"
)

// ErrNotWritable is the error Ready returns (wrapped, with the cause) while writes fail.
var ErrNotWritable = errors.New("database not writable")

// ErrUnreachable is the error Ready returns (wrapped) when the database does not answer.
var ErrUnreachable = errors.New("database unreachable")

// writeHealth is a store's record of whether writes work.
type writeHealth struct {
	log   *slog.Logger
	probe string // this process's probe document

	mu        sync.Mutex
	clock     complaintbot.Clock
	checkedAt time.Time // when err was last established (probe or write)
	err       error     // nil while writes work
	faultAt   time.Time // the last failed write or probe
	down      bool      // the failure has been logged
	downAt    time.Time
	probing   chan struct{} // closed when the probe under way ends
}

var healths sync.Map // weak.Pointer[Store] → *writeHealth

// health returns the store's writeHealth (kept beside the Store so that it needs no field there;
// dropped when the Store is collected).
func (s *Store) health() *writeHealth {
	key := weak.Make(s)
	if h, ok := healths.Load(key); ok {
		return h.(*writeHealth)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	h, loaded := healths.LoadOrStore(key, &writeHealth{log: s.log, probe: "probe-" + hex.EncodeToString(b[:]), clock: complaintbot.SystemClock{}})
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Store]) { healths.Delete(k) }, key)
	}
	return h.(*writeHealth)
}

// SetHealthClock sets the clock Ready paces its probes and holds write failures by (the system
// clock unless set; tests move a manual one).
func (s *Store) SetHealthClock(c complaintbot.Clock) {
	h := s.health()
	h.mu.Lock()
	h.clock = c
	h.mu.Unlock()
}

// Ready returns nil when the database takes writes, else an error wrapping ErrNotWritable or
// ErrUnreachable whose text names the cause in a few plain words and nothing more (it is shown on
// the public listener): "database not writable: the disk is full"; the details go to the log. It
// probes at most once a second (see the comment at the top of health.go) and recovers by itself
// once writes work again — but not once the embedded server has stopped (ServerErr): only a
// restart brings it back.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.ServerErr(); err != nil {
		return &healthError{kind: ErrUnreachable, cause: "the embedded database server stopped", err: err}
	}
	h := s.health()
	for {
		h.mu.Lock()
		now := h.clock.Now()
		if !h.checkedAt.IsZero() && now.Sub(h.checkedAt) < probeEvery {
			err := h.err
			h.mu.Unlock()
			return err
		}
		if ch := h.probing; ch != nil {
			h.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return &healthError{kind: ErrUnreachable, cause: "the check was cancelled", err: ctx.Err()}
			}
		}
		ch := make(chan struct{})
		h.probing = ch
		h.mu.Unlock()

		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
		err := s.probeWrites(pctx)
		cancel()

		h.mu.Lock()
		h.probing = nil
		close(ch)
		h.record(h.clock.Now(), err)
		err = h.err
		h.mu.Unlock()
		return err
	}
}

// noteWrite records the outcome of a write: a failure that says the database does not take
// writes (see isWriteFault; duplicate keys, timeouts and the like are not) makes Ready fail at
// once, a success makes it answer without a probe.
func (h *writeHealth) noteWrite(err error) {
	if err != nil {
		if !isWriteFault(err) {
			return
		}
		err = notWritable(err)
	}
	h.mu.Lock()
	h.record(h.clock.Now(), err)
	h.mu.Unlock()
}

// healthMonitor returns a command monitor for the store's main client that tells Ready of the
// outcome of every write command, and passes every event on to next (which may be nil).
func (s *Store) healthMonitor(next *event.CommandMonitor) *event.CommandMonitor {
	h := s.health()
	if next == nil {
		next = &event.CommandMonitor{}
	}
	return &event.CommandMonitor{
		Started: next.Started,
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			if writeCommands[e.CommandName] {
				h.noteWrite(replyWriteError(e.Reply))
			}
			if next.Succeeded != nil {
				next.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			if writeCommands[e.CommandName] {
				h.noteWrite(e.Failure)
			}
			if next.Failed != nil {
				next.Failed(ctx, e)
			}
		},
	}
}

var writeCommands = map[string]bool{"insert": true, "update": true, "delete": true, "findAndModify": true}

// replyWriteError returns the first write error of a write command's reply that is not a
// duplicate key, or nil.
func replyWriteError(reply bson.Raw) error {
	v, err := reply.LookupErr("writeErrors")
	if err != nil {
		return nil
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := arr.Values()
	for _, we := range vals {
		doc, ok := we.DocumentOK()
		if !ok {
			continue
		}
		code, _ := doc.Lookup("code").AsInt64OK()
		if code == 11000 || code == 11001 || code == 12582 {
			continue
		}
		msg, _ := doc.Lookup("errmsg").StringValueOK()
		return fmt.Errorf("write error %d: %s", code, msg)
	}
	return nil
}

// record takes in an outcome (h.mu held) and logs a change between working and failing writes.
func (h *writeHealth) record(now time.Time, err error) {
	h.checkedAt = now
	switch {
	case err != nil:
		h.err, h.faultAt = err, now
	case h.faultAt.IsZero() || now.Sub(h.faultAt) >= writeFaultHold:
		h.err = nil
	}
	switch {
	case h.err != nil && !h.down:
		h.down, h.downAt = true, now
		var he *healthError
		var under error
		if errors.As(h.err, &he) {
			under = he.err
		}
		h.log.Error("database not writable: readiness fails until writes work again", "cause", h.err.Error(), "err", under)
	case h.err == nil && h.down:
		h.down = false
		h.log.Info("database writable again: ready", "after", now.Sub(h.downAt).Round(time.Second))
	}
}

// probeWrites checks that the database takes a write: on the embedded server, enough free space
// under the data folder; then an insert and a delete by _id in the probe collection.
func (s *Store) probeWrites(ctx context.Context) error {
	if s.embedded != nil {
		dir := filepath.Join(s.embedded.dataDir, "db")
		if err := probeFolder(dir); err != nil {
			return err
		}
	}
	c := s.db.Collection(probeCollection)
	id := s.health().probe
	_, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil && !IsDuplicate(err) { // a duplicate: a probe whose delete failed left it
		return probeError(ctx, "insert", err)
	}
	if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return probeError(ctx, "delete", err)
	}
	return nil
}

func probeError(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return &healthError{kind: ErrNotWritable, cause: fmt.Sprintf("a test write did not finish within %s", probeTimeout),
			err: fmt.Errorf("probe %s: %w", op, err)}
	case mongo.IsNetworkError(err) || errors.Is(err, mongo.ErrClientDisconnected) || isServerSelection(err):
		return &healthError{kind: ErrUnreachable, cause: "no answer", err: fmt.Errorf("probe %s: %w", op, err)}
	}
	return notWritable(fmt.Errorf("probe %s: %w", op, err))
}

func isServerSelection(err error) bool {
	return strings.Contains(err.Error(), "server selection error")
}

// notWritable wraps a write's error in ErrNotWritable with its cause in plain words.
func notWritable(err error) error {
	msg := err.Error()
	cause := "writes fail"
	switch {
	case errors.Is(err, syscall.EROFS) || strings.Contains(msg, "readonly database") || strings.Contains(msg, "read-only file system"):
		cause = "the data folder is read-only"
	case errors.Is(err, syscall.ENOSPC) || strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "no space left"):
		cause = "the disk is full"
	case IsDamaged(err):
		cause = "the database file is damaged"
	case strings.Contains(msg, "unable to open database file") || strings.Contains(msg, "disk I/O error"):
		cause = "the database file cannot be written (I/O error, or it was removed)"
	}
	return &healthError{kind: ErrNotWritable, cause: cause, err: err}
}

// healthError is ErrNotWritable or ErrUnreachable with a cause in plain words; its text is the
// kind and the cause (the underlying error, which can be long, is logged).
type healthError struct {
	kind  error
	cause string
	err   error
}

func (e *healthError) Error() string { return e.kind.Error() + ": " + e.cause }

// Unwrap returns the kind and the underlying error.
func (e *healthError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

// isWriteFault reports whether a write's error says the database does not take writes: the disk is
// full or read-only, the file cannot be written or is damaged, the server does not answer. Other
// errors (a duplicate key, a timeout, an invalid document) say nothing about the disk.
func isWriteFault(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || mongo.IsTimeout(err) {
		return false
	}
	if errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) || IsDamaged(err) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"disk I/O error", "database or disk is full", "readonly database", "read-only file system",
		"unable to open database file", "no space left", "NotWritablePrimary", "not primary"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// probeFolder checks that the embedded server's folder takes a write: enough free space, and a
// small file can be created there (SQLite says only "disk I/O error" when the disk has turned
// read-only).
func probeFolder(dir string) error {
	fs, err := statFS(dir)
	if err == nil && fs.free < minFreeBytes {
		return &healthError{kind: ErrNotWritable, cause: "the disk is full", err: fmt.Errorf("%d bytes free under %s", fs.free, dir)}
	}
	if err == nil && fs.readOnly {
		return &healthError{kind: ErrNotWritable, cause: "the data folder is read-only", err: fmt.Errorf("%s is mounted read-only", dir)}
	}
	name := filepath.Join(dir, ".write-probe")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err == nil {
		_, err = f.Write([]byte{'x'})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if rerr := os.Remove(name); err == nil {
			err = rerr
		}
	}
	if err == nil {
		return nil
	}
	cause := "the data folder cannot be written"
	switch {
	case errors.Is(err, syscall.EROFS):
		cause = "the data folder is read-only"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		cause = "the disk is full"
	case errors.Is(err, os.ErrPermission):
		cause = "the data folder is not writable (permissions)"
	case errors.Is(err, os.ErrNotExist):
		cause = "the data folder is gone"
	}
	return &healthError{kind: ErrNotWritable, cause: cause, err: err}
}

// fsState is what statFS tells of a file system.
type fsState struct {
	readOnly bool
	free     uint64 // bytes this process may still use
}

// stReadOnly is statfs's ST_RDONLY flag (mounted read-only, also after the kernel turned it so on
// a disk error).
const stReadOnly = 1

// statFS returns the state of the file system holding dir.
func statFS(dir string) (fsState, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fsState{}, err
	}
	blocks := st.Bavail
	if os.Geteuid() == 0 {
		blocks = st.Bfree // root may use the reserved blocks
	}
	return fsState{readOnly: st.Flags&stReadOnly != 0, free: blocks * uint64(st.Bsize)}, nil
}
