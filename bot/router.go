package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Pinger checks that a dependency (the database) answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Readier is a Pinger that can also tell whether the database takes writes (*storage.Store):
// Ready returns an error whose text names the cause in plain words.
type Readier interface {
	Ready(ctx context.Context) error
}

// NewEngine returns a Gin engine in release mode with panic recovery and no request logging
// (request lines would carry openids).
func NewEngine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	return r
}

// RegisterHealth adds GET /healthz (the process is up) and GET /readyz: "ready" while the
// database answers and, when db is a Readier, takes writes; otherwise 503 with the cause as plain
// text ("database not writable: the disk is full"). The Readier paces its own checks, so /readyz
// is cheap however often it is polled.
func RegisterHealth(r gin.IRoutes, db Pinger) {
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
		defer cancel()
		if rd, ok := db.(Readier); ok {
			if err := rd.Ready(ctx); err != nil {
				c.String(http.StatusServiceUnavailable, err.Error())
				return
			}
		} else if err := db.Ping(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "database unreachable")
			return
		}
		c.String(http.StatusOK, "ready")
	})
}

// NewWebhookRouter builds the public listener's router: the webhook and the health checks, nothing else.
func NewWebhookRouter(h *Webhook, db Pinger) *gin.Engine {
	r := NewEngine()
	RegisterHealth(r, db)
	h.Register(r)
	return r
}
