package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/textnorm"
)

// Conversation search (搜索): the lines customers and agents wrote, found by any part of them (a
// phone number's last digits, a word, a case number) through the store's search index
// (storage.Store.SearchLines), and shown only as far as the user may see them: every hit's
// conversation is read through handoffs.ViewFor, the one rule of who sees which session, and a
// hit is kept only if its line is among the lines the user sees, with the text it has now (a line
// erased or blanked since it was indexed is not shown). GET /search?q= is the page, GET
// /api/v1/search?q= the same as JSON.

// Bounds of one search: how many index hits it reads, how many conversations it reads through
// ViewFor (each reads the conversation's newest viewLimit lines by _id), how many rows it shows
// of one conversation and in all, and how long it waits for the index to catch up first.
const (
	searchHits    = 500
	searchConvs   = 12
	searchPerConv = 3
	searchRows    = 30
	searchCatchUp = 2 * time.Second
)

// SearchRow is one line that matched, as the user may see it.
type SearchRow struct {
	OpenID string `json:"openid"`
	// Masked is the customer as agents see them.
	Masked string `json:"customer"`
	// Session is the session the line belongs to; Cases the cases of that session.
	Session int      `json:"session"`
	Cases   []string `json:"cases"`
	// Branch is the branch of the session's case, or of the conversation when the user's.
	Branch string    `json:"branch"`
	At     time.Time `json:"at"`
	// Dir is in (the customer), out (an agent or the service) or note (an internal note); Who
	// names the writer of the other lines.
	Dir string `json:"dir"`
	Who string `json:"who,omitempty"`
	// Before, Match and After are the snippet: the match and a little text on each side, with
	// invisible controls shown (textnorm.Visible).
	Before string `json:"before"`
	Match  string `json:"match"`
	After  string `json:"after"`
	// Link is the conversation's page.
	Link string `json:"link"`
}

// DirLabel says who wrote the line.
func (r SearchRow) DirLabel() string {
	switch storage.Direction(r.Dir) {
	case storage.Inbound:
		return "客户"
	case storage.Note:
		return "备注"
	}
	return "回复"
}

// SearchPage is the answer to one search.
type SearchPage struct {
	Query string      `json:"query"`
	Rows  []SearchRow `json:"results"`
	// Behind says the index is still reading older conversations: some may be missing.
	Behind bool `json:"behind"`
	// More says that more conversations matched than one search reads: narrow the search.
	More bool `json:"more"`
}

var (
	errSearchEmpty    = invalid("请输入要查找的内容：手机号码、案件编号或客户、坐席写过的文字。")
	errSearchTooShort = invalid("每个搜索词至少要有两个汉字、字母或数字。")
	errSearchTooLong  = invalid("搜索词太多或太长：最多 5 个词，每个词不超过 40 个字。")
)

// snippetContext is how many characters a snippet shows on each side of the match.
const snippetContext = 20

// Search finds the lines holding every word of q that u may see, newest first.
func (c *Console) Search(ctx context.Context, u *storage.User, q string) (*SearchPage, error) {
	q = strings.TrimSpace(q)
	page := &SearchPage{Query: q, Rows: []SearchRow{}}
	if q == "" {
		return page, errSearchEmpty
	}
	res, err := c.store.SearchLines(ctx, q, searchHits, searchCatchUp)
	switch {
	case errors.Is(err, storage.ErrSearchTooShort):
		return page, errSearchTooShort
	case errors.Is(err, storage.ErrSearchTooLong):
		return page, errSearchTooLong
	case err != nil:
		return page, err
	}
	page.Behind = res.Behind
	var order []string
	byConv := map[string][]storage.SearchHit{}
	for _, h := range res.Hits {
		if _, ok := byConv[h.OpenID]; !ok {
			order = append(order, h.OpenID)
		}
		byConv[h.OpenID] = append(byConv[h.OpenID], h)
	}
	if len(order) > searchConvs {
		order, page.More = order[:searchConvs], true
	}
	label := c.labeler(ctx)
	var numbers []string
	for _, openID := range order {
		rows, err := c.searchConversation(ctx, u, openID, byConv[openID], q, label)
		if err != nil {
			return page, err
		}
		for _, r := range rows {
			numbers = append(numbers, r.Cases...)
		}
		page.Rows = append(page.Rows, rows...)
		if len(page.Rows) >= searchRows {
			page.Rows, page.More = page.Rows[:searchRows], true
			break
		}
	}
	if err := c.searchBranches(ctx, u, page.Rows, numbers); err != nil {
		return page, err
	}
	return page, nil
}

// searchConversation returns the rows of the hits in one customer's conversation that u may see.
func (c *Console) searchConversation(ctx context.Context, u *storage.User, openID string, hits []storage.SearchHit, q string, label *labeler) ([]SearchRow, error) {
	hv, err := c.handoffs.Conversation(ctx, openID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	view, err := c.handoffs.ViewFor(ctx, u, hv, viewLimit)
	if err != nil {
		return nil, err
	}
	// The lines u sees, with the session each belongs to (a line between turns follows the
	// session before it).
	type seen struct {
		line    handoffs.Line
		session int
	}
	lines := make(map[string]seen, len(view.Lines))
	session := 0
	for _, l := range view.Lines {
		if l.FromTurn {
			session = l.Session
		}
		lines[l.ID] = seen{l, session}
	}
	var rows []SearchRow
	for _, h := range hits {
		s, ok := lines[h.Line]
		if !ok {
			continue
		}
		cases := view.Cases[s.session]
		before, match, after, ok := storage.SearchMatch(s.line.Text, q)
		if !ok {
			// Found by the number of a case the line registered: that case must be one u sees.
			if !slices.ContainsFunc(h.Cases, func(n string) bool {
				_, _, _, found := storage.SearchMatch(n, q)
				return found && slices.Contains(cases, n)
			}) {
				continue
			}
			before, match, after = "", strings.Join(h.Cases, " "), ""
			if s.line.Text != "" {
				after = "　" + s.line.Text
			}
		}
		r := SearchRow{OpenID: openID, Masked: mask(openID), Session: s.session, Cases: slices.Clone(cases), At: s.line.At, Dir: string(s.line.Dir),
			Before: textnorm.Visible(tail(before, snippetContext)), Match: textnorm.Visible(match), After: textnorm.Visible(runes(after, snippetContext)),
			Link: "/conversations/" + url.PathEscape(openID)}
		if r.Cases == nil {
			r.Cases = []string{}
		}
		if s.line.Dir != storage.Inbound && s.line.By != "" {
			r.Who = s.line.By
			if s.line.By != complaintbot.BotUser && s.line.By != complaintbot.SystemUser {
				r.Who = label.of(s.line.By)
			}
		}
		if u.Covers(hv.BranchCode) {
			r.Branch = c.branchName(hv.BranchCode)
		}
		rows = append(rows, r)
		if len(rows) == searchPerConv {
			break
		}
	}
	return rows, nil
}

// searchBranches names each row's branch by its session's first case, where it has one.
func (c *Console) searchBranches(ctx context.Context, u *storage.User, rows []SearchRow, numbers []string) error {
	if len(numbers) == 0 {
		return nil
	}
	slices.Sort(numbers)
	numbers = slices.Compact(numbers)
	cs, err := c.store.CaseSummaries(ctx, numbers, len(numbers))
	if err != nil {
		return err
	}
	branch := map[string]string{}
	for _, s := range cs {
		if u.Covers(s.Branch.Code) {
			branch[s.Number] = s.Branch.Name
		}
	}
	for i := range rows {
		if len(rows[i].Cases) > 0 {
			if b, ok := branch[rows[i].Cases[0]]; ok {
				rows[i].Branch = b
			}
		}
	}
	return nil
}

// tail returns the last n characters of s, marked as cut when longer.
func tail(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return "…" + string(rs[len(rs)-n:])
}

// registerSearch adds the search page to the logged-in group p and its API to a.
func (c *Console) registerSearch(p, a gin.IRoutes) {
	p.GET("/search", c.searchPage)
	a.GET("/search", c.apiSearch)
}

// searchPage answers GET /search?q=: the search box, and the results of q when given.
func (c *Console) searchPage(g *gin.Context) {
	who := actorOf(g)
	q := g.Query("q")
	v := c.newView(g, "搜索", "search", nil)
	data := struct {
		*SearchPage
		Message string
	}{}
	page, err := c.Search(g.Request.Context(), who.user, q)
	data.SearchPage = page
	status := http.StatusOK
	switch {
	case err == errSearchEmpty && strings.TrimSpace(q) == "" && !g.Request.URL.Query().Has("q"):
		// the page opened without a search: just the box
	case err != nil:
		status, data.Message = c.userError(err)
		if status >= http.StatusInternalServerError {
			c.pageError(g, err)
			return
		}
	}
	v.Data = data
	c.render(g, status, "search", v, nil)
}

// apiSearch answers GET /api/v1/search?q=.
func (c *Console) apiSearch(g *gin.Context) {
	page, err := c.Search(g.Request.Context(), actorOf(g).user, g.Query("q"))
	if err != nil {
		c.apiError(g, err)
		return
	}
	g.JSON(http.StatusOK, page)
}
