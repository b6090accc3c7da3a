package console_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/complaintbot/complaintbot/storage"
)

var (
	nextPageLink = regexp.MustCompile(`href="([^"]*)" id="next-page"`)
	exportLink   = regexp.MustCompile(`href="([^"]*)" id="export"`)
	caseLink     = regexp.MustCompile(`<a href="/cases/((?:TS|JY|BY)\d{8}-\d{4,})">`)
	assigneeOpts = regexp.MustCompile(`(?s)<select name="assignee">(.*?)</select>`)
)

// casesOn returns the case numbers a case list page shows.
func casesOn(body string) []string {
	var out []string
	for _, m := range caseLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The case list's links keep the filters: 下一页 shows the next page of the same list, and 导出 CSV
// exports what the list shows, not every case.
func TestCaseListPagesAndExportKeepTheFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var numbers []string
	for i := range 51 {
		numbers = append(numbers, e.registerCase(fmt.Sprintf("oPagerCustomer%04d", i), "城东支行", "柜员态度很差"))
	}
	alice := e.login("alice")

	status, body := alice.do("GET", "/cases?kind=complaint", nil)
	if status != 200 {
		t.Fatalf("case list: %d", status)
	}
	first := casesOn(body)
	if len(first) != 50 {
		t.Fatalf("page 1 shows %d cases, want 50", len(first))
	}
	m := nextPageLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no 下一页 link on a list of 51 cases")
	}
	next := html.UnescapeString(m[1])
	if !strings.Contains(next, "p=2") || !strings.Contains(next, "kind=complaint") {
		t.Fatalf("下一页 links to %q: not page 2 of the same list", next)
	}
	status, body = alice.do("GET", next, nil)
	second := casesOn(body)
	if status != 200 || len(second) != 1 || second[0] != numbers[0] {
		t.Fatalf("page 2 (%s): %d, shows %v; want only the oldest case %s", next, status, second, numbers[0])
	}

	// A search for one case: the export link exports that case only.
	_, body = alice.do("GET", "/cases?q="+numbers[7], nil)
	if got := casesOn(body); len(got) != 1 || got[0] != numbers[7] {
		t.Fatalf("search for %s shows %v", numbers[7], got)
	}
	m = exportLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no 导出 CSV link")
	}
	status, csv := alice.do("GET", html.UnescapeString(m[1]), nil)
	if status != 200 || !strings.Contains(csv, numbers[7]) || strings.Contains(csv, numbers[8]) {
		t.Fatalf("export of the search (%s): %d\n%s", m[1], status, csv)
	}
}

// The assignee filter offers an agent the accounts in use of their own branches only.
func TestAssigneeFilterOffersOnlyTheBranchsAccountsInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	yes := true
	if err := e.App.Store.UpdateUser(context.Background(), "bob", storage.UserChange{Disabled: &yes}, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	options := func(user string) string {
		t.Helper()
		_, body := e.login(user).do("GET", "/cases", nil)
		m := assigneeOpts.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no assignee filter", user)
		}
		return m[1]
	}
	carol := options("carol")
	for _, name := range []string{"王丽", "李强", "苏主管"} {
		if strings.Contains(carol, name) {
			t.Errorf("carol (0201) is offered %s of 0101: %s", name, carol)
		}
	}
	if !strings.Contains(carol, "陈静") {
		t.Errorf("carol is not offered herself: %s", carol)
	}
	alice := options("alice")
	if !strings.Contains(alice, "王丽") || !strings.Contains(alice, "苏主管") || strings.Contains(alice, "李强") || strings.Contains(alice, "陈静") {
		t.Errorf("alice (0101) should see 王丽 and 苏主管, not the disabled 李强 or 0201's 陈静: %s", alice)
	}
}
