package console_test

import (
	"context"
	"fmt"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A damaged database page found while running makes the exports fail visibly (HTTP 500 with a
// plain message), never a short file with 200: the case export and the report's case list.
func TestExportsFailOnADamagedDatabasePage(t *testing.T) {
	t.Parallel()
	if os.Getenv("COMPLAINTBOT_TEST_MONGODB_URI") != "" {
		t.Skip("damages the embedded server's file")
	}
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差")
	ctx := context.Background()
	st := e.App.Store
	var doc bson.M
	if err := st.Collection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: number}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// 600 more cases like it, so that the cases (and their report facts) fill many pages.
	const n = 600
	docs := make([]any, n)
	for i := range docs {
		c := bson.M{}
		for k, v := range doc {
			c[k] = v
		}
		c["_id"] = fmt.Sprintf("TS20261127-%04d", 100+i)
		c["source_turn"] = fmt.Sprintf("seed-%d", i)
		fields := bson.D{}
		for _, e := range doc["fields"].(bson.D) {
			if e.Key != "description" {
				fields = append(fields, e)
			}
		}
		fields = append(fields, bson.E{Key: "description", Value: fmt.Sprintf("page-marker-%05d %s", i, strings.Repeat("柜员态度很差，让我在窗口等了一个小时也没人理", 8))})
		c["fields"] = fields
		docs[i] = c
	}
	if _, err := st.Collection("cases").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Console.Reports().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	const report = "/api/v1/reports/cases.csv?from=2026-11-01&to=2026-11-30"
	alice, sue := e.login("alice"), e.token("sue")
	if status, body := alice.do("GET", "/export/cases.csv", nil); status != 200 || strings.Count(body, "\n") != n+2 {
		t.Fatalf("case export before the damage: %d, %d lines", status, strings.Count(body, "\n"))
	}
	if status, body := sue.do("GET", report, nil); status != 200 || strings.Count(body, "\n") != n+2 {
		t.Fatalf("report export before the damage: %d, %d lines", status, strings.Count(body, "\n"))
	}

	// Every collection has its rebuilt _id index already (a start rebuilds it for collections
	// that appeared since, reading the table: on a damaged one that start is refused instead).
	if err := st.IndexEmbedded(ctx); err != nil {
		t.Fatal(err)
	}
	// A disk fault while stopped: pages in the middle of the cases and of the facts go bad, the
	// file keeps its size and time (so the start's quick checks pass and the full one is skipped).
	e.Stop()
	if pages := storagetest.DamagePages(t, filepath.Join(e.Dir, "db", "complaintbot.sqlite"), fmt.Sprintf("page-marker-%05d", n/2)); pages < 2 {
		t.Fatalf("the marker is on %d pages, want the case's and the fact's", pages)
	}
	e.Restart()
	e.url = e.App.ConsoleURL()
	alice, sue = e.login("alice"), e.token("sue")
	for _, c := range []struct {
		who  *client
		path string
	}{{alice, "/export/cases.csv"}, {sue, report}} {
		status, body := c.who.do("GET", c.path, nil)
		if status != 500 || !strings.Contains(body, "导出未完成") {
			t.Errorf("GET %s on a damaged page: %d, %d lines %.200s; want 500 saying the export did not finish",
				c.path, status, strings.Count(body, "\n"), body)
		}
	}
}
