package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/scheduler"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
	"github.com/complaintbot/complaintbot/taxonomy"
	"github.com/complaintbot/complaintbot/wechatapi"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// never is a cron spec that does not fire during a test: the tests run the jobs themselves.
const never = "@every 87600h"

// schedConfig keeps cron out of the way and applies edit.
func schedConfig(edit func(*config.Scheduler)) func(*config.Config) {
	return func(c *config.Config) {
		s := &c.Scheduler
		s.NoticesSpec, s.DeadlinesSpec, s.SurveysSpec, s.HousekeepingSpec = never, never, never, never
		if edit != nil {
			edit(s)
		}
	}
}

// withTemplates configures both template kinds.
func withTemplates(s *config.Scheduler) {
	s.Templates = map[string]string{"progress": "TPL-PROGRESS", "survey": "TPL-SURVEY"}
}

// register walks a complaint about 城东支行 through the webhook and returns its case number.
func register(t *testing.T, h *apptest.Harness, who string) string {
	t.Helper()
	toReadBack(t, h, who)
	done := expect(t, h, who, "确认", "编号")
	cs := cases(t, h, who)
	if len(cs) == 0 {
		t.Fatalf("no case registered: %s", done)
	}
	return cs[0].Number
}

// agent is a head-office agent working cases through the case workflow in these tests.
var agent = complaintbot.Actor{User: &complaintbot.User{Name: "wang", DisplayName: "王芳", Role: complaintbot.RoleAgent, Branches: []string{complaintbot.HeadOffice}}}

// setStatus moves a case to investigating (accepting it) or codes and resolves it, as an agent
// does in the console: through the case workflow, which tells the customer.
func setStatus(t *testing.T, h *apptest.Harness, number string, st complaintbot.Status) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch st {
	case complaintbot.StatusResolved:
		if err = h.App.Cases.SetCoding(ctx, agent, number, taxonomy.Coding{Channel: "A0101", Business: "B01", Reason: "C01"}); err == nil {
			err = h.App.Cases.Resolve(ctx, agent, number, "已核实并处理", "经核实，已向相关人员了解情况并改进。")
		}
	default:
		err = h.App.Cases.SetStatus(ctx, agent, number, "", st, "")
	}
	if err != nil {
		t.Fatal(err)
	}
}

// runJobs runs the notices, deadlines and surveys jobs and delivers the outbox.
func runJobs(t *testing.T, h *apptest.Harness) {
	t.Helper()
	if err := h.App.Scheduler.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	deliver(t, h)
}

// deliver runs the outbox until no message due now is left pending: the service's own worker may
// hold an attempt (the test then waits for it to finish).
func deliver(t *testing.T, h *apptest.Harness) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.Deliver()
		due, err := h.App.Store.DueOutbox(context.Background(), h.Clock.Now(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox message %s still pending", due[0].ID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// at moves the clock to t and runs the jobs.
func at(t *testing.T, h *apptest.Harness, when time.Time) {
	t.Helper()
	h.Clock.Set(when)
	runJobs(t, h)
}

// apiSent returns what the fake WeChat API accepted for who, as "custom:text" / "template:ID:text".
// wantSent checks them in order: each want lists fragments of one message, separated by "|".
// A template message that breaks WeChat's rules since 2023-05-04 (a first or remark line, a
// value over 20 characters or with a line break) shows as "BROKEN:" and the field.
func apiSent(h *apptest.Harness, who string) []string {
	var out []string
	for _, m := range h.App.Sandbox.SentTo(who) {
		if m.Kind == "template" {
			broken := ""
			for k, v := range m.Data {
				if k == "first" || k == "remark" || utf8.RuneCountInString(v) > wechatapi.KeywordLimit || strings.ContainsAny(v, "\r\n") {
					broken += "BROKEN:" + k + "=" + v
				}
			}
			out = append(out, broken+"template:"+m.TemplateID+":"+m.Data["keyword4"])
		} else {
			out = append(out, "custom:"+m.Text)
		}
	}
	return out
}

func wantSent(t *testing.T, h *apptest.Harness, who string, want ...string) {
	t.Helper()
	got := apiSent(h, who)
	if len(got) != len(want) {
		t.Fatalf("sent to the customer:\n  %s\nwant %d messages containing %q", strings.Join(got, "\n  "), len(want), want)
	}
	for i, w := range want {
		if strings.HasPrefix(got[i], "BROKEN:") {
			t.Fatalf("message %d breaks WeChat's template rules: %q", i, got[i])
		}
		for _, part := range strings.Split(w, "|") {
			if !strings.Contains(got[i], part) {
				t.Fatalf("message %d: %q, want it to contain %q\nall: %q", i, got[i], part, got)
			}
		}
	}
}

func caseState(t *testing.T, h *apptest.Harness, number string) *complaintbot.Case {
	t.Helper()
	c, err := h.App.Store.ScanCase(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func shanghai(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, complaintbot.Shanghai)
}

// A complaint from registration to the satisfaction survey: every notice, reminder, escalation and
// the survey at the right time, on the channel WeChat allows, each exactly once; a low rating
// through the webhook is stored on the case and raises the supervisor's follow-up.
func TestCaseLifecycleNoticesDeadlinesSurvey(t *testing.T) {
	h := apptest.New(t, schedConfig(withTemplates))
	ctx := context.Background()
	who := "oSched0001alice"
	number := register(t, h, who) // Friday 27 Nov 10:00; reply due Wed 2 Dec, decision due 12 Dec
	runJobs(t, h)
	wantSent(t, h, who) // the registration was answered in the chat; nothing else yet

	// An agent accepts the case an hour later: the customer (still in the 48-hour window) is told.
	h.Clock.Set(shanghai(2026, 11, 27, 11, 0, 0))
	setStatus(t, h, number, complaintbot.StatusInvestigating)
	runJobs(t, h)
	runJobs(t, h)
	wantSent(t, h, who, "custom:|已由工作人员受理")

	// Nothing new for 72 hours: "still working on it", as a template (the window closed on Sunday).
	at(t, h, shanghai(2026, 11, 30, 10, 59, 0))
	wantSent(t, h, who, "已由工作人员受理")
	at(t, h, shanghai(2026, 11, 30, 11, 0, 0))
	at(t, h, shanghai(2026, 11, 30, 11, 5, 0))
	wantSent(t, h, who, "已由工作人员受理", "template:TPL-PROGRESS:|仍在处理中")
	tpl := h.App.Sandbox.SentTo(who)[1]
	if tpl.Data["keyword1"] != number || tpl.Data["keyword2"] != "调查处理中" || tpl.Data["keyword3"] != "2026年12月2日" {
		t.Fatalf("template data %v", tpl.Data)
	}

	// A day before the promised reply date: the branch sees a reminder, the customer a notice.
	at(t, h, shanghai(2026, 12, 1, 23, 59, 0))
	if r, _ := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now()); len(r) != 0 {
		t.Fatalf("reminder too early: %+v", r)
	}
	at(t, h, shanghai(2026, 12, 2, 0, 0, 0))
	for _, branches := range [][]string{nil, {"0101"}} {
		r, err := storagetest.Reminders(ctx, h.App.Store, branches, h.Clock.Now())
		if err != nil || len(r) != 1 || r[0].Kind != storage.ReminderDueSoon || r[0].Deadline != storage.DeadlineReply || r[0].Case != number {
			t.Fatalf("reminders for %v: %+v %v", branches, r, err)
		}
	}
	if r, _ := storagetest.Reminders(ctx, h.App.Store, []string{"0201"}, h.Clock.Now()); len(r) != 0 {
		t.Fatalf("another branch sees the reminder: %+v", r)
	}
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理")

	// Past the reply deadline: overdue, escalated to head office, the customer told.
	at(t, h, shanghai(2026, 12, 2, 23, 59, 0))
	if c := caseState(t, h, number); c.Status != complaintbot.StatusInvestigating {
		t.Fatalf("escalated early: %s", c.Status)
	}
	at(t, h, shanghai(2026, 12, 3, 0, 0, 1))
	at(t, h, shanghai(2026, 12, 3, 0, 10, 0))
	c := caseState(t, h, number)
	if c.Status != complaintbot.StatusEscalated || c.Missed[storage.DeadlineReply].IsZero() || c.Escalated == nil {
		t.Fatalf("case after the reply deadline: status %s overdue %v", c.Status, c.Missed)
	}
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门")
	r, _ := storagetest.Reminders(ctx, h.App.Store, []string{"0101"}, h.Clock.Now())
	if len(r) != 2 || r[1].Kind != storage.ReminderOverdue || !r[1].Escalated {
		t.Fatalf("overdue reminder: %+v", r)
	}

	// Resolved on Friday: the customer is told, the reminders close, the survey follows 2 hours later.
	h.Clock.Set(shanghai(2026, 12, 4, 10, 0, 0))
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门", "已处理完毕")
	if r, _ := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now()); len(r) != 0 {
		t.Fatalf("reminders of a resolved case: %+v", r)
	}
	at(t, h, shanghai(2026, 12, 4, 11, 59, 0))
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门", "已处理完毕")
	at(t, h, shanghai(2026, 12, 4, 12, 0, 0))
	at(t, h, shanghai(2026, 12, 4, 12, 30, 0))
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门", "已处理完毕", "template:TPL-SURVEY:|打分")
	survey := number + "#1"
	sv, err := h.App.Store.Survey(ctx, survey)
	if err != nil || sv.Status != complaintbot.SurveySent || sv.Branch != "0101" || sv.Category != "attitude" || sv.Kind != "complaint" ||
		sv.Day != "2026-12-04" || sv.Week != "2026-W49" || sv.Month != "2026-12" {
		t.Fatalf("survey %+v %v", sv, err)
	}

	// The customer rates it 2 in the chat: stored on the survey and the case; a follow-up for the branch.
	h.Clock.Set(shanghai(2026, 12, 4, 14, 0, 0))
	expect(t, h, who, "2", "非常抱歉", "不满意")
	expect(t, h, who, "办理太慢了，等了一个星期", "已记录")
	c = caseState(t, h, number)
	if c.Satisfaction == nil || c.Satisfaction.Rating != 2 || c.Satisfaction.Comment != "办理太慢了，等了一个星期" {
		t.Fatalf("satisfaction on the case: %+v", c.Satisfaction)
	}
	if sv, _ := h.App.Store.Survey(ctx, survey); sv.Status != complaintbot.SurveyAnswered || sv.Rating != 2 || !sv.Low {
		t.Fatalf("survey after the rating: %+v", sv)
	}
	fu, err := storagetest.FollowUps(ctx, h.App.Store, []string{"0101"}, storage.FollowUpOpen)
	if err != nil || len(fu) != 1 || fu[0].Rating != 2 || fu[0].Case != number || fu[0].Comment != "办理太慢了，等了一个星期" {
		t.Fatalf("follow-ups: %+v %v", fu, err)
	}
	if fu, _ := storagetest.FollowUps(ctx, h.App.Store, []string{"0201"}, ""); len(fu) != 0 {
		t.Fatal("another branch sees the follow-up")
	}
	if err := h.App.Store.RecordFollowUp(ctx, fu[0].ID, "supervisor1", storage.FollowUpCall{Reached: true, Note: "已电话回访"}, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if open, _ := storagetest.FollowUps(ctx, h.App.Store, nil, storage.FollowUpOpen); len(open) != 0 {
		t.Fatal("completed follow-up still open")
	}

	// Days later: no reminder for an answered survey, nothing sent twice.
	for d := 1; d <= 5; d++ {
		at(t, h, shanghai(2026, 12, 4+d, 12, 0, 0))
	}
	wantSent(t, h, who, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门", "已处理完毕", "template:TPL-SURVEY:|打分")
	if sv, _ := h.App.Store.Survey(ctx, survey); sv.Status != complaintbot.SurveyAnswered {
		t.Fatalf("answered survey became %s", sv.Status)
	}
}

// An unanswered survey is asked once more after a day and lapses after survey_expiry; a "5"
// after that is an ordinary message again.
func TestSurveyReminderAndExpiry(t *testing.T) {
	h := apptest.New(t, schedConfig(withTemplates))
	ctx := context.Background()
	who := "oSched0002bob"
	number := register(t, h, who)
	h.Clock.Set(shanghai(2026, 11, 27, 12, 0, 0))
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)
	at(t, h, shanghai(2026, 11, 27, 14, 0, 0)) // survey (the customer wrote 4 hours ago: in the chat)
	wantSent(t, h, who, "custom:|已处理完毕", "custom:|请为本次处理打分")
	at(t, h, shanghai(2026, 11, 28, 13, 59, 0))
	at(t, h, shanghai(2026, 11, 28, 14, 0, 0)) // the reminder, once
	at(t, h, shanghai(2026, 11, 28, 20, 0, 0))
	wantSent(t, h, who, "已处理完毕", "请为本次处理打分", "custom:|还没有收到")
	at(t, h, shanghai(2026, 11, 30, 14, 0, 0)) // 72 hours: lapsed (the last one went by template)
	wantSent(t, h, who, "已处理完毕", "请为本次处理打分", "还没有收到")
	sv, err := h.App.Store.Survey(ctx, number+"#1")
	if err != nil || sv.Status != complaintbot.SurveyExpired || sv.Reminded == nil || sv.Expired == nil {
		t.Fatalf("survey %+v %v", sv, err)
	}
	got := h.Say(who, "5")
	if strings.Contains(got, "感谢您的评价") {
		t.Fatalf("a rating after expiry was taken: %s", got)
	}
	if c := caseState(t, h, number); c.Satisfaction != nil {
		t.Fatalf("rating stored after expiry: %+v", c.Satisfaction)
	}
}

// Against a fake WeChat API that answers 45015, 45047, -1 and 40001 at chosen moments: the right
// fallback, retry or undeliverable mark each time, and nothing lost or doubled.
func TestOutboxFallbacksAndRetries(t *testing.T) {
	h := apptest.New(t, schedConfig(func(s *config.Scheduler) { s.Templates = map[string]string{"progress": "TPL-PROGRESS"} }))
	ctx := context.Background()
	who := "oSched0003carol"
	h.Say(who, "你好") // opens the 48-hour window
	enqueue := func(id, purpose string) {
		t.Helper()
		if _, err := h.App.Store.Enqueue(ctx, &complaintbot.OutboxMessage{ID: id, OpenID: who, Text: "消息 " + id, Purpose: purpose, Created: h.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	status := func(id string) *complaintbot.OutboxMessage {
		t.Helper()
		m, err := h.App.Store.OutboxMessage(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Stop the background worker's polling from racing the failures injected below: the test
	// delivers by hand (the worker would only claim the same attempts).
	custom := fakewechat.PathCustomSend

	// 45015 on a notice: WeChat says the window is closed, a template goes instead.
	h.App.Sandbox.FailNext(custom, 45015, 1)
	enqueue("n1", complaintbot.PurposeNotice)
	deliver(t, h)
	if m := status("n1"); m.Status != complaintbot.OutboxSent || m.Channel != "template" || m.Attempts != 2 {
		t.Fatalf("n1 after 45015: %+v", m)
	}
	// 45047 on a survey question with no survey template: undeliverable, call the customer.
	h.App.Sandbox.FailNext(custom, 45047, 1)
	enqueue("s1", complaintbot.PurposeSurvey)
	deliver(t, h)
	if m := status("s1"); m.Status != complaintbot.OutboxUndeliverable || !strings.Contains(m.LastError, "45047") || !strings.Contains(m.LastError, "call the customer") {
		t.Fatalf("s1 after 45047: %+v", m)
	}
	// -1 (system busy): retried after a backoff, then delivered.
	h.App.Sandbox.FailNext(custom, -1, 2)
	enqueue("a1", complaintbot.PurposeAgent)
	deliver(t, h)
	if m := status("a1"); m.Status != complaintbot.OutboxPending || m.Attempts != 1 {
		t.Fatalf("a1 after -1: %+v", m)
	}
	h.Clock.Advance(10 * time.Second)
	deliver(t, h)
	if m := status("a1"); m.Status != complaintbot.OutboxPending || m.Attempts != 2 {
		t.Fatalf("a1 after the second -1: %+v", m)
	}
	h.Clock.Advance(20 * time.Second)
	deliver(t, h)
	if m := status("a1"); m.Status != complaintbot.OutboxSent || m.Attempts != 3 || m.Channel != "custom" {
		t.Fatalf("a1 after backoff: %+v", m)
	}
	// 40001 once: the client fetches a new token and sends again in the same attempt.
	fetches := h.App.Sandbox.TokenFetches()
	h.App.Sandbox.FailNext(custom, 40001, 1)
	enqueue("a2", complaintbot.PurposeAgent)
	deliver(t, h)
	if m := status("a2"); m.Status != complaintbot.OutboxSent || m.Attempts != 1 {
		t.Fatalf("a2 after 40001: %+v", m)
	}
	if h.App.Sandbox.TokenFetches() != fetches+1 {
		t.Fatalf("token fetches %d, want %d", h.App.Sandbox.TokenFetches(), fetches+1)
	}
	// 40001 twice: the refreshed token is refused too; retried later.
	h.App.Sandbox.FailNext(custom, 40001, 2)
	enqueue("a3", complaintbot.PurposeAgent)
	deliver(t, h)
	if m := status("a3"); m.Status != complaintbot.OutboxPending {
		t.Fatalf("a3 after 40001 twice: %+v", m)
	}
	h.Clock.Advance(10 * time.Second)
	deliver(t, h)
	if m := status("a3"); m.Status != complaintbot.OutboxSent {
		t.Fatalf("a3 later: %+v", m)
	}
	// 43004: the customer unfollowed; a person calls.
	h.App.Sandbox.FailNext(custom, 43004, 1)
	enqueue("n2", complaintbot.PurposeNotice)
	deliver(t, h)
	if m := status("n2"); m.Status != complaintbot.OutboxUndeliverable {
		t.Fatalf("n2 after 43004: %+v", m)
	}
	// Out of the window: an agent's reply never goes by template.
	h.Clock.Advance(49 * time.Hour)
	enqueue("a4", complaintbot.PurposeAgent)
	enqueue("n3", complaintbot.PurposeNotice)
	deliver(t, h)
	if m := status("a4"); m.Status != complaintbot.OutboxUndeliverable || !strings.Contains(m.LastError, "template") {
		t.Fatalf("a4 out of the window: %+v", m)
	}
	if m := status("n3"); m.Status != complaintbot.OutboxSent || m.Channel != "template" || m.Attempts != 1 {
		t.Fatalf("n3 out of the window: %+v", m)
	}
	// Every message reached WeChat once, or is listed for a person.
	seen := map[string]int{}
	for _, m := range h.App.Sandbox.SentTo(who) {
		text := m.Text
		if m.Kind == "template" {
			text = m.Data["keyword4"]
		}
		seen[text]++
	}
	for _, id := range []string{"n1", "a1", "a2", "a3", "n3"} {
		if seen["消息 "+id] != 1 {
			t.Errorf("%s reached WeChat %d times", id, seen["消息 "+id])
		}
	}
	list, err := h.App.Store.UndeliverableOutbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	for _, id := range []string{"s1", "n2", "a4"} {
		if !strings.Contains(strings.Join(ids, ","), id) {
			t.Errorf("%s not listed for a call: %v", id, ids)
		}
	}
	if err := h.App.Store.ResolveOutbox(ctx, "s1", "wang", "called", h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if list, _ := h.App.Store.UndeliverableOutbox(ctx, 10); len(list) != 2 {
		t.Fatalf("after resolving one: %d listed", len(list))
	}
}

// Many cases are resolved; the surveys job is cut off midway (a crash) and the service restarts:
// the next run finishes the work, and every customer is asked exactly once.
func TestSurveysResumeAfterARestartMidRun(t *testing.T) {
	h := apptest.New(t, schedConfig(func(s *config.Scheduler) { s.BatchSize = 4; withTemplates(s) }))
	ctx := context.Background()
	const n = 14
	var who []string
	for i := range n {
		id := fmt.Sprintf("oSchedRestart%03d", i)
		who = append(who, id)
		number := fmt.Sprintf("TS20261127-9%03d", i)
		insertResolved(t, h, number, id, h.Clock.Now())
	}
	runJobs(t, h) // the notices job sees the resolutions and schedules the surveys
	h.Clock.Advance(2 * time.Hour)
	cut := errors.New("power cut")
	h.App.Scheduler.AfterBatch = func(job string, done int) error {
		if job == scheduler.JobSurveys && done >= 8 {
			return cut
		}
		return nil
	}
	if _, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobSurveys); !errors.Is(err, cut) {
		t.Fatalf("run: %v", err)
	}
	asked := countSurveys(t, h)
	if asked < 8 || asked >= n {
		t.Fatalf("%d surveys asked before the cut, want 8..%d", asked, n-1)
	}
	deliver(t, h)
	oldAPI := h.App.Sandbox // the fake WeChat API restarts with the service: keep what it got
	h.Restart()
	// The dead instance holds the job's lease until its period ends.
	if r, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobSurveys); err != nil || r.Ran {
		t.Fatalf("ran while the dead instance's lease lasted: %+v %v", r, err)
	}
	h.Clock.Advance(2 * time.Minute)
	if r, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobSurveys); err != nil || !r.Ran {
		t.Fatalf("run after the lease: %+v %v", r, err)
	}
	deliver(t, h)
	runJobs(t, h)
	if got := countSurveys(t, h); got != n {
		t.Fatalf("%d surveys, want %d", got, n)
	}
	for _, id := range who {
		questions := 0
		for _, m := range append(oldAPI.SentTo(id), h.App.Sandbox.SentTo(id)...) {
			if strings.Contains(m.Text+m.Data["keyword4"], "打分") {
				questions++
			}
		}
		if questions != 1 {
			t.Errorf("%s was asked %d times", id, questions)
		}
	}
}

// insertResolved stores a case resolved at resolved, as the console would have left it.
func insertResolved(t *testing.T, h *apptest.Harness, number, openID string, resolved time.Time) {
	t.Helper()
	ctx := context.Background()
	c := &complaintbot.Case{Number: number, Kind: complaintbot.KindComplaint, Status: complaintbot.StatusResolved, OpenID: openID,
		Channel: "wechat", Branch: complaintbot.Branch{Code: "0101", Name: "城东支行"}, Received: resolved.Add(-48 * time.Hour),
		ReplyDue: resolved.Add(24 * time.Hour), DecisionDue: resolved.Add(10 * 24 * time.Hour), SourceTurn: "turn:" + number,
		Day: "2026-11-25", Month: "2026-11", Updated: resolved}
	if err := h.App.Store.InsertCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Store.CaseChanged(ctx, number, resolved); err != nil {
		t.Fatal(err)
	}
}

func countSurveys(t *testing.T, h *apptest.Harness) int {
	t.Helper()
	n, err := h.App.Store.Collection("surveys").CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// Two scheduler instances (separate owners) run every job at the same moments against one
// database: each notice, reminder and survey happens once.
func TestTwoSchedulerInstances(t *testing.T) {
	h := apptest.New(t, schedConfig(withTemplates))
	ctx := context.Background()
	var numbers, who []string
	for i := range 3 {
		id := fmt.Sprintf("oSchedTwo%03d", i)
		who = append(who, id)
		numbers = append(numbers, register(t, h, id))
	}
	var xs []*scheduler.Scheduler
	for _, owner := range []string{"instance-a", "instance-b"} {
		x, err := scheduler.New(scheduler.Options{Store: h.App.Store, Engine: h.App.Engine, Convs: h.App.Convs, Clock: h.Clock,
			Outbox: h.App.Outbox, Owner: owner, Config: h.App.Config.Scheduler, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	both := func() {
		t.Helper()
		var wg sync.WaitGroup
		ran := make([]int, len(scheduler.Jobs))
		var mu sync.Mutex
		for _, x := range xs {
			for j, job := range scheduler.Jobs[:3] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := x.RunOnce(ctx, job)
					if err != nil {
						t.Error(err)
					}
					if r.Ran {
						mu.Lock()
						ran[j]++
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for j := range 3 {
			if ran[j] != 1 {
				t.Errorf("%s ran on %d instances", scheduler.Jobs[j], ran[j])
			}
		}
		deliver(t, h)
	}
	steps := []time.Time{
		shanghai(2026, 11, 27, 11, 0, 0), shanghai(2026, 11, 30, 11, 0, 0), shanghai(2026, 12, 2, 0, 0, 0),
		shanghai(2026, 12, 3, 0, 0, 1), shanghai(2026, 12, 4, 10, 0, 0), shanghai(2026, 12, 4, 12, 0, 0), shanghai(2026, 12, 5, 12, 0, 0),
	}
	for i, when := range steps {
		h.Clock.Set(when)
		switch i {
		case 0:
			for _, n := range numbers {
				setStatus(t, h, n, complaintbot.StatusInvestigating)
			}
		case 4:
			for _, n := range numbers {
				setStatus(t, h, n, complaintbot.StatusResolved)
			}
		}
		both()
		h.Clock.Advance(5 * time.Minute) // a later tick of both instances changes nothing
		both()
	}
	for _, id := range who {
		wantSent(t, h, id, "已由工作人员受理", "仍在处理中", "正在抓紧处理", "已提交上级部门", "已处理完毕", "打分", "还没有收到")
	}
	r, _ := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now().Add(-72*time.Hour))
	if len(r) != 0 {
		t.Fatalf("reminders left open: %+v", r)
	}
	// The deadline reminders, one each (the three complaints share a phone number, so the third is
	// a repeat complaint with a risk alert of its own: not counted here).
	all, _ := h.App.Store.Collection("reminders").CountDocuments(ctx, bson.D{{Key: "kind", Value: bson.D{{Key: "$ne", Value: "risk"}}}})
	if all != int64(2*len(numbers)) {
		t.Fatalf("%d deadline reminders, want %d", all, 2*len(numbers))
	}
}

// A survey sent by hand from the case page goes once however often it is asked for, and counts as
// the round's survey; a conversation an agent handled (no case) is rated too.
func TestManualAndConversationSurveys(t *testing.T) {
	h := apptest.New(t, schedConfig(nil))
	ctx := context.Background()
	who := "oSched0004dave"
	number := register(t, h, who)
	for range 3 {
		if err := h.App.Scheduler.SendSurveyNow(ctx, number, "wang"); err != nil {
			t.Fatal(err)
		}
	}
	deliver(t, h)
	wantSent(t, h, who, "custom:|打分")
	sv, err := h.App.Store.Survey(ctx, number+"#1")
	if err != nil || !sv.Manual || sv.By != "wang" {
		t.Fatalf("manual survey %+v %v", sv, err)
	}
	// Resolving the case later does not ask round 1 again.
	h.Clock.Advance(time.Hour)
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)
	h.Clock.Advance(3 * time.Hour)
	runJobs(t, h)
	wantSent(t, h, who, "打分", "已处理完毕")
	expect(t, h, who, "满意", "感谢您的评价")
	if c := caseState(t, h, number); c.Satisfaction == nil || c.Satisfaction.Rating != 4 {
		t.Fatalf("satisfaction %+v", c.Satisfaction)
	}
	if err := h.App.Scheduler.SendSurveyNow(ctx, "TS20991231-0001", "wang"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown case: %v", err)
	}

	// A conversation with an agent: rated 2 hours after it ended.
	other := "oSched0005erin"
	h.Say(other, "人工")
	if err := h.App.Scheduler.ConversationEnded(ctx, other, "handoff-1", "li"); err != nil {
		t.Fatal(err)
	}
	if err := h.App.Scheduler.ConversationEnded(ctx, other, "handoff-1", "li"); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(2 * time.Hour)
	runJobs(t, h)
	wantSent(t, h, other, "custom:|人工客服的沟通")
	// The customer is still queued in the bot's eyes until an agent or housekeeping acts; the
	// rating is understood once the conversation is back with the bot.
	if _, err := h.App.Convs.Control(ctx, other, "agent done", func(st *complaintbot.ConversationState) ([]string, error) {
		st.Handoff = ""
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	expect(t, h, other, "五星", "感谢您的评价", "非常满意")
	sv, err = h.App.Store.Survey(ctx, scheduler.ConversationSurveyID("handoff-1"))
	if err != nil || sv.Status != complaintbot.SurveyAnswered || sv.Rating != 5 || sv.Agent != "li" || sv.Subject != complaintbot.SurveyOfConversation || sv.Branch != "NONE" {
		t.Fatalf("conversation survey %+v %v", sv, err)
	}
}

// With reopen_on_low_rating, a rating of 1 reopens the case (the customer is told); resolving it
// again asks the second round's survey.
func TestLowRatingReopensTheCase(t *testing.T) {
	h := apptest.New(t, schedConfig(func(s *config.Scheduler) { s.ReopenOnLowRating = true }))
	ctx := context.Background()
	who := "oSched0006fay"
	number := register(t, h, who)
	h.Clock.Advance(time.Hour)
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)
	h.Clock.Advance(2 * time.Hour)
	runJobs(t, h)
	expect(t, h, who, "1", "非常抱歉")
	runJobs(t, h)
	if c := caseState(t, h, number); c.Status != complaintbot.StatusReopened {
		t.Fatalf("status %s after a rating of 1", c.Status)
	}
	wantSent(t, h, who, "已处理完毕", "打分", "重新进入处理")
	if fu, _ := storagetest.FollowUps(ctx, h.App.Store, nil, storage.FollowUpOpen); len(fu) != 1 || fu[0].Rating != 1 {
		t.Fatalf("follow-ups %+v", fu)
	}
	h.Clock.Advance(24 * time.Hour)
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)
	h.Clock.Advance(2 * time.Hour)
	runJobs(t, h)
	wantSent(t, h, who, "已处理完毕", "打分", "重新进入处理", "已处理完毕", "打分")
	if sv, err := h.App.Store.Survey(ctx, number+"#2"); err != nil || sv.Round != 2 || sv.Status != complaintbot.SurveySent {
		t.Fatalf("second round: %+v %v", sv, err)
	}
}

// A change made in the console comes with the console's own notice on the case's timeline: the
// scheduler does not tell the customer a second time, but still schedules the survey.
func TestConsoleNoticeIsNotDoubled(t *testing.T) {
	h := apptest.New(t, schedConfig(nil))
	ctx := context.Background()
	who := "oSched0007gus"
	number := register(t, h, who)
	h.Clock.Advance(time.Hour)
	now := h.Clock.Now()
	if _, err := h.App.Store.Collection("cases").UpdateOne(ctx, bson.D{{Key: "_id", Value: number}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: complaintbot.StatusResolved}, {Key: "updated_at", Value: now}}},
		{Key: "$push", Value: bson.D{{Key: "work.timeline", Value: bson.D{{Key: "id", Value: "r1-notice"}, {Key: "kind", Value: "notice"}, {Key: "at", Value: now}}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.App.Store.Enqueue(ctx, &complaintbot.OutboxMessage{ID: "notice:" + number + "#r1", OpenID: who, Text: "控制台：已处理完毕",
		Purpose: complaintbot.PurposeNotice, CaseNumber: number, Created: now}); err != nil {
		t.Fatal(err)
	}
	// The console forgot storage.CaseChanged: the deadlines job's sweep finds the change.
	runJobs(t, h)
	h.Clock.Advance(2 * time.Hour)
	runJobs(t, h)
	wantSent(t, h, who, "控制台：已处理完毕", "打分")
}

// While a case waits on the customer its deadlines stand still; when the wait ends they move
// later by the time waited. An extended decision deadline is announced.
func TestDeadlinesPauseAndExtension(t *testing.T) {
	h := apptest.New(t, schedConfig(nil))
	ctx := context.Background()
	who := "oSched0008hal"
	number := register(t, h, who) // reply due Wed 2 Dec 23:59:59
	runJobs(t, h)
	h.Clock.Set(shanghai(2026, 11, 30, 9, 0, 0))
	if err := h.App.Scheduler.SetWaitingOnCustomer(ctx, number, true); err != nil {
		t.Fatal(err)
	}
	runJobs(t, h)
	at(t, h, shanghai(2026, 12, 2, 0, 0, 0))
	at(t, h, shanghai(2026, 12, 3, 0, 0, 1))
	if r, _ := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now()); len(r) != 0 {
		t.Fatalf("reminders while waiting: %+v", r)
	}
	if c := caseState(t, h, number); c.Status != complaintbot.StatusReceived {
		t.Fatalf("escalated while waiting: %s", c.Status)
	}
	// The customer answers on 3 Dec 9:00: 3 days waited, the reply is now due 5 Dec 23:59:59.
	h.Clock.Set(shanghai(2026, 12, 3, 9, 0, 0))
	if err := h.App.Scheduler.SetWaitingOnCustomer(ctx, number, false); err != nil {
		t.Fatal(err)
	}
	runJobs(t, h)
	c := caseState(t, h, number)
	if want := shanghai(2026, 12, 5, 23, 59, 59); c.ReplyDue.Truncate(time.Second).Unix() != want.Unix() || c.Paused != 72*time.Hour {
		t.Fatalf("reply due %v (paused %v), want %v", c.ReplyDue.In(complaintbot.Shanghai), c.Paused, want)
	}
	for _, m := range apiSent(h, who) {
		if strings.Contains(m, "延长") {
			t.Fatalf("a pause was announced as an extension: %s", m)
		}
	}
	at(t, h, shanghai(2026, 12, 5, 0, 0, 0))
	if r, _ := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now()); len(r) != 1 || r[0].Due.Unix() != c.ReplyDue.Unix() {
		t.Fatalf("reminder after the pause: %+v", r)
	}
	// Extended by the console: the customer is told the new date once.
	h.Clock.Set(shanghai(2026, 12, 5, 10, 0, 0))
	h.Say(who, "进度") // opens the window again
	if err := h.App.Cases.Extend(ctx, agent, number, shanghai(2027, 1, 14, 0, 0, 0), "需要调取更多材料核实"); err != nil {
		t.Fatal(err)
	}
	runJobs(t, h)
	runJobs(t, h)
	n := 0
	for _, m := range apiSent(h, who) {
		if strings.Contains(m, "延长至2027年1月14日") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("extension notices: %d\n%q", n, apiSent(h, who))
	}
}

// Housekeeping: an idle draft is cleared and the customer told; a customer left waiting in the
// queue is taken out of it and told; a rerun changes nothing.
func TestHousekeepingExpiresDraftsAndQueue(t *testing.T) {
	h := apptest.New(t, schedConfig(nil))
	ctx := context.Background()
	drafter, waiter := "oSched0009ivy", "oSched0010jon"
	expect(t, h, drafter, "我要投诉", "哪方面")
	expect(t, h, drafter, "1", "网点")
	h.Clock.Advance(time.Hour)
	expect(t, h, waiter, "人工", "排队")
	h.Clock.Advance(3 * time.Hour) // the queue entry is abandoned (2h)
	house := func() {
		t.Helper()
		if _, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobHousekeeping); err != nil {
			t.Fatal(err)
		}
		deliver(t, h)
	}
	house()
	wantSent(t, h, waiter, "custom:|结束排队")
	wantSent(t, h, drafter)
	if q, _ := h.App.Store.WaitingHandoffs(ctx, 10); len(q) != 0 {
		t.Fatalf("queue %+v", q)
	}
	if st, _ := h.App.Convs.State(ctx, waiter); st.Handoff != "" {
		t.Fatalf("waiter still queued: %q", st.Handoff)
	}
	h.Clock.Advance(21 * time.Hour) // the draft was last touched 25 hours ago
	house()
	house()
	wantSent(t, h, drafter, "custom:|未提交的投诉已超过保存期限")
	wantSent(t, h, waiter, "结束排队")
	if st, _ := h.App.Convs.State(ctx, drafter); st.Draft != nil {
		t.Fatal("draft kept")
	}
	expect(t, h, drafter, "继续", "没有未提交")
}

// After a restart the housekeeping job finds the idle draft in the stored conversation, not in the
// (empty) memory of the new process.
func TestHousekeepingExpiresDraftsAfterARestart(t *testing.T) {
	h := apptest.New(t, schedConfig(nil))
	ctx := context.Background()
	drafter := "oSched0011kim"
	expect(t, h, drafter, "我要投诉", "哪方面")
	expect(t, h, drafter, "1", "网点")
	h.Restart()
	h.Clock.Advance(25 * time.Hour)
	if _, err := h.App.Scheduler.RunOnce(ctx, scheduler.JobHousekeeping); err != nil {
		t.Fatal(err)
	}
	deliver(t, h)
	wantSent(t, h, drafter, "custom:|未提交的投诉已超过保存期限")
	expect(t, h, drafter, "继续", "没有未提交")
}
