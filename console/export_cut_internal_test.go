package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// An export that fails after rows went out is cut short: the client's read of the body fails, so
// that a browser shows a failed download rather than a complete-looking file.
func TestCutResponseMakesTheDownloadFail(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/export", func(g *gin.Context) {
		g.Header("Content-Type", "text/csv; charset=utf-8")
		g.Status(http.StatusOK)
		_, _ = g.Writer.WriteString("案件编号,类型\n" + strings.Repeat("TS20261127-0001,投诉\n", 1000))
		g.Writer.Flush()
		cutResponse(g)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("the cut download read as complete (%d bytes)", len(body))
	}
	if !strings.HasPrefix(string(body), "案件编号") {
		t.Fatalf("the rows sent before the cut did not arrive: %.50q", body)
	}
}
