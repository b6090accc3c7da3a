package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/complaintbot/complaintbot"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Role is the domain's console role (complaintbot.Role), named here for the callers that still
// say storage.Role.
type Role = complaintbot.Role

// The console roles (complaintbot.RoleAgent …).
const (
	RoleAgent      = complaintbot.RoleAgent
	RoleSupervisor = complaintbot.RoleSupervisor
	RoleAdmin      = complaintbot.RoleAdmin
)

// HeadOffice is complaintbot.HeadOffice, the branch code of head office.
const HeadOffice = complaintbot.HeadOffice

// User is the domain's console account (complaintbot.User), stored in the users collection with
// its name as the document id.
type User = complaintbot.User

func init() {
	addIndex("users", false, "role", 1)
}

// CreateUser inserts a new user; it returns an error for which IsDuplicate is true when the name is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if _, err := s.db.Collection("users").InsertOne(ctx, u); err != nil {
		if IsDuplicate(err) {
			return err
		}
		return fmt.Errorf("create user %s: %w", u.Name, err)
	}
	return nil
}

// UserByName returns the user, or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	var u User
	if err := s.db.Collection("users").FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&u); err != nil {
		return nil, fmt.Errorf("load user %s: %w", name, notFound(err))
	}
	return &u, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	cur, err := s.ScanCollection("users").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(5000))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var out []User
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// HasUsers reports whether any user exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	err := s.db.Collection("users").FindOne(ctx, bson.D{}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if notFound(err) == ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for users: %w", err)
	}
	return true, nil
}

// UserChange is a change to a user; nil fields stay as they are.
type UserChange struct {
	DisplayName  *string
	Role         *Role
	Branches     []string
	PasswordHash *string
	// MustChangePassword marks (or clears) a password someone else chose.
	MustChangePassword *bool
	Disabled           *bool
}

// UpdateUser applies the change at time now; it returns ErrNotFound for an unknown user.
func (s *Store) UpdateUser(ctx context.Context, name string, ch UserChange, now time.Time) error {
	set := bson.D{{Key: "updated_at", Value: now}}
	if ch.DisplayName != nil {
		set = append(set, bson.E{Key: "display_name", Value: *ch.DisplayName})
	}
	if ch.Role != nil {
		set = append(set, bson.E{Key: "role", Value: *ch.Role})
	}
	if ch.Branches != nil {
		set = append(set, bson.E{Key: "branches", Value: ch.Branches})
	}
	if ch.PasswordHash != nil {
		set = append(set, bson.E{Key: "password_hash", Value: *ch.PasswordHash})
	}
	if ch.MustChangePassword != nil {
		set = append(set, bson.E{Key: "must_change_password", Value: *ch.MustChangePassword})
	}
	if ch.Disabled != nil {
		set = append(set, bson.E{Key: "disabled", Value: *ch.Disabled})
	}
	res, err := s.db.Collection("users").UpdateOne(ctx, bson.D{{Key: "_id", Value: name}}, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return fmt.Errorf("update user %s: %w", name, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("update user %s: %w", name, ErrNotFound)
	}
	return nil
}
