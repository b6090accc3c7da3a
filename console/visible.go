package console

import (
	"bytes"
	"strings"

	"github.com/complaintbot/complaintbot/textnorm"
	"github.com/gin-gonic/gin"
)

// showInvisible passes every page, JSON answer and live-stream event through textnorm.Visible, so
// that customer text with a hidden direction override or zero-width characters is shown as it
// reads ("订单号[U+202E]1234567", not 订单号7654321) wherever the console shows it — the one place
// this is decided for every route. Files (exports, images, assets) are left as they are: exports
// pass their cells through Visible themselves, and a CSV file begins with a byte-order mark.
func showInvisible(g *gin.Context) {
	w := &visibleWriter{ResponseWriter: g.Writer}
	g.Writer = w
	defer w.finish()
	g.Next()
}

// visibleWriter rewrites text responses through textnorm.Visible as they are written, holding
// back the bytes of a character that the next write completes.
type visibleWriter struct {
	gin.ResponseWriter
	decided, rewrite bool
	held             []byte
}

func (w *visibleWriter) decide() {
	if w.decided {
		return
	}
	w.decided = true
	ct := w.Header().Get("Content-Type")
	for _, t := range []string{"text/html", "application/json", "text/event-stream", "text/plain"} {
		if strings.HasPrefix(ct, t) {
			w.rewrite = true
			w.Header().Del("Content-Length") // the marks are longer than what they replace
			return
		}
	}
}

func (w *visibleWriter) Write(p []byte) (int, error) {
	w.decide()
	if !w.rewrite {
		return w.ResponseWriter.Write(p)
	}
	buf := append(w.held, p...)
	keep := textnorm.VisibleTail(buf)
	out, rest := buf[:len(buf)-keep], buf[len(buf)-keep:]
	w.held = bytes.Clone(rest)
	if len(out) > 0 {
		if _, err := w.ResponseWriter.WriteString(textnorm.Visible(string(out))); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *visibleWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// finish writes what was held back at the end of the response.
func (w *visibleWriter) finish() {
	if len(w.held) > 0 {
		_, _ = w.ResponseWriter.Write(w.held)
		w.held = nil
	}
}
