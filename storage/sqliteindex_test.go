package storage_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage/storagetest"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Lookups by _id on the embedded server have an index they can use (FerretDB's own _id index is
// on an expression its queries do not match), also for collections created after start, and the
// collections carry no index the embedded server would only maintain.
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
		if want := "USING INDEX " + table + "__id_"; !strings.Contains(plan, want) {
			t.Errorf("%s: plan %q does not use %s", coll, plan, want)
		}
		// Every write maintains every index, and the embedded server answers no query from a
		// secondary one: only _id and the unique constraints are there.
		irows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`, table)
		if err != nil {
			t.Fatal(err)
		}
		for irows.Next() {
			var name, def string
			_ = irows.Scan(&name, &def)
			if !strings.HasPrefix(def, "CREATE UNIQUE INDEX") {
				t.Errorf("%s: index %s is not unique, so it only slows writes: %s", coll, name, def)
			}
		}
		irows.Close()
	}
	// The rebuilt _id index still refuses a second document with the same _id, as a duplicate
	// key error that the code can recognise.
	_, err = st.Collection("late_arrival").InsertOne(ctx, bson.D{{Key: "_id", Value: "x"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("second insert of _id x: %v, want a duplicate key error", err)
	}
}

// A data folder written by an earlier version (FerretDB's own _id index, a second index on the
// lookup expression, secondary indexes) is brought to the same indexes on start, with its data.
func TestEmbeddedIndexesOfAnEarlierVersionAreReplaced(t *testing.T) {
	dir := t.TempDir()
	st := storagetest.OpenDir(t, dir)
	if !st.Embedded() {
		t.Skip("embedded server only")
	}
	ctx := context.Background()
	turns := st.Collection("turns")
	if _, err := turns.InsertOne(ctx, bson.D{{Key: "_id", Value: "o1#000000000001"}, {Key: "openid", Value: "o1"}, {Key: "dedupe", Value: "msg:1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := turns.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "openid", Value: 1}, {Key: "version", Value: -1}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "db", "complaintbot_test.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'turns'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX "` + table + `__id_"`,
		`CREATE UNIQUE INDEX "` + table + `__id_" ON "` + table + `" (_ferretdb_sjson->"_id")`,
		`CREATE INDEX "` + table + `_complaintbot_id" ON "` + table + `" (_ferretdb_sjson->'$._id')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	st = storagetest.OpenDir(t, dir)
	var defs []string
	rows, err := db.Query(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var def string
		_ = rows.Scan(&def)
		defs = append(defs, def)
	}
	rows.Close()
	want := []string{
		`CREATE UNIQUE INDEX "` + table + `__id_" ON "` + table + `" (_ferretdb_sjson->'$._id')`,
		`CREATE UNIQUE INDEX "` + table + `_dedupe_1" ON "` + table + `" (_ferretdb_sjson->"dedupe")`,
	}
	if strings.Join(defs, "\n") != strings.Join(want, "\n") {
		t.Errorf("indexes of turns after the upgrade:\n%s\nwant:\n%s", strings.Join(defs, "\n"), strings.Join(want, "\n"))
	}
	tn, err := st.Turn(ctx, "o1#000000000001")
	if err != nil || tn.OpenID != "o1" {
		t.Fatalf("the turn written before the upgrade: %+v, %v", tn, err)
	}
	_, err = st.Collection("turns").InsertOne(ctx, bson.D{{Key: "_id", Value: "o1#000000000001"}, {Key: "dedupe", Value: "msg:2"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("second turn with the same _id: %v, want a duplicate key error", err)
	}
}
