// Package app assembles the whole service from its configuration: the database, the conversation
// engine, the WeChat webhook on the public listener, the console listener, and the background
// workers; it starts them and shuts them down in order. cmd/complaintbot and the end-to-end tests
// use it the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/bot"
	"github.com/complaintbot/complaintbot/calendar"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/console"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/metrics"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
	"github.com/complaintbot/complaintbot/wechatapi"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"github.com/gin-gonic/gin"
)

// SandboxPath is where the console listener serves the built-in fake WeChat API in sandbox mode.
const SandboxPath = "/sandbox/wechat"

// sandboxSecret is the app secret the service and its built-in fake WeChat API share in sandbox mode.
const sandboxSecret = "sandbox-secret"

// Options are the parts a caller may supply; zero values take the real ones.
type Options struct {
	Clock  complaintbot.Clock
	Logger *slog.Logger
	// ObserveStore, when set, is told of every command on the database's main connection (see
	// storage.Options.Observe).
	ObserveStore func(storage.Command)
}

// App is the assembled service.
type App struct {
	Config  config.Config
	Clock   complaintbot.Clock
	Log     *slog.Logger
	Store   *storage.Store
	Metrics *metrics.Metrics
	Engine  *flows.Engine
	Convs   *conversations.Service
	Webhook *bot.Webhook
	WeChat  *wechatapi.Client
	Outbox  *scheduler.OutboxWorker
	// Media downloads the customers' pictures and keeps them (a scheduler job, scheduler.JobMedia).
	Media *scheduler.MediaFetcher
	// Scheduler runs the cron jobs (notices, deadlines, surveys, housekeeping) and the other parts' leased
	// background jobs (the reports' repair and rebuild, the embedded database's indexing).
	Scheduler *scheduler.Scheduler
	Registry  *conversations.Registry
	// Taxonomy is the JR/T 0169 classification (taxonomy/jrt0169.yaml), loaded once: the
	// registry proposes each case's codes from it, the workflow and the console check them.
	Taxonomy *taxonomy.Taxonomy
	Bus      *events.Bus
	// Sandbox is the built-in fake WeChat API in sandbox mode, nil otherwise.
	Sandbox *fakewechat.Server
	Console *console.Console
	// Handoffs is the queue for a person (claims, replies, transfers, idle return).
	Handoffs *handoffs.Service
	// Cases is the case workflow (agents' actions, the scheduler's escalations and reopenings).
	Cases *cases.Service
	// FollowUps are the follow-up calls (回访), Calls the call list (待联系消息), Erasures the
	// customers' erasure requests: the console's workflows beside the cases.
	FollowUps *followups.Service
	Calls     *calls.Service
	Erasures  *erasures.Service
	// Reports keeps the supervisors' report facts and rollups and answers the reports.
	Reports *reports.Service

	webhookLn, consoleLn net.Listener
	// travel is the service's clock in sandbox mode, which an admin may move forward; realClock
	// is the clock it stands ahead of, which logins and sessions keep to (moving the sandbox's
	// clock must not log everybody out).
	travel    *complaintbot.TravelClock
	realClock complaintbot.Clock
	servers   []*http.Server
	cancel    context.CancelFunc
	workers   sync.WaitGroup
}

// New opens the database and builds every part, and opens both listeners (so their addresses
// are known), but serves nothing until Start.
func New(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	// WeChat's template rules are the WeChat client's to know; a setting that breaks them is
	// refused before anything starts, as config.Load refuses its own.
	if p := wechatapi.CheckKeywordTemplates("scheduler.template_data", cfg.Scheduler.TemplateData); len(p) > 0 {
		return nil, &config.Error{Problems: p}
	}
	a := &App{Config: cfg, Clock: opts.Clock, Log: opts.Logger, Metrics: metrics.New(), Bus: &events.Bus{}}
	if a.Clock == nil {
		a.Clock = complaintbot.SystemClock{}
	}
	// In sandbox mode an admin may move the service's clock forward (console 沙箱时间); WeChat's
	// signed timestamps are still checked against the clock it stands ahead of.
	wireClock := a.Clock
	a.realClock = a.Clock
	if cfg.Sandbox() {
		a.travel = complaintbot.NewTravelClock(a.Clock)
		a.Clock = a.travel
	}
	if a.Log == nil {
		a.Log = slog.Default()
	}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()

	def, err := LoadFlow(cfg)
	if err != nil {
		return nil, err
	}
	if a.Engine, err = flows.New(def, flows.Config{
		IdleTimeout: cfg.Intake.IdleTimeout.D(), DraftKeep: cfg.Intake.DraftKeep.D(),
		DailyCaseCap: cfg.Intake.DailyCaseCap, DuplicateWindow: cfg.Intake.DuplicateWindow.D(),
		ReviewWindow: time.Duration(cfg.Cases.ReviewWindowDays) * 24 * time.Hour,
	}); err != nil {
		return nil, fmt.Errorf("conversation flow: %w", err)
	}
	cal, err := LoadCalendar(cfg)
	if err != nil {
		return nil, err
	}
	if a.Taxonomy, err = taxonomy.Load(); err != nil {
		return nil, fmt.Errorf("JR/T 0169 taxonomy: %w", err)
	}
	a.warnUnmappedCategories(def)
	a.Registry = &conversations.Registry{Calendar: cal, ReplyDays: cfg.Cases.ReplyDays, ReplyUnit: calendar.Unit(cfg.Cases.ReplyUnit), DecisionDays: cfg.Cases.DecisionDays,
		NoBranch: def.NoBranch(), Taxonomy: a.Taxonomy, RiskWords: a.Engine.RiskWords, RepeatCases: cfg.Cases.RepeatCases}

	if a.webhookLn, err = net.Listen("tcp", cfg.Server.WebhookAddr); err != nil {
		return nil, fmt.Errorf("server.webhook_addr %s: %w", cfg.Server.WebhookAddr, err)
	}
	if a.consoleLn, err = net.Listen("tcp", cfg.Server.ConsoleAddr); err != nil {
		return nil, fmt.Errorf("server.console_addr %s: %w", cfg.Server.ConsoleAddr, err)
	}

	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if a.Store, err = storage.Open(openCtx, storage.Options{URI: cfg.MongoDB.URI, Database: cfg.MongoDB.Database, DataDir: cfg.DataDir, Logger: a.Log, Observe: opts.ObserveStore}); err != nil {
		return nil, err
	}
	a.Store.SetHealthClock(a.Clock) // /readyz paces its write probes by the service's clock

	wcfg := wechatapi.Config{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret, APIBase: cfg.WeChat.APIBase}
	if cfg.Sandbox() {
		a.Sandbox = fakewechat.New(cfg.WeChat.AppID, sandboxSecret)
		a.Sandbox.SetClock(a.Clock)
		// The customer simulator reads its customer's messages with a key made from the webhook
		// token, which it signs its messages with anyway; nobody else lists them.
		a.Sandbox.RequireInboxKey(cfg.WeChat.Token)
		a.Sandbox.ServeImagesWithPrefix("sim-media-") // the customer simulator's pictures
		wcfg.AppSecret = sandboxSecret
		if wcfg.APIBase == "" {
			wcfg.APIBase = a.ConsoleURL() + SandboxPath
		}
	}
	if a.WeChat, err = wechatapi.New(wcfg, a.Store, a.Clock); err != nil {
		return nil, fmt.Errorf("wechat client: %w", err)
	}

	a.Convs = conversations.New(a.Store, a.Engine, a.Registry, a.Clock, a.Log, a.Bus)
	a.Webhook = bot.NewWebhook(bot.WebhookConfig{
		Wire: bot.WireConfig{AppID: cfg.WeChat.AppID, Token: cfg.WeChat.Token, AESKey: cfg.WeChat.EncodingAESKey,
			PreviousAESKey: cfg.WeChat.PreviousEncodingAESKey, MaxClockSkew: cfg.WeChat.MaxClockSkew.D()},
		Path: cfg.WeChat.Path, ReplyBudget: cfg.Server.ReplyBudget.D(), MaxBodyBytes: int64(cfg.Server.MaxBodyBytes),
	}, a.Convs, a.Store, wireClock, a.Log, a.Metrics)
	a.Webhook.Media = a.Store
	a.Webhook.ServiceClock = a.Clock
	a.Media = &scheduler.MediaFetcher{Store: a.Store, API: a.WeChat, Clock: a.Clock, Log: a.Log}
	host, _ := os.Hostname()
	a.Outbox = &scheduler.OutboxWorker{Store: a.Store, Sender: a.WeChat, Clock: a.Clock, Log: a.Log, Metrics: a.Metrics,
		Owner: fmt.Sprintf("%s:%d", host, os.Getpid()), Poll: cfg.Outbox.PollInterval.D(), MaxAttempts: cfg.Outbox.MaxAttempts, Names: def}
	a.Reports = reports.New(a.Store, a.Clock, a.Log)
	if err := a.buildConsole(ctx); err != nil {
		return nil, err
	}
	if err := a.buildReports(ctx); err != nil {
		return nil, err
	}
	if err := a.buildScheduler(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// WebhookURL is the base URL of the public listener.
func (a *App) WebhookURL() string { return "http://" + dialable(a.webhookLn.Addr()) }

// ConsoleURL is the base URL of the internal listener.
func (a *App) ConsoleURL() string { return "http://" + dialable(a.consoleLn.Addr()) }

// dialable turns a listener address such as [::]:8081 into one a client on this machine can dial.
func dialable(addr net.Addr) string { return DialableAddr(addr.String()) }

// DialableAddr turns a listen address such as ":8080" or "0.0.0.0:8080" into one a client on this
// machine can dial (127.0.0.1:8080); other addresses are returned as they are.
func DialableAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// LoadFlow returns the conversation flow the configuration names: intake.flow_file, or the
// built-in one.
func LoadFlow(cfg config.Config) (*flows.Definition, error) {
	if cfg.Intake.FlowFile == "" {
		return flows.DefaultDefinition(), nil
	}
	data, err := os.ReadFile(cfg.Intake.FlowFile)
	if err != nil {
		return nil, fmt.Errorf("intake.flow_file: %w", err)
	}
	def, err := flows.LoadDefinition(data)
	if err != nil {
		return nil, fmt.Errorf("intake.flow_file %s: %w", cfg.Intake.FlowFile, err)
	}
	return def, nil
}

// LoadCalendar returns China's working-day calendar with the operator's cases.holiday_file on top.
func LoadCalendar(cfg config.Config) (*calendar.Calendar, error) {
	cal := calendar.Default()
	if cfg.Cases.HolidayFile == "" {
		return cal, nil
	}
	data, err := os.ReadFile(cfg.Cases.HolidayFile)
	if err != nil {
		return nil, fmt.Errorf("cases.holiday_file: %w", err)
	}
	extra, err := calendar.Load(data)
	if err != nil {
		return nil, fmt.Errorf("cases.holiday_file %s: %w", cfg.Cases.HolidayFile, err)
	}
	return cal.Merge(extra), nil
}

// consoleRouter builds the internal listener's router.
func (a *App) consoleRouter() *gin.Engine {
	r := bot.NewEngine()
	bot.RegisterHealth(r, a.Store)
	r.GET("/metrics", gin.WrapH(a.Metrics.Handler()))
	if a.Sandbox != nil {
		r.Any(SandboxPath+"/*path", gin.WrapH(http.StripPrefix(SandboxPath, a.Sandbox)))
	}
	a.registerConsole(r)
	return r
}

// Start starts the scheduler, then serves both listeners and starts the other background workers.
// A scheduler that cannot start is returned as the error, with nothing started (Shutdown still
// closes the store).
func (a *App) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	if err := a.startScheduler(ctx, &a.workers); err != nil {
		return err
	}
	hooks := []struct {
		ln net.Listener
		h  http.Handler
	}{{a.webhookLn, bot.NewWebhookRouter(a.Webhook, a.Store)}, {a.consoleLn, a.consoleRouter()}}
	for _, hk := range hooks {
		srv := &http.Server{Handler: hk.h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
		a.servers = append(a.servers, srv)
		a.workers.Add(1)
		go func(ln net.Listener) {
			defer a.workers.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.Log.Error("listener stopped", "addr", ln.Addr().String(), "err", err)
			}
		}(hk.ln)
	}
	a.startReports(ctx, &a.workers)
	a.workers.Add(1)
	go func() {
		defer a.workers.Done()
		a.recover(ctx)
	}()
	return nil
}

// recoverSettle is how old a turn cut off by a crash must be before start-up recovery finishes
// it: WeChat retries a message for about 15 seconds, and a retry gets the stored answer itself.
const recoverSettle = 30 * time.Second

// recover finishes the turns a crash cut off (conversations.Service.Recover): those old enough at
// once, the rest once WeChat has stopped retrying them.
func (a *App) recover(ctx context.Context) {
	for {
		left, err := a.Convs.Recover(ctx, recoverSettle)
		if err != nil && ctx.Err() == nil {
			a.Log.Error("finish the turns cut off by the last stop", "err", err)
		}
		if left == 0 || err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(recoverSettle):
		}
	}
}

// Shutdown stops accepting requests, lets in-flight ones finish and waits for the background work,
// all within ctx; then it closes the database. What cannot finish in time is left as it is: every
// turn is stored before it is answered, and start-up recovery finishes the rest. It returns an
// error only for what could not be closed cleanly.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	a.Console.Close() // ends the live-update streams, which would hold up the listeners' shutdown
	for _, srv := range a.servers {
		if err := srv.Shutdown(ctx); err != nil {
			a.Log.Warn("requests still in flight at the shutdown deadline; their messages are finished at the next start or by WeChat's retry", "err", err)
			_ = srv.Close()
		}
	}
	if !within(ctx, a.Webhook.Wait) {
		a.Log.Warn("messages still being processed at the shutdown deadline; they are finished at the next start")
	}
	if a.cancel != nil {
		a.cancel()
	}
	if !within(ctx, a.workers.Wait) {
		a.Log.Warn("background work still running at the shutdown deadline; it resumes at the next start")
	}
	a.closeAll()
	return errors.Join(errs...)
}

// within runs wait and reports whether it returned before ctx ended (it is left running if not).
func within(ctx context.Context, wait func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait()
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

func (a *App) closeAll() {
	if a.webhookLn != nil {
		a.webhookLn.Close()
	}
	if a.consoleLn != nil {
		a.consoleLn.Close()
	}
	if a.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Store.Close(ctx); err != nil {
			a.Log.Error("close database", "err", err)
		}
		a.Store = nil
	}
}
