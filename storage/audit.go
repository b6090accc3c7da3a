package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// AuditEntry is one action taken in the console (or by the system on its behalf): who, when,
// what, on what, and the values before and after. Entries are only ever inserted.
type AuditEntry struct {
	ID     bson.ObjectID `bson:"_id" json:"-"`
	At     time.Time     `bson:"at" json:"at"`
	User   string        `bson:"user" json:"user"`
	Action string        `bson:"action" json:"action"`
	// TargetType is "case", "conversation", "user" or "session"; Target its case number,
	// openid or user name.
	TargetType string `bson:"target_type" json:"target_type"`
	Target     string `bson:"target" json:"target"`
	// Branch is the branch the target belonged to, so supervisors read their branches' trail.
	Branch string `bson:"branch,omitempty" json:"branch,omitempty"`
	Before string `bson:"before,omitempty" json:"before,omitempty"`
	After  string `bson:"after,omitempty" json:"after,omitempty"`
	Addr   string `bson:"addr,omitempty" json:"-"`
}

func init() {
	addIndex("audit", false, "target_type", 1, "target", 1, "at", -1)
	addIndex("audit", false, "at", -1)
}

// Audit records the entry.
func (s *Store) Audit(ctx context.Context, e *AuditEntry) error {
	if e.ID.IsZero() {
		e.ID = bson.NewObjectID()
	}
	if _, err := s.db.Collection("audit").InsertOne(ctx, e); err != nil {
		return fmt.Errorf("write audit trail: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	TargetType, Target, User string
	// Branches limits the entries to these branches (nil = all).
	Branches []string
	Limit    int
}

// AuditLog returns the newest entries matching f.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	ctx, stop := s.scanContext(ctx)
	defer stop()
	filter := bson.D{}
	if f.TargetType != "" {
		filter = append(filter, bson.E{Key: "target_type", Value: f.TargetType})
	}
	if f.Target != "" {
		filter = append(filter, bson.E{Key: "target", Value: f.Target})
	}
	if f.User != "" {
		filter = append(filter, bson.E{Key: "user", Value: f.User})
	}
	if f.Branches != nil {
		filter = append(filter, bson.E{Key: "branch", Value: bson.D{{Key: "$in", Value: f.Branches}}})
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	cur, err := s.ScanCollection("audit").Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(f.Limit)))
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	var out []AuditEntry
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	return out, nil
}
