package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// LoadToken returns the WeChat access token shared by all instances, or "" when none is stored.
func (s *Store) LoadToken(ctx context.Context, appID string) (string, time.Time, error) {
	var doc struct {
		Token   string    `bson:"token"`
		Expires time.Time `bson:"expires"`
	}
	err := s.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: appID}}).Decode(&doc)
	if notFound(err) == ErrNotFound {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("load access token: %w", err)
	}
	return doc.Token, doc.Expires, nil
}

// SaveToken stores the access token for all instances.
func (s *Store) SaveToken(ctx context.Context, appID, token string, expires time.Time) error {
	_, err := s.tokens.ReplaceOne(ctx, bson.D{{Key: "_id", Value: appID}},
		bson.D{{Key: "_id", Value: appID}, {Key: "token", Value: token}, {Key: "expires", Value: expires}},
		options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save access token: %w", err)
	}
	return nil
}

// DropToken removes the stored access token if it is still token.
func (s *Store) DropToken(ctx context.Context, appID, token string) error {
	if _, err := s.tokens.DeleteOne(ctx, bson.D{{Key: "_id", Value: appID}, {Key: "token", Value: token}}); err != nil {
		return fmt.Errorf("drop access token: %w", err)
	}
	return nil
}
