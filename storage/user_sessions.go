package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Session is a logged-in console user: a browser (cookie) or an integration (bearer token). Only a
// hash of the secret token is stored.
type Session struct {
	// ID is the SHA-256 of the token, hex.
	ID   string `bson:"_id"`
	User string `bson:"user"`
	// Kind is "cookie" or "bearer".
	Kind string `bson:"kind"`
	// CSRF is the token a cookie session's forms and state-changing calls must carry.
	CSRF     string    `bson:"csrf"`
	Created  time.Time `bson:"created_at"`
	LastSeen time.Time `bson:"last_seen"`
	Addr     string    `bson:"addr,omitempty"`
}

func init() {
	addIndex("sessions", false, "user", 1)
	addIndex("sessions", false, "last_seen", 1)
	addIndex("login_attempts", false, "key", 1, "at", -1)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if _, err := s.db.Collection("sessions").InsertOne(ctx, sess); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session with the given id (token hash), or ErrNotFound.
func (s *Store) Session(ctx context.Context, id string) (*Session, error) {
	var sess Session
	if err := s.db.Collection("sessions").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sess); err != nil {
		return nil, fmt.Errorf("load session: %w", notFound(err))
	}
	return &sess, nil
}

// TouchSession records activity on the session at now.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.Collection("sessions").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen", Value: now}}}})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.Collection("sessions").DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of the user (after a password change or when disabled).
func (s *Store) DeleteUserSessions(ctx context.Context, user string) error {
	if _, err := s.db.Collection("sessions").DeleteMany(ctx, bson.D{{Key: "user", Value: user}}); err != nil {
		return fmt.Errorf("delete sessions of %s: %w", user, err)
	}
	return nil
}

// DeleteOtherSessions ends every session of the user but the one with id keep (after the user
// changed their own password in it).
func (s *Store) DeleteOtherSessions(ctx context.Context, user, keep string) error {
	filter := bson.D{{Key: "user", Value: user}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: keep}}}}
	if _, err := s.db.Collection("sessions").DeleteMany(ctx, filter); err != nil {
		return fmt.Errorf("delete the other sessions of %s: %w", user, err)
	}
	return nil
}

// PurgeSessions deletes the sessions idle since before, and the login attempts older than it.
func (s *Store) PurgeSessions(ctx context.Context, idleBefore, attemptsBefore time.Time) error {
	if _, err := s.deleteByTime(ctx, "sessions", "last_seen", purgeFrom, idleBefore, nil); err != nil {
		return fmt.Errorf("purge sessions: %w", err)
	}
	if _, err := s.deleteByTime(ctx, "login_attempts", "at", purgeFrom, attemptsBefore, nil); err != nil {
		return fmt.Errorf("purge login attempts: %w", err)
	}
	return nil
}

// LoginAttempt is one login try against a key ("user:NAME" or "addr:IP"), or an admin's unlock
// of the key (OK, with UnlockedBy).
type LoginAttempt struct {
	ID  bson.ObjectID `bson:"_id"`
	Key string        `bson:"key"`
	At  time.Time     `bson:"at"`
	OK  bool          `bson:"ok"`
	// User and Addr are the account tried and the address it was tried from (both keys of one try
	// carry both), so that unlocking an account can unlock the addresses its failures locked.
	User string `bson:"user,omitempty"`
	Addr string `bson:"addr,omitempty"`
	// UnlockedBy is the admin who unlocked the key.
	UnlockedBy string `bson:"unlocked_by,omitempty"`
}

// RecordLogin records a login try for every key (insert only, so concurrent tries all count).
func (s *Store) RecordLogin(ctx context.Context, keys []string, ok bool, at time.Time) error {
	var user, addr string
	for _, k := range keys {
		if v, found := strings.CutPrefix(k, "user:"); found {
			user = v
		} else if v, found := strings.CutPrefix(k, "addr:"); found {
			addr = v
		}
	}
	docs := make([]any, 0, len(keys))
	for _, k := range keys {
		docs = append(docs, LoginAttempt{ID: bson.NewObjectID(), Key: k, At: at, OK: ok, User: user, Addr: addr})
	}
	if _, err := s.db.Collection("login_attempts").InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("record login attempt: %w", err)
	}
	return nil
}

// UnlockLogins ends the lock-out of the keys at time at: a successful entry for each, so the
// failures before it no longer count (insert only, like every try).
func (s *Store) UnlockLogins(ctx context.Context, keys []string, by string, at time.Time) error {
	docs := make([]any, 0, len(keys))
	for _, k := range keys {
		docs = append(docs, LoginAttempt{ID: bson.NewObjectID(), Key: k, At: at, OK: true, UnlockedBy: by})
	}
	if _, err := s.db.Collection("login_attempts").InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("unlock logins: %w", err)
	}
	return nil
}

// LoginAttempts returns the key's tries since since, newest first, at most limit.
func (s *Store) LoginAttempts(ctx context.Context, key string, since time.Time, limit int) ([]LoginAttempt, error) {
	filter := bson.D{{Key: "key", Value: key}, {Key: "at", Value: bson.D{{Key: "$gte", Value: since}}}}
	return s.loginAttempts(ctx, filter, limit)
}

// LoginAttemptsSince returns every key's tries since since, newest first, at most limit (the
// console's user list shows which accounts are locked out).
func (s *Store) LoginAttemptsSince(ctx context.Context, since time.Time, limit int) ([]LoginAttempt, error) {
	return s.loginAttempts(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: since}}}}, limit)
}

func (s *Store) loginAttempts(ctx context.Context, filter bson.D, limit int) ([]LoginAttempt, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("login_attempts").Find(ctx, filter, // not on the customers' connection: it filters on more than _id
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("read login attempts: %w", err)
	}
	var out []LoginAttempt
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read login attempts: %w", err)
	}
	return out, nil
}
