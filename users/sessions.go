package users

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// Session kinds.
const (
	Cookie = "cookie" // a browser: the token is in a cookie, state changes carry the CSRF token
	Bearer = "bearer" // an integration: the token is in the Authorization header
)

// touchEvery limits how often a session's last activity is written.
const touchEvery = time.Minute

// MaxSessionAge ends a session however active it is.
const MaxSessionAge = 12 * time.Hour

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// lockedAt applies the lock-out rule to a key's tries, newest first: max failures in a row (no
// success in between) within lockout lock it until the oldest of them is lockout old.
func lockedAt(att []storage.LoginAttempt, max int, lockout time.Duration) time.Time {
	if len(att) < max {
		return time.Time{}
	}
	for _, a := range att[:max] {
		if a.OK {
			return time.Time{}
		}
	}
	return att[max-1].At.Add(lockout)
}

// lockedUntil tells whether the key (a user or an address) is locked out at now, and until when.
func (s *Service) lockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	max := s.cfg.LoginMaxFailures
	att, err := s.store.LoginAttempts(ctx, key, now.Add(-s.cfg.LoginLockout.D()), max)
	if err != nil {
		return time.Time{}, err
	}
	return lockedAt(att, max, s.cfg.LoginLockout.D()), nil
}

// refuseLocked answers LockedOut when any of the keys is locked out at now.
func (s *Service) refuseLocked(ctx context.Context, keys []string, now time.Time) error {
	for _, k := range keys {
		until, err := s.lockedUntil(ctx, k, now)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			s.log.Warn("console login refused: locked out", "key", strings.SplitN(k, ":", 2)[0])
			return refuse(LockedOut, fmt.Sprintf("登录失败次数过多，请于 %s 后再试。", until.In(complaintbot.Shanghai).Format("15:04")))
		}
	}
	return nil
}

// Login checks a user name and password tried from addr (the client's address). LoginMaxFailures
// failures in a row lock the account, and the address, for LoginLockout.
func (s *Service) Login(ctx context.Context, name, password, addr string) (*complaintbot.User, error) {
	now := s.clock.Now()
	name = strings.TrimSpace(strings.ToLower(name))
	keys := []string{"user:" + name, "addr:" + addr}
	if err := s.refuseLocked(ctx, keys, now); err != nil {
		return nil, err
	}
	u, err := s.store.UserByName(ctx, name)
	hash := string(dummyHash)
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	ok := passwordMatches(hash, password) && u != nil && !u.Disabled
	if err := s.store.RecordLogin(ctx, keys, ok, now); err != nil {
		return nil, err
	}
	who := complaintbot.Actor{User: &complaintbot.User{Name: name}, Addr: addr}
	if !ok {
		// The refusal stands whether or not its entry could be written (a failure is logged).
		_ = s.audit(ctx, who, "login.failed", "session", name, "", "")
		return nil, refuse(Unauthenticated, "用户名或密码错误，或账号已停用。")
	}
	if err := s.audit(ctx, who, "login", "session", name, "", ""); err != nil {
		return nil, err
	}
	s.purge(ctx, now)
	return u, nil
}

// purge drops idle sessions and old login attempts, at most once an hour per process.
func (s *Service) purge(ctx context.Context, now time.Time) {
	s.purgeMu.Lock()
	due := now.Sub(s.lastPurge) > time.Hour
	if due {
		s.lastPurge = now
	}
	s.purgeMu.Unlock()
	if !due {
		return
	}
	if err := s.store.PurgeSessions(ctx, now.Add(-s.cfg.SessionIdle.D()), now.Add(-24*time.Hour-s.cfg.LoginLockout.D())); err != nil {
		s.log.Error("purge sessions", "err", err)
	}
}

// NewSession starts a session of the given kind (Cookie or Bearer) for u, logged in from addr,
// and returns its secret token; only the token's hash is stored.
func (s *Service) NewSession(ctx context.Context, u *complaintbot.User, kind, addr string) (string, *storage.Session, error) {
	token := complaintbot.RandomToken(32)
	now := s.clock.Now()
	sess := &storage.Session{ID: hashToken(token), User: u.Name, Kind: kind, CSRF: complaintbot.RandomToken(24), Created: now, LastSeen: now, Addr: addr}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Session returns the live session with the token, of the kind it was presented as, and its
// user. A session idle for longer than session_idle, older than MaxSessionAge, or whose user is
// gone or disabled, ends. touch records the request as activity (a live stream does not keep a
// session alive).
func (s *Service) Session(ctx context.Context, token, kind string, touch bool) (*storage.Session, *complaintbot.User, error) {
	if token == "" {
		return nil, nil, ErrNoSession
	}
	sess, err := s.store.Session(ctx, hashToken(token))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && sess.Kind != kind) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now()
	if now.Sub(sess.LastSeen) > s.cfg.SessionIdle.D() || now.Sub(sess.Created) > MaxSessionAge {
		s.drop(ctx, sess, "expired")
		return nil, nil, refuse(Unauthenticated, "登录已过期，请重新登录。")
	}
	u, err := s.store.UserByName(ctx, sess.User)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		s.drop(ctx, sess, "user gone or disabled")
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if touch && now.Sub(sess.LastSeen) > touchEvery {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			s.log.Error("touch session", "user", sess.User, "err", err)
		}
	}
	return sess, u, nil
}

// drop deletes a session that is refused anyway; a failure is logged (the request is refused
// either way, and the purge removes it later).
func (s *Service) drop(ctx context.Context, sess *storage.Session, why string) {
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil {
		s.log.Error("delete a refused session", "user", sess.User, "why", why, "err", err)
	}
}

// EndSession ends the session with the id (a logout by by), written first to the audit trail.
// It returns an error when the entry could not be written or the session could not be deleted:
// the session then still works.
func (s *Service) EndSession(ctx context.Context, by complaintbot.Actor, id string) error {
	if err := s.audit(ctx, by, "logout", "session", by.Name(), "", ""); err != nil {
		return err
	}
	if err := s.store.DeleteSession(ctx, id); err != nil {
		return fmt.Errorf("log out %s: %w", by.Name(), err)
	}
	return nil
}

// Unlock ends an account's lock-out, and that of the addresses its recent failed logins came
// from (so its user can log in again from their own desk), at once.
func (s *Service) Unlock(ctx context.Context, by complaintbot.Actor, name string) error {
	if !by.Admin() {
		return errForbidden
	}
	if _, err := s.store.UserByName(ctx, name); err != nil {
		return err
	}
	now := s.clock.Now()
	att, err := s.store.LoginAttempts(ctx, "user:"+name, now.Add(-s.cfg.LoginLockout.D()), 100)
	if err != nil {
		return err
	}
	keys := []string{"user:" + name}
	seen := map[string]bool{}
	for _, a := range att {
		if !a.OK && a.Addr != "" && !seen[a.Addr] {
			seen[a.Addr] = true
			keys = append(keys, "addr:"+a.Addr)
		}
	}
	if err := s.audit(ctx, by, "user.unlock", "user", name, "", fmt.Sprintf("unlocked=%d", len(keys))); err != nil {
		return err
	}
	return s.store.UnlockLogins(ctx, keys, by.Name(), now)
}

// Locks returns the accounts locked out now, each with when its lock-out ends.
func (s *Service) Locks(ctx context.Context, by complaintbot.Actor) (map[string]time.Time, error) {
	if !by.Admin() {
		return nil, errForbidden
	}
	now, lockout := s.clock.Now(), s.cfg.LoginLockout.D()
	att, err := s.store.LoginAttemptsSince(ctx, now.Add(-lockout), 20000)
	if err != nil {
		return nil, err
	}
	byKey := map[string][]storage.LoginAttempt{}
	for _, a := range att {
		if strings.HasPrefix(a.Key, "user:") {
			byKey[a.Key] = append(byKey[a.Key], a)
		}
	}
	out := map[string]time.Time{}
	for k, l := range byKey {
		if until := lockedAt(l, s.cfg.LoginMaxFailures, lockout); until.After(now) {
			out[strings.TrimPrefix(k, "user:")] = until
		}
	}
	return out, nil
}
