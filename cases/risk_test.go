package cases_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// alertsSeen records the risk alerts the workflow sends (the scheduler's robot in the service).
type alertsSeen chan string

func (a alertsSeen) RiskRaised(_ context.Context, c *complaintbot.Case) error {
	a <- c.Number + ":" + c.Risk.Reason
	return nil
}

// next waits for the next alert (sent off the caller's goroutine).
func (a alertsSeen) next(t *testing.T) string {
	t.Helper()
	select {
	case x := <-a:
		return x
	case <-time.After(10 * time.Second):
		t.Fatal("no risk alert sent")
		return ""
	}
}

func TestRiskFlagByAgentAlertsTheBranchOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approvers()
	ctx := context.Background()
	bus := &events.Bus{}
	svc := cases.New(cases.Deps{Store: e.st, Engine: mustEngine(t), Clock: e.clock, Bus: bus})
	alerts := make(alertsSeen, 4)
	svc.SetAlerts(alerts)
	seen, stop := bus.Subscribe(events.Risk)
	defer stop()
	const n = "TS20261127-0021"
	e.open(n, complaintbot.StatusInvestigating)
	bob, sam := e.actor("bob"), e.actor("sam")

	refused(t, svc.RaiseRisk(ctx, bob, n, " "), cases.ErrRiskNoteEmpty)
	if err := svc.RaiseRisk(ctx, bob, n, "客户称已联系记者"); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Risk == nil || r.Risk.Reason != complaintbot.RiskAgent || r.Risk.By != "bob" || r.Risk.Note != "客户称已联系记者" {
		t.Fatalf("risk %+v", r.Risk)
	}
	if got := alerts.next(t); got != n+":agent" {
		t.Fatalf("alert %q", got)
	}
	select {
	case ev := <-seen:
		if ev.Ref != n {
			t.Fatalf("event %+v", ev)
		}
	default:
		t.Fatal("no risk event on the bus")
	}
	rem, err := storagetest.Reminders(ctx, e.st, []string{"0101"}, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rem, func(x storage.Reminder) bool { return x.Kind == cases.ReminderRisk && x.Case == n }) {
		t.Fatalf("the branch's reminders hold no risk alert: %+v", rem)
	}
	// Raised again (or found again by the service): nothing new, nobody alerted again.
	if err := svc.RaiseRisk(ctx, bob, n, "再次标记"); err != nil {
		t.Fatal(err)
	}
	if did, err := svc.FlagRisk(ctx, n, complaintbot.Risk{Reason: complaintbot.RiskWords, Words: []string{"媒体"}}); err != nil || did {
		t.Fatalf("flag again: %v %v", did, err)
	}
	// Only a supervisor or head office takes the flag off.
	refused(t, svc.ClearRisk(ctx, bob, n, ""), cases.ErrNotApprover)
	if err := svc.ClearRisk(ctx, sam, n, "已与客户沟通"); err != nil {
		t.Fatal(err)
	}
	if e.rec(n).Risk != nil {
		t.Fatal("the flag stayed")
	}
	e.clock.Advance(time.Hour)
	if did, err := svc.FlagRisk(ctx, n, complaintbot.Risk{Reason: complaintbot.RiskWords, Words: []string{"起诉"}}); err != nil || !did {
		t.Fatalf("flag after clearing: %v %v", did, err)
	}
	if got := alerts.next(t); got != n+":words" {
		t.Fatalf("alert %q", got)
	}
	select {
	case x := <-alerts:
		t.Fatalf("a second alert for one flag: %q", x)
	default:
	}
	if got := e.notices(n); len(got) != 0 {
		t.Fatalf("the customer was told of the risk flag: %q", got)
	}
}

func TestCaseLevel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n = "TS20261127-0022"
	e.open(n, complaintbot.StatusInvestigating)
	refused(t, e.svc.SetLevel(ctx, e.actor("bob"), n, "urgent"), cases.ErrLevelInvalid)
	if err := e.svc.SetLevel(ctx, e.actor("bob"), n, complaintbot.LevelMajor); err != nil {
		t.Fatal(err)
	}
	r := e.rec(n)
	if r.Level != complaintbot.LevelMajor {
		t.Fatalf("level %q", r.Level)
	}
	if last := r.Work.Timeline[len(r.Work.Timeline)-1]; last.Kind != "level" || last.From != "普通" || last.To != "重大" {
		t.Fatalf("timeline %+v", last)
	}
	if err := e.svc.SetLevel(ctx, e.actor("carol"), n, complaintbot.LevelNormal); !storageNotFound(err) {
		t.Fatalf("another branch's agent set the level: %v", err)
	}
}

// The registry raises the flag on a new case for the customer's words and for a repeat complaint:
// the third complaint within 30 days, counted from the numbers of the customer's earlier cases.
func TestRegistryAssessesRisk(t *testing.T) {
	t.Parallel()
	engine := mustEngine(t)
	reg := &cases.Registry{RiskWords: engine.RiskWords, RepeatCases: 3}
	newCase := func(desc string) (*complaintbot.Case, complaintbot.Draft) {
		d := complaintbot.Draft{Kind: complaintbot.KindComplaint, Fields: map[string]string{complaintbot.FieldDescription: desc,
			complaintbot.FieldPhone: "13812378123"}}
		return &complaintbot.Case{Number: "TS20261127-0031", Kind: complaintbot.KindComplaint, Received: t0, Fields: d.Fields}, d
	}
	c, d := newCase("柜员态度很差，再不解决我要找媒体曝光")
	reg.AssessRisk(c, d, nil)
	if c.Risk == nil || c.Risk.Reason != complaintbot.RiskWords || !slices.Equal(c.Risk.Words, []string{"媒体", "曝光"}) || !c.Risk.At.Equal(t0) {
		t.Fatalf("risk %+v", c.Risk)
	}
	c, d = newCase("柜员態度很差，我會打１２３７８投訴") // traditional, full-width digits
	reg.AssessRisk(c, d, nil)
	if c.Risk == nil || !slices.Equal(c.Risk.Words, []string{"12378"}) {
		t.Fatalf("risk %+v", c.Risk)
	}
	c, d = newCase("柜员态度很差，电话13812378123") // 12378 inside a phone number is no word
	reg.AssessRisk(c, d, nil)
	if c.Risk != nil {
		t.Fatalf("risk %+v", c.Risk)
	}
	// 28 Oct is 30 days before 27 Nov (inside), 27 Oct is not; suggestions do not count.
	prior := []string{"TS20261027-0001", "TS20261028-0004", "JY20261120-0001", "TS20261126-0002"}
	c, d = newCase("柜员态度很差")
	reg.AssessRisk(c, d, prior)
	if c.Risk == nil || c.Risk.Reason != complaintbot.RiskRepeat || c.Risk.Note != "30天内第3次投诉" {
		t.Fatalf("risk %+v", c.Risk)
	}
	c, d = newCase("柜员态度很差")
	reg.AssessRisk(c, d, prior[:3])
	if c.Risk != nil {
		t.Fatalf("two complaints within 30 days raised %+v", c.Risk)
	}
	// Money at risk (the bot's urgent matters) flags the case for the supervisor, first.
	c, d = newCase("卡被盗刷了两万，我要找媒体")
	c.Urgent = complaintbot.UrgentTheft
	reg.AssessRisk(c, d, nil)
	if c.Risk == nil || c.Risk.Reason != complaintbot.RiskMoney || c.Risk.Note != "资金被盗用" || !slices.Equal(c.Risk.Words, []string{"媒体"}) {
		t.Fatalf("an urgent complaint's risk %+v", c.Risk)
	}
}

func TestRiskWordsOfTheFlowFile(t *testing.T) {
	t.Parallel()
	engine := mustEngine(t)
	for text, want := range map[string][]string{
		"我要找媒体曝光": {"媒体", "曝光"},
		"你们不处理我就去法院起诉，已经请了律师": {"起诉", "去法院", "律师"},
		"我要向银保监会反映":           {"银保监"},
		"我要网上曝光你们":            {"网上曝光"},
		"柜员态度很差":              nil,
		"请回电13912378888":      nil,
	} {
		if got := engine.RiskWords(text); !slices.Equal(got, want) {
			t.Errorf("%s: risk words %q, want %q", text, got, want)
		}
	}
}

func mustEngine(t *testing.T) *flows.Engine {
	t.Helper()
	engine, err := flows.New(flows.DefaultDefinition(), flows.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return engine
}
