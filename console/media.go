package console

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/storage"
)

// The customers' pictures (see storage.Store.RequestMedia and scheduler.MediaFetcher) are shown to
// those who may see a conversation or a case that holds them, decided by the same checks as the
// conversation's and the case's pages: GET /media/{id}?conv={openid} or ?case={number} answers
// the picture, GET /media/{id}/tile?… the thumbnail (or what became of the picture) for a page.
// Through a conversation, the picture must be on a line of the sessions the user may see (among
// the conversation's newest lines the page shows); through a case, among the case's evidence.
// Anything else answers 404, the same way and in no less time than a conversation outside the
// user's branches.

// registerMedia adds the picture routes to the logged-in group p.
func (c *Console) registerMedia(p gin.IRoutes) {
	p.GET("/media/:id", c.mediaFile)
	p.GET("/media/:id/tile", c.mediaTile)
}

var mediaIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// mediaFor returns what the console can show of the picture id to u, through the conversation
// conv or the case number caseNo that holds it: errNotFound when u may see neither, or when the
// picture is not theirs.
func (c *Console) mediaFor(ctx context.Context, u *storage.User, id, conv, caseNo string) (storage.MediaFile, error) {
	start := time.Now()
	f, err := c.lookUpMedia(ctx, u, id, conv, caseNo)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, errNotFound) {
		err = errNotFound
		if wait := notFoundFloor - time.Since(start); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
	}
	return f, err
}

func (c *Console) lookUpMedia(ctx context.Context, u *storage.User, id, conv, caseNo string) (storage.MediaFile, error) {
	if !mediaIDRe.MatchString(id) || (conv == "") == (caseNo == "") {
		return storage.MediaFile{}, errNotFound
	}
	var owner string
	if conv != "" {
		// Through the conversation: the picture must be on a line of the sessions u may see
		// (handoffs.ViewFor, as the conversation's page shows them).
		v, lines, err := c.readConversation(ctx, u, conv)
		if err != nil {
			return storage.MediaFile{}, err
		}
		if !slices.ContainsFunc(lines, func(l Line) bool { return l.MediaID == id }) {
			return storage.MediaFile{}, errNotFound
		}
		owner = v.OpenID
	} else {
		rec, err := c.caseFor(ctx, u, caseNo)
		if err != nil {
			return storage.MediaFile{}, err
		}
		if !slices.ContainsFunc(rec.Evidence, func(e complaintbot.Evidence) bool { return e.MediaID == id }) {
			return storage.MediaFile{}, errNotFound
		}
		owner = rec.OpenID
	}
	f, _, err := c.store.MediaState(ctx, id, c.clock.Now())
	if err != nil {
		return storage.MediaFile{}, err
	}
	if f.OpenID != owner {
		return storage.MediaFile{}, errNotFound
	}
	return f, nil
}

// imageTypes are the content types a picture is answered with as it is; anything else is sent as
// a download (never as SVG or HTML, which could run script on the console's origin).
var imageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}

// mediaFile answers the picture's bytes.
func (c *Console) mediaFile(g *gin.Context) {
	ctx := g.Request.Context()
	f, err := c.mediaFor(ctx, actorOf(g).user, g.Param("id"), g.Query("conv"), g.Query("case"))
	if err == nil && f.Status != storage.MediaStored {
		err = errNotFound
	}
	var data []byte
	if err == nil {
		data, err = c.store.MediaData(ctx, f)
	}
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	ctype := f.ContentType
	if !slices.Contains(imageTypes, ctype) {
		ctype = http.DetectContentType(data)
	}
	h := g.Writer.Header()
	if !slices.Contains(imageTypes, ctype) {
		ctype = "application/octet-stream"
		h.Set("Content-Disposition", "attachment")
	}
	// The bytes of a MediaId never change; only the user's browser may keep them, never a
	// shared proxy.
	h.Set("Cache-Control", "private, max-age=86400")
	g.Data(http.StatusOK, ctype, data)
}

// mediaTileTmpl is a picture's place on a page: its thumbnail linking to the picture, or what
// became of it (a pending one asks again until it is stored).
var mediaTileTmpl = template.Must(template.New("tile").Parse(
	`{{if eq .Status "stored"}}<a class="media-thumb" href="{{.URL}}" target="_blank" rel="noopener"><img src="{{.URL}}" alt="客户发送的图片" height="120" loading="lazy"></a>` +
		`{{else if eq .Status "pending"}}<span class="media-state pending" hx-get="{{.Tile}}" hx-trigger="every 15s" hx-swap="outerHTML">图片保存中</span>` +
		`{{else}}<span class="media-state expired">图片已过期，未能保存</span>{{end}}`))

// mediaTile answers the picture's place on a conversation's messages or a case's evidence.
func (c *Console) mediaTile(g *gin.Context) {
	id, conv, caseNo := g.Param("id"), g.Query("conv"), g.Query("case")
	f, err := c.mediaFor(g.Request.Context(), actorOf(g).user, id, conv, caseNo)
	if err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	q := "?conv=" + conv
	if caseNo != "" {
		q = "?case=" + caseNo
	}
	url := "/media/" + id + q // the template escapes it
	var b bytes.Buffer
	if err := mediaTileTmpl.Execute(&b, map[string]string{"Status": string(f.Status), "URL": url, "Tile": "/media/" + id + "/tile" + q}); err != nil {
		status, msg := c.userError(err)
		g.String(status, msg)
		return
	}
	g.Data(http.StatusOK, "text/html; charset=utf-8", b.Bytes())
}
