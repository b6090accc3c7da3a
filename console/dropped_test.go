package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// breakAudit makes an audit entry of the action on the target written at the clock's time now
// collide with one already there, so that it cannot be written. (Entries of one action on one
// target at one time must not be in the trail already: move the clock between two logins.)
func (e *env) breakAudit(action, target string) {
	e.t.Helper()
	ctx := context.Background()
	audit := e.App.Store.Collection("audit")
	if _, err := audit.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "action", Value: 1}, {Key: "target", Value: 1}, {Key: "at", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("break_audit")}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := audit.InsertOne(ctx, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "action", Value: action}, {Key: "target", Value: target},
		{Key: "at", Value: e.Clock.Now()}}); err != nil {
		e.t.Fatal(err)
	}
}

// A logout that fails says so, and the session (cookie or token) still works: the user is not
// left believing they logged out.
func TestAFailedLogoutIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.login("bob")
	e.Clock.Advance(time.Second)
	tok := e.token("bob")
	e.Clock.Advance(time.Second)
	e.breakAudit("logout", "bob")
	status, body := c.do("POST", "/logout", url.Values{})
	if status != http.StatusInternalServerError || !strings.Contains(body, "退出登录失败") {
		t.Fatalf("failed logout page: %d", status)
	}
	if st, _ := c.do("GET", "/inbox", nil); st != 200 {
		t.Fatalf("the cookie after the failed logout: %d", st)
	}
	if st, body := tok.do("DELETE", "/api/v1/session", nil); st != http.StatusInternalServerError || !strings.Contains(body, "退出登录失败") {
		t.Fatalf("failed api logout: %d %s", st, body)
	}
	if st, _ := tok.do("GET", "/api/v1/me", nil); st != 200 {
		t.Fatalf("the token after the failed logout: %d", st)
	}
}

// A JSON body that is not valid JSON is refused with a plain error, not read as no parameters
// (an action that needs none would go ahead).
func TestAMalformedJSONBodyIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root := e.token("root")
	status, body := root.request("POST", "/api/v1/users/sue/disable", strings.NewReader(`{"reason": "left`), "application/json")
	if status != http.StatusBadRequest || !strings.Contains(body, `"error"`) || !strings.Contains(body, "JSON") {
		t.Fatalf("malformed body: %d %s", status, body)
	}
	if st, _ := e.token("sue").do("GET", "/api/v1/me", nil); st != 200 {
		t.Fatalf("sue was disabled by a malformed request: %d", st)
	}
	// An empty body is no parameters, as before.
	if st, body := root.request("POST", "/api/v1/users/sue/unlock", nil, "application/json"); st != 200 {
		t.Fatalf("empty body: %d %s", st, body)
	}
}

// An export whose audit entry cannot be written is not sent.
func TestNoExportWithoutItsAuditEntry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	sue := e.token("sue")
	e.breakAudit("case.export", "")
	status, body := sue.do("GET", "/api/v1/export/cases.csv", nil)
	if status != http.StatusInternalServerError || strings.Contains(body, "案件编号") || !strings.Contains(body, "操作记录无法写入") {
		t.Fatalf("export without its audit entry: %d %.200s", status, body)
	}
}
