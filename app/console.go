package app

import (
	"time"

	"context"
	"os"
	"sync"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/console"
	"github.com/gin-gonic/gin"
)

// AdminPasswordEnv names the environment variable that, on the very first start (no console
// users yet), creates the console's "admin" account with this password.
const AdminPasswordEnv = "COMPLAINTBOT_ADMIN_PASSWORD"

// buildConsole builds the agent and supervisor console; New calls it once the conversations exist.
func (a *App) buildConsole(ctx context.Context) error {
	def := a.Engine.Definition()
	cats := map[complaintbot.Kind][]complaintbot.Category{}
	for _, k := range []complaintbot.Kind{complaintbot.KindComplaint, complaintbot.KindSuggestion, complaintbot.KindPraise} {
		cats[k] = def.Categories(k)
	}
	var err error
	a.Console, err = console.New(ctx, console.Deps{Store: a.Store, Convs: a.Convs, Bus: a.Bus, Clock: a.Clock, Log: a.Log,
		Config: a.Config.Console, Calendar: a.Registry.Calendar, Branches: def.Branches(), Categories: cats})
	if err != nil {
		return err
	}
	a.Convs.QueueNote = a.Console.AfterHoursNote
	a.Convs.OnDuty = func(t time.Time) bool { return a.Console.AfterHoursNote(t) == "" }
	a.Webhook.KF = weChatKF{a.Console}
	return a.Console.Bootstrap(ctx, os.Getenv(AdminPasswordEnv))
}

// startConsole starts the console's background work (returning idle conversations to the bot);
// it runs until ctx is done, and wg tracks it.
func (a *App) startConsole(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Console.RunIdleReturns(ctx)
	}()
}

// weChatKF lets the webhook hand customers to WeChat's own customer service through the console,
// which records the handoff (console.handoff_mode wechat_kf).
type weChatKF struct{ c *console.Console }

func (k weChatKF) Enabled() bool { return k.c.HandoffMode() == "wechat_kf" }
func (k weChatKF) Transfer(ctx context.Context, openID string) error {
	return k.c.TransferToWeChatKF(ctx, openID)
}
func (k weChatKF) Closed(ctx context.Context, openID string) error {
	return k.c.WeChatKFClosed(ctx, openID)
}

// registerConsole adds the console's pages and JSON API to the internal listener's router.
func (a *App) registerConsole(r *gin.Engine) { a.Console.Register(r) }
