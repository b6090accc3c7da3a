package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/conversations"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/seed"
)

// SeedSchema is the version of what SeedYear writes. Change it whenever the seeded documents
// change (or the storage code changes what it reads), so that a cached seeded folder (see
// SeededFolder) is seeded again instead of reused.
const SeedSchema = "year-7"

// YearShape says what a seeded year holds.
type YearShape struct {
	// Cases are the complaints registered in the year (each is 8 turns of its conversation).
	Cases int
	// Customers share the cases (a customer files one or more); every customer also greets the
	// bot once and asks for progress after each case.
	Customers int
	// End is the year's last moment (the seeding's "now"); the year is the 365 days before it.
	End time.Time
	// Database is the database name the service uses (config mongodb.database).
	Database string
}

// SeedStats is what SeedYear wrote.
type SeedStats struct {
	Turns, Cases, Customers, Surveys, Outbox, Due, Facts int
	Took                                                 time.Duration
	// Sample lists every hundredth case number, for benchmarks that open case pages.
	Sample []string
}

func (s SeedStats) String() string {
	return fmt.Sprintf("%d turns, %d cases, %d customers, %d surveys, %d outbox rows, %d scheduled entries, %d report facts in %v",
		s.Turns, s.Cases, s.Customers, s.Surveys, s.Outbox, s.Due, s.Facts, s.Took.Round(time.Second))
}

// SeedOpenID is the openid of the k-th seeded customer (28 characters, as WeChat's are).
func SeedOpenID(k int) string { return fmt.Sprintf("oYr%025d", k) }

// seedBranches are branch answers of the default flow, by the branch they name.
var seedBranches = []string{"城东支行", "营业部", "城东新区支行", "城西支行", "高新区支行", "人民路支行", "人民广场支行", "不涉及网点"}

var seedStories = []string{
	"柜员态度很差，让我在窗口等了一个小时也没人理",
	"取款机吞卡了，打电话也没人处理",
	"办理业务时被强行推荐理财产品",
	"账户被乱收费，年费没有提前告知",
	"手续繁琐，要求提供的材料太多",
}

// yearCase is a case as the service leaves it after a year: the case, the console's work on it,
// and what the scheduler and the surveys add.
type yearCase = complaintbot.Case

// seedFacts answers the engine's questions about one seeded customer.
type seedFacts struct {
	cases  []complaintbot.CaseSummary
	survey *flows.OpenSurvey
}

func (f *seedFacts) Cases() ([]complaintbot.CaseSummary, error) { return f.cases, nil }

func (f *seedFacts) OpenSurvey() (*flows.OpenSurvey, error) { return f.survey, nil }

// SeedYear fills st with a year of a bank's traffic ending at shape.End, written the way the
// service writes it (the turns are the conversation engine's own answers to scripted customers)
// but with InsertMany instead of one message at a time:
//
//   - turns (state, replies, effects, the case numbers carried), their dedupe records, and the
//     case numbers with each registering turn's claim;
//   - cases: those older than a fortnight mostly resolved by an agent (work, timeline, first
//     reply), with a survey asked two hours after and answered by most customers (the rating's
//     turn, the case's satisfaction); the newer ones open;
//   - the outbox rows a year leaves (the last scheduler.retention of accepted and resolved
//     notices, survey questions and agents' replies, all sent, with their delivery claims), the
//     agents' transcript lines (all of them);
//   - the scheduler's state: what it saw of each case, the entries still due (reminders,
//     deadlines and progress looks of the open cases) and the jobs' checkpoints at End;
//   - report facts of every day with their rollups (folded in Go, as the reports' reference fold
//     does) and the list of periods, so that the service does not rebuild them at start.
//
// It is deterministic for a given shape.
func SeedYear(ctx context.Context, st *storage.Store, engine *flows.Engine, registry *conversations.Registry, shape YearShape, progress func(string)) (SeedStats, error) {
	start := time.Now()
	stats := SeedStats{Customers: shape.Customers}
	batch := seed.NewBatch(st, seed.DefaultGroup)
	rng := rand.New(rand.NewPCG(15, uint64(shape.Cases)))
	yearStart := shape.End.Add(-365 * 24 * time.Hour)
	span := shape.End.Sub(yearStart) - 48*time.Hour // the last cases leave room for their turns
	seq := map[string]int{}                         // case numbers by prefix and day
	var msgID int64 = 9_000_000_000_000_000_000
	facts := map[string][]storage.ReportFact{}
	var openCases []*yearCase

	// Customer k files the cases k, k+Customers, k+2·Customers, ...: one to a few cases a year,
	// spread over it.
	for k := range shape.Customers {
		openID := SeedOpenID(k)
		var version int64
		var state complaintbot.ConversationState
		var numbers []string
		var summaries []complaintbot.CaseSummary
		var lines int64 // the customer's transcript lines (agents' replies), numbered as the store does
		say := func(at time.Time, text string, sv *flows.OpenSurvey) (*complaintbot.Turn, []complaintbot.Effect, error) {
			msgID++
			version++
			in := complaintbot.Input{Type: complaintbot.InputText, Text: text, At: at}
			facts := &seedFacts{cases: summaries, survey: sv}
			res, err := engine.Handle(state, in, at, facts)
			if err != nil {
				return nil, nil, fmt.Errorf("seed: engine: %w", err)
			}
			t := &complaintbot.Turn{ID: storage.TurnID(openID, version), OpenID: openID, Version: version,
				Dedupe: fmt.Sprintf("m:%d", msgID), At: at, In: in, Replies: res.Replies, Cases: numbers}
			state = res.State
			t.State = res.State
			return t, res.Effects, nil
		}
		write := func(t *complaintbot.Turn, effects []complaintbot.TurnEffect) error {
			t.Effects = effects
			stats.Turns++
			return batch.Turn(ctx, t)
		}
		var caseTimes []time.Time
		for i := k; i < shape.Cases; i += shape.Customers {
			caseTimes = append(caseTimes, yearStart.Add(time.Duration(float64(span)*float64(i)/float64(shape.Cases))))
		}
		// A greeting a little before the first case (or somewhere in the year).
		first := yearStart.Add(time.Duration(rng.Int64N(int64(span))))
		if len(caseTimes) > 0 {
			first = caseTimes[0].Add(-time.Duration(1+rng.IntN(600)) * time.Minute)
		}
		t, _, err := say(first, "你好", nil)
		if err != nil {
			return stats, err
		}
		if err := write(t, nil); err != nil {
			return stats, err
		}
		for ci, at := range caseTimes {
			n := k + ci*shape.Customers
			at = daytime(at, rng)
			if !at.After(t.At) {
				at = t.At.Add(time.Minute)
			}
			story := seedStories[n%len(seedStories)]
			script := []string{"我要投诉", "1", seedBranches[n%len(seedBranches)], "昨天下午3点",
				fmt.Sprintf("%s（第%d次）", story, n), "希望支行道歉并改进服务", fmt.Sprintf("138%08d", n%100000000), "确认"}
			var c *yearCase
			for j, text := range script {
				t, effs, err := say(at.Add(time.Duration(j*25)*time.Second), text, nil)
				if err != nil {
					return stats, err
				}
				var stored []complaintbot.TurnEffect
				for _, e := range effs {
					se := complaintbot.TurnEffect{Effect: e}
					if e.Type == complaintbot.EffectCreateCase && e.Draft != nil {
						day := t.At.In(complaintbot.Shanghai).Format("20060102")
						base := e.Draft.Kind.Prefix() + day + "-"
						seq[base]++
						number := fmt.Sprintf("%s%04d", base, seq[base])
						se.Case = registry.NewCase(number, openID, t.ID, *e.Draft, t.At)
						se.Draft = nil
						numbers = append(slices.Clip(numbers), number)
						t.Cases = numbers
						t.Replies = append(t.Replies, engine.Registered(*se.Case))
						c = new(yearCase)
						*c = *se.Case
						if err := batch.CaseNumber(ctx, number, t.ID); err != nil {
							return stats, err
						}
					}
					stored = append(stored, se)
				}
				if err := write(t, stored); err != nil {
					return stats, err
				}
			}
			if c == nil {
				return stats, fmt.Errorf("seed: the scripted complaint of customer %d registered no case (last reply %q)", k, t.Replies)
			}
			stats.Cases++
			if stats.Cases%100 == 1 {
				stats.Sample = append(stats.Sample, c.Number)
			}
			last, err := seedCaseLife(ctx, batch, engine, c, shape.End, rng, &lines, &stats)
			if err != nil {
				return stats, err
			}
			summaries = append([]complaintbot.CaseSummary{{Number: c.Number, Kind: c.Kind, Status: c.Status, Category: c.Category,
				Branch: c.Branch, Received: c.Received, ReplyDue: c.ReplyDue}}, summaries...)
			// The customer asks for progress a day later (if the year has room for it).
			if q := c.Received.Add(24 * time.Hour); q.Before(shape.End) {
				t, _, err = say(q, "查询进度", nil)
				if err != nil {
					return stats, err
				}
				if err := write(t, nil); err != nil {
					return stats, err
				}
			}
			// The survey's answer, in the customer's own conversation.
			if sv := last.survey; sv != nil && sv.Status == complaintbot.SurveyAnswered {
				at := *sv.Answered
				if !at.After(t.At) {
					at = t.At.Add(time.Minute)
					sv.Answered = &at
				}
				t, effs, err := say(at, fmt.Sprint(sv.Rating), &flows.OpenSurvey{ID: sv.ID, CaseNumber: c.Number})
				if err != nil {
					return stats, err
				}
				var stored []complaintbot.TurnEffect
				for _, e := range effs {
					stored = append(stored, complaintbot.TurnEffect{Effect: e})
				}
				if err := write(t, stored); err != nil {
					return stats, err
				}
				sv.AnswerTurn = t.ID
				c.Satisfaction = &complaintbot.Satisfaction{Survey: sv.ID, Rating: sv.Rating, At: at}
			}
			if last.survey != nil {
				stats.Surveys++
				if err := batch.Survey(ctx, *last.survey); err != nil {
					return stats, err
				}
			}
			if err := batch.Case(ctx, c); err != nil {
				return stats, err
			}
			f := seedFact(c, last.survey, shape.End)
			facts[f.Day] = append(facts[f.Day], f)
			stats.Facts++
			if c.Status.Open() {
				openCases = append(openCases, c)
			}
		}
		if progress != nil && k > 0 && k%10000 == 0 {
			progress(fmt.Sprintf("seeded %d of %d customers (%d turns, %d cases) in %v", k, shape.Customers, stats.Turns, stats.Cases,
				time.Since(start).Round(time.Second)))
		}
	}
	if err := seedScheduler(ctx, st, openCases, shape.End, &stats); err != nil {
		return stats, err
	}
	if err := batch.Flush(ctx); err != nil {
		return stats, err
	}
	if err := seedReports(ctx, st, facts, shape.End); err != nil {
		return stats, err
	}
	stats.Took = time.Since(start)
	return stats, nil
}

// daytime moves t into the bank's day (08:00–21:00 Asia/Shanghai) of its date.
func daytime(t time.Time, rng *rand.Rand) time.Time {
	l := t.In(complaintbot.Shanghai)
	d := time.Date(l.Year(), l.Month(), l.Day(), 8, 0, 0, 0, complaintbot.Shanghai)
	return d.Add(time.Duration(rng.IntN(13*3600)) * time.Second)
}

// caseLife is what seedCaseLife did to a case.
type caseLife struct {
	survey *complaintbot.Survey
}

var seedAgents = []string{"alice", "bob", "carol", "dave"}

// seedCaseLife gives the case what happened to it by end: an agent accepted it and, for a case
// older than a fortnight (most of them), resolved it with a reply; the scheduler's view of it;
// the notices and the survey the customer got (outbox rows) and the survey itself.
func seedCaseLife(ctx context.Context, b *seed.Batch, engine *flows.Engine, c *yearCase, end time.Time, rng *rand.Rand, lines *int64, stats *SeedStats) (caseLife, error) {
	var life caseLife
	agent := seedAgents[rng.IntN(len(seedAgents))]
	accepted := c.Received.Add(time.Duration(30+rng.IntN(600)) * time.Minute)
	if !accepted.Before(end) {
		return life, seedTrack(ctx, b, c, c.Received)
	}
	outbox := func(id, purpose, text string, at time.Time) error {
		return seedOutbox(ctx, b, complaintbot.OutboxMessage{ID: id, OpenID: c.OpenID, Text: text, Purpose: purpose, CaseNumber: c.Number, Created: at, By: complaintbot.SystemUser}, end, stats)
	}
	c.Status = complaintbot.StatusInvestigating
	c.Work.Rev = 1
	c.Work.Assignee, c.Work.AcceptedAt, c.Work.AcceptedBy = agent, &accepted, agent
	c.Work.Departments = complaintbot.Departments{Responsible: c.Branch.Name, Host: "消费者权益保护部"}
	c.Work.Timeline = append(c.Work.Timeline, complaintbot.TimelineEntry{ID: "r1", At: accepted, By: agent, Kind: "status", From: string(complaintbot.StatusReceived), To: string(complaintbot.StatusInvestigating)})
	c.Updated = accepted
	summary := complaintbot.CaseSummary{Number: c.Number, Kind: c.Kind, Status: c.Status, Category: c.Category, Branch: c.Branch, Received: c.Received, ReplyDue: c.ReplyDue}
	if err := outbox(fmt.Sprintf("notice:%s:1:%s", c.Number, c.Status), complaintbot.PurposeNotice,
		engine.Notice(flows.NoticeAccepted, summary, flows.NoticeData{Expected: c.ReplyDue, Decision: c.DecisionDue}), accepted.Add(time.Minute)); err != nil {
		return life, err
	}
	resolved := c.Received.Add(time.Duration(24+rng.IntN(13*24)) * time.Hour)
	if !resolved.Before(end.Add(-14*24*time.Hour)) || rng.IntN(20) == 0 {
		// Still open: an agent's reply so far, maybe.
		if rng.IntN(2) == 0 && accepted.Add(time.Hour).Before(end) {
			replied := accepted.Add(time.Hour)
			c.RepliedAt = &replied
			if err := seedAgentReply(ctx, b, c, agent, replied, end, lines, stats); err != nil {
				return life, err
			}
		}
		return life, seedTrack(ctx, b, c, c.Updated)
	}
	replied := resolved.Add(-time.Duration(1+rng.IntN(20)) * time.Hour)
	if replied.Before(accepted) {
		replied = accepted.Add(time.Minute)
	}
	c.RepliedAt = &replied
	if err := seedAgentReply(ctx, b, c, agent, replied, end, lines, stats); err != nil {
		return life, err
	}
	c.Status = complaintbot.StatusResolved
	c.Work.Rev = 2
	c.Work.Resolution = &complaintbot.Resolution{Text: "已核实情况，对相关人员进行了批评教育", Reply: "已向客户致歉并说明处理结果", By: agent, At: resolved}
	c.Work.Timeline = append(c.Work.Timeline, complaintbot.TimelineEntry{ID: "r2", At: resolved, By: agent, Kind: "status", From: string(complaintbot.StatusInvestigating), To: string(complaintbot.StatusResolved)})
	c.Updated = resolved
	summary.Status = c.Status
	if err := outbox(fmt.Sprintf("notice:%s:2:%s", c.Number, c.Status), complaintbot.PurposeNotice,
		engine.Notice(flows.NoticeResolved, summary, flows.NoticeData{Expected: resolved, Decision: c.DecisionDue, Reply: c.Work.Resolution.Reply}), resolved.Add(time.Minute)); err != nil {
		return life, err
	}
	asked := resolved.Add(2 * time.Hour)
	if asked.Before(end) {
		seed := complaintbot.Survey{ID: c.Number + "#1", Subject: complaintbot.SurveyOfCase, Case: c.Number, Round: 1, OpenID: c.OpenID, Kind: string(c.Kind),
			Branch: c.Branch.Code, BranchName: c.Branch.Name, Agent: agent, By: complaintbot.SystemUser}
		if c.Category != nil {
			seed.Category, seed.CategoryName = c.Category.Code, c.Category.Name
		}
		sv := storage.NewSurvey(seed, asked, asked.Add(72*time.Hour))
		if err := outbox("survey:"+sv.ID, complaintbot.PurposeSurvey, engine.SurveyQuestion(&summary, false), asked); err != nil {
			return life, err
		}
		switch r := rng.IntN(10); {
		case r < 7 && asked.Add(3*time.Hour).Before(end):
			at := asked.Add(time.Duration(10+rng.IntN(120)) * time.Minute)
			sv.Status, sv.Answered = complaintbot.SurveyAnswered, &at
			sv.Rating = []int{5, 5, 5, 4, 4, 3, 2, 1}[rng.IntN(8)]
			sv.Low = engine.LowRating(sv.Rating)
			if sv.Low {
				sv.Comment = "处理太慢，问题没有解决"
				if err := b.FollowUp(ctx, storage.FollowUp{ID: storage.FollowUpID(sv.ID), Survey: sv.ID, Case: sv.Case, OpenID: sv.OpenID,
					Branch: sv.Branch, BranchName: sv.BranchName, Category: sv.Category, CategoryName: sv.CategoryName, Kind: sv.Kind, Agent: sv.Agent,
					Rating: sv.Rating, Comment: sv.Comment, Status: storage.FollowUpOpen, Created: at}); err != nil {
					return life, err
				}
			}
		case sv.Expires.Before(end):
			at := sv.Expires
			sv.Status, sv.Expired = complaintbot.SurveyExpired, &at
		}
		life.survey = &sv
	}
	return life, seedTrack(ctx, b, c, c.Updated)
}

// seedAgentReply records an agent's reply about the case: the outbox row and the transcript line.
func seedAgentReply(ctx context.Context, b *seed.Batch, c *yearCase, agent string, at, end time.Time, lines *int64, stats *SeedStats) error {
	id := fmt.Sprintf("agent:%s:%d", c.Number, at.Unix())
	text := "您好，您反映的问题我们已经在核实，会尽快给您答复。"
	if err := seedOutbox(ctx, b, complaintbot.OutboxMessage{ID: id, OpenID: c.OpenID, Text: text, Purpose: complaintbot.PurposeAgent, CaseNumber: c.Number,
		Created: at, By: agent}, end, stats); err != nil {
		return err
	}
	*lines++
	return b.Line(ctx, storage.Line{ID: id, OpenID: c.OpenID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: text, At: at, By: agent}, *lines)
}

// seedRetention is how long the outbox keeps a message sent (scheduler.retention by default): the
// housekeeping job deletes older ones with their delivery claims, so a year leaves only these.
const seedRetention = 30 * 24 * time.Hour

// seedOutbox records a message sent a moment after it was queued, with its delivery claim,
// unless the housekeeping job would have deleted it by end.
func seedOutbox(ctx context.Context, b *seed.Batch, m complaintbot.OutboxMessage, end time.Time, stats *SeedStats) error {
	if m.Created.Before(end.Add(-seedRetention)) {
		return nil
	}
	stats.Outbox++
	done := m.Created.Add(2 * time.Second)
	m.Status, m.Attempts, m.NextAt, m.Done, m.Channel = complaintbot.OutboxSent, 1, m.Created, &done, "custom"
	return b.SentMessage(ctx, m, "seed")
}

// seedTrack stores what the scheduler saw of the case when it last looked (at).
func seedTrack(ctx context.Context, b *seed.Batch, c *yearCase, at time.Time) error {
	tr := storage.CaseTrack{Number: c.Number, Status: c.Status, ReplyDue: c.ReplyDue, DecisionDue: c.DecisionDue, Updated: at}
	if c.Status != complaintbot.StatusReceived {
		tr.Seq = 1
		tr.NoticeAt = at
	}
	if !c.Status.Open() {
		tr.Seq, tr.Episode = 2, 1
	}
	return b.CaseTrack(ctx, tr)
}

// seedScheduler writes the entries still due for the open cases (reminders, deadlines, the next
// progress look) and the jobs' checkpoints at end, as the scheduler leaves them.
func seedScheduler(ctx context.Context, st *storage.Store, open []*yearCase, end time.Time, stats *SeedStats) error {
	var due []storage.DueEntry
	for _, c := range open {
		add := func(kind, deadline string, d, at time.Time) {
			if at.After(end) {
				due = append(due, storage.DueEntry{ID: fmt.Sprintf("%s#%s#%s#%d", kind, c.Number, deadline, d.Unix()), Kind: kind, At: at, Case: c.Number, Deadline: deadline, Due: d})
			}
		}
		if c.RepliedAt == nil {
			add(storage.DueRemind, storage.DeadlineReply, c.ReplyDue, c.ReplyDue.Add(-24*time.Hour))
			add(storage.DueOverdue, storage.DeadlineReply, c.ReplyDue, c.ReplyDue.Add(time.Second))
		}
		add(storage.DueRemind, storage.DeadlineDecision, c.DecisionDue, c.DecisionDue.Add(-24*time.Hour))
		add(storage.DueOverdue, storage.DeadlineDecision, c.DecisionDue, c.DecisionDue.Add(time.Second))
		if at := c.Updated.Add(72 * time.Hour); at.After(end) {
			due = append(due, storage.DueEntry{ID: fmt.Sprintf("progress#%s#%d", c.Number, at.Unix()), Kind: storage.DueProgress, At: at, Case: c.Number})
		}
	}
	for i := 0; i < len(due); i += 2000 {
		if err := st.InsertDue(ctx, due[i:min(i+2000, len(due))]); err != nil {
			return fmt.Errorf("seed scheduled entries: %w", err)
		}
	}
	stats.Due = len(due)
	for _, job := range []string{"notices", "deadlines", "surveys", "housekeeping", "deadlines.sweep"} {
		if err := st.SetJobCheckpoint(ctx, job, end.Add(-30*time.Second), nil); err != nil {
			return err
		}
	}
	return nil
}

// seedFact is the case's report fact as of end.
func seedFact(c *yearCase, sv *complaintbot.Survey, end time.Time) storage.ReportFact {
	rc := *c
	var rs *complaintbot.Survey
	if sv != nil {
		rs = &complaintbot.Survey{ID: sv.ID, Case: sv.Case, Round: sv.Round, Status: sv.Status, Rating: sv.Rating, Low: sv.Low, Comment: sv.Comment}
	}
	follow := ""
	if rs != nil && rs.Status == complaintbot.SurveyAnswered && rs.Low {
		follow = string(storage.FollowUpOpen)
	}
	return reports.BuildFact(&rc, rs, follow, end)
}

// seedReports stores the facts of every day, their day, week and month rollups and the list of
// periods.
func seedReports(ctx context.Context, st *storage.Store, facts map[string][]storage.ReportFact, end time.Time) error {
	var days []string
	for d := range facts {
		days = append(days, d)
	}
	slices.Sort(days)
	byDay := map[string]*storage.ReportRollup{}
	var rollups []*storage.ReportRollup
	for _, d := range days {
		if err := st.InsertReportFacts(ctx, d, facts[d]); err != nil {
			return err
		}
		r := storage.FoldFacts(d, end, facts[d])
		byDay[d] = r
		rollups = append(rollups, r)
	}
	groups := map[string][]*storage.ReportRollup{}
	for _, d := range days {
		t, _ := time.ParseInLocation("2006-01-02", d, complaintbot.Shanghai)
		y, w := t.ISOWeek()
		groups[d[:7]] = append(groups[d[:7]], byDay[d])
		week := fmt.Sprintf("%04d-W%02d", y, w)
		groups[week] = append(groups[week], byDay[d])
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for k := range groups {
			if !yield(k) {
				return
			}
		}
	}) {
		rollups = append(rollups, storage.MergeRollups(id, end, groups[id]))
	}
	for i := 0; i < len(rollups); i += 100 {
		if err := st.InsertReportRollups(ctx, rollups[i:min(i+100, len(rollups))]); err != nil {
			return err
		}
	}
	ids := make([]string, 0, len(rollups))
	for _, r := range rollups {
		ids = append(ids, r.ID)
	}
	return st.SetReportPeriods(ctx, ids)
}

// SeededFolder returns a data folder holding the year of shape, seeded once and kept under the
// system's temporary folder by SeedSchema and shape (re-runs copy it instead of seeding again):
// seed is called with an empty folder to fill when there is none yet. It returns the cached
// folder's path, whether it was seeded now, and how long that took.
func SeededFolder(shape YearShape, seed func(dir string) error) (dir string, seeded bool, err error) {
	// Not keyed by End: a year seeded some days ago is still a year (the service catches up on
	// what fell due since, as after any stop).
	key := fmt.Sprintf("complaintbot-seed-%s-%dc-%dk", SeedSchema, shape.Cases, shape.Customers)
	dir = filepath.Join(os.TempDir(), key)
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir, false, nil
	}
	// Seed into a fresh folder beside it and rename it into place once complete.
	_ = os.RemoveAll(dir)
	tmp := dir + ".partial"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", false, fmt.Errorf("seed folder: %w", err)
	}
	if err := seed(tmp); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(SeedSchema+"\n"), 0o600); err != nil {
		return "", false, fmt.Errorf("seed folder: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", false, fmt.Errorf("seed folder: %w", err)
	}
	return dir, true, nil
}

// CopyFolder copies the seeded data folder src to dst as storage.CopyDataFolder does (modification
// times kept, lock left out), without the seed's completion mark.
func CopyFolder(src, dst string) error {
	return storage.CopyDataFolder(src, dst, "complete")
}

// FolderSize is the size in bytes of the files under dir.
func FolderSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}
