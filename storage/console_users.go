package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Role says what a console user may do.
type Role string

// The console roles, from the least to the most rights.
const (
	RoleAgent      Role = "agent"      // works conversations and cases of their branches
	RoleSupervisor Role = "supervisor" // also reads their branches' reports and the audit trail
	RoleAdmin      Role = "admin"      // also manages users
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleSupervisor || r == RoleAdmin }

// AtLeast reports whether r has the rights of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Label returns the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case RoleAgent:
		return "坐席"
	case RoleSupervisor:
		return "主管"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// HeadOffice is the branch code that binds a user to head office (总行): they see every branch,
// and the conversations and cases that concern no branch.
const HeadOffice = "HQ"

// User is a console account.
type User struct {
	// Name is the login name; it is also the document id.
	Name        string `bson:"_id" json:"username"`
	DisplayName string `bson:"display_name" json:"display_name"`
	Role        Role   `bson:"role" json:"role"`
	// Branches lists the branch codes the user works for; HeadOffice means all of them.
	Branches     []string  `bson:"branches" json:"branches"`
	PasswordHash string    `bson:"password_hash" json:"-"`
	Disabled     bool      `bson:"disabled" json:"disabled"`
	Created      time.Time `bson:"created_at" json:"created_at"`
	Updated      time.Time `bson:"updated_at" json:"updated_at"`
}

// HeadOffice reports whether the user works for head office (sees every branch).
func (u *User) HeadOffice() bool { return slices.Contains(u.Branches, HeadOffice) }

// Covers reports whether the user may see what concerns the branch code; "" (no branch known)
// and complaintbot.NoBranchCode are head office's only.
func (u *User) Covers(branch string) bool {
	if u.HeadOffice() {
		return true
	}
	return branch != "" && branch != HeadOffice && slices.Contains(u.Branches, branch)
}

// Label returns the name to show for the user.
func (u *User) Label() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

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
	cur, err := s.db.Collection("users").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(5000))
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
	Disabled     *bool
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
