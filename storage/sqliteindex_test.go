package storage_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Lookups by _id on the embedded server have an index they can use (FerretDB's own _id index is
// on an expression its queries do not match), also for collections created after start.
func TestEmbeddedIDLookupsAreIndexed(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	if !st.Embedded() {
		t.Skip("MongoDB indexes _id itself")
	}
	ctx := context.Background()
	if _, err := st.Collection("late_arrival").InsertOne(ctx, bson.D{{Key: "_id", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.IndexEmbedded(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "db", "complaintbot_test.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, coll := range []string{"turns", "cases", "outbox", "late_arrival"} {
		var plan string
		var table string
		if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = ?`, coll).Scan(&table); err != nil {
			t.Fatalf("%s: %v", coll, err)
		}
		// The query FerretDB runs for findOne({_id}), as SQLite would plan it.
		rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"x"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			_ = rows.Scan(&id, &parent, &unused, &detail)
			plan += detail + ";"
		}
		rows.Close()
		if want := "USING INDEX " + table + "_complaintbot_id"; !strings.Contains(plan, want) {
			t.Errorf("%s: plan %q does not use %s", coll, plan, want)
		}
	}
}
