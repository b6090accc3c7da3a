package app

import (
	"context"
	"os"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/console"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/quickreplies"
	"github.com/complaintbot/complaintbot/users"
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
	a.Handoffs, err = handoffs.New(handoffs.Deps{Store: a.Store, Convs: a.Convs, Bus: a.Bus, Clock: a.Clock, Log: a.Log,
		Config: a.Config.Console, Calendar: a.Registry.Calendar, Branches: def.Branches(), Definition: def, Engine: a.Engine})
	if err != nil {
		return err
	}
	a.Cases = cases.New(cases.Deps{Store: a.Store, Engine: a.Engine, Clock: a.Clock, Log: a.Log, Bus: a.Bus, Taxonomy: a.Taxonomy,
		Ladder:     cases.Ladder{Decision: a.Config.Cases.DecisionDays, Extended: a.Config.Cases.ExtendDays, Approved: a.Config.Cases.ApprovedDays},
		ReviewTime: time.Duration(a.Config.Cases.ReviewDays) * 24 * time.Hour, TaskHorizon: a.Config.Scheduler.RemindBefore.D()})
	a.Convs.Risks = a.Cases    // the risk flags customers' messages raise alert the branch supervisor
	a.Convs.Requests = a.Cases // customers' withdrawals and reviews in the chat
	quick := quickreplies.New(a.Store, a.Clock, a.Log, def.Branches())
	// The flow file's quick replies (or the configured ones) start a new database's, once.
	seed := a.Config.Console.CannedReplies
	if len(seed) == 0 {
		seed = def.QuickReplies()
	}
	if err := quick.Seed(ctx, seed); err != nil {
		return err
	}
	// The work lists and the erasures (their jobs are the scheduler's).
	a.FollowUps = followups.New(followups.Deps{Store: a.Store, Clock: a.Clock, Calendar: a.Registry.Calendar, Log: a.Log, Cases: a.Cases})
	a.Calls = calls.New(calls.Deps{Store: a.Store, Clock: a.Clock, Log: a.Log})
	a.Erasures = erasures.New(erasures.Deps{Store: a.Store, Clock: a.Clock, Log: a.Log})
	a.Console, err = console.New(ctx, console.Deps{Store: a.Store, Convs: a.Convs, Bus: a.Bus, Clock: a.Clock, Log: a.Log,
		Config: a.Config.Console, Calendar: a.Registry.Calendar, Branches: def.Branches(), Categories: cats, Handoffs: a.Handoffs,
		Cases: a.Cases, Registrar: cases.NewRegistrar(a.Cases, a.Registry), Reports: a.Reports, Sandbox: a.sandbox(), QuickReplies: quick, Customers: a.Config.Reports.Customers,
		FollowUps: a.FollowUps, Calls: a.Calls, Erasures: a.Erasures,
		Users: users.New(users.Deps{Store: a.Store, Clock: a.realClock, Log: a.Log, Config: a.Config.Console, Branches: def.Branches()})})
	if err != nil {
		return err
	}
	a.Convs.AgentsBack = a.Handoffs.AgentsBack
	a.Convs.OnDuty = a.Handoffs.OnDuty
	a.Webhook.KF = weChatKF{a.Handoffs}
	return a.Console.Users().Bootstrap(ctx, os.Getenv(AdminPasswordEnv))
}

// weChatKF lets the webhook hand customers to WeChat's own customer service through the handoff
// workflow, which records the handoff (console.handoff_mode wechat_kf).
type weChatKF struct{ h *handoffs.Service }

func (k weChatKF) Enabled() bool { return k.h.Mode() == "wechat_kf" }
func (k weChatKF) Transfer(ctx context.Context, openID string) error {
	return k.h.TransferToWeChatKF(ctx, openID)
}
func (k weChatKF) Closed(ctx context.Context, openID string) error {
	return k.h.WeChatKFClosed(ctx, openID)
}

// registerConsole adds the console's pages and JSON API to the internal listener's router.
func (a *App) registerConsole(r *gin.Engine) { a.Console.Register(r) }
