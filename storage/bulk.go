package storage

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// maxUpdateStatements bounds the update statements (ReplaceOne, UpdateOne) of one bulk write.
// The embedded server (FerretDB 1.24) keeps each update statement's query open until the whole
// command ends, one SQLite connection each, from a pool of 100 per database shared with every
// other request: a bulk write of about a hundred updates waits for a connection that never
// frees, until the client's timeout. Deletes and inserts close theirs at once.
const maxUpdateStatements = 32

// bulkWrite runs the models as unordered bulk writes of at most maxUpdateStatements each (one
// command on MongoDB costs the same as several); an error names how many of the models were
// written before it.
func bulkWrite(ctx context.Context, c *mongo.Collection, models []mongo.WriteModel) error {
	for start := 0; start < len(models); start += maxUpdateStatements {
		end := min(start+maxUpdateStatements, len(models))
		if _, err := c.BulkWrite(ctx, models[start:end], options.BulkWrite().SetOrdered(false)); err != nil {
			return fmt.Errorf("bulk write (%d of %d done before): %w", start, len(models), err)
		}
	}
	return nil
}
