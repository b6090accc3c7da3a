package app

import (
	"context"

	"github.com/gin-gonic/gin"
)

// buildConsole builds the agent and supervisor console; New calls it once the conversations exist.
func (a *App) buildConsole(ctx context.Context) error { return nil }

// registerConsole adds the console's pages and JSON API to the internal listener's router.
func (a *App) registerConsole(r *gin.Engine) {}
