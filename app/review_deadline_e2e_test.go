package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/app/apptest"
	"github.com/complaintbot/complaintbot/config"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/storagetest"
)

// A review (核查) the customer asked for in the chat has its deadline watched like a case's:
// head office is reminded the day before (the WeCom robot too), and a review past its deadline is
// marked overdue on the case, each once however often the job runs.
func TestAReviewsDeadlineIsWatched(t *testing.T) {
	url, posts := robotPosts(t)
	h := apptest.New(t, schedConfig(func(s *config.Scheduler) { s.WeComRobotURL = url }))
	ctx := context.Background()
	who := "oReview0001dong"
	number := register(t, h, who) // Friday 27 Nov
	h.Clock.Set(shanghai(2026, 11, 30, 10, 0, 0))
	setStatus(t, h, number, complaintbot.StatusResolved)
	runJobs(t, h)

	h.Clock.Set(shanghai(2026, 12, 1, 9, 0, 0))
	expect(t, h, who, "申请核查 "+number, "核查申请")
	c := caseState(t, h, number)
	if !c.Review.Open() {
		t.Fatalf("no review registered: %+v", c.Review)
	}
	due := c.Review.Due // 16 Dec, end of the day
	reviewReminders := func() []storage.Reminder {
		t.Helper()
		all, err := storagetest.Reminders(ctx, h.App.Store, nil, h.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var out []storage.Reminder
		for _, r := range all {
			if r.Deadline == storage.DeadlineReview {
				out = append(out, r)
			}
		}
		return out
	}

	at(t, h, due.Add(-25*time.Hour))
	if r := reviewReminders(); len(r) != 0 {
		t.Fatalf("reminded too early: %+v", r)
	}
	at(t, h, due.Add(-23*time.Hour))
	at(t, h, due.Add(-22*time.Hour))
	r := reviewReminders()
	if len(r) != 1 || r[0].Kind != storage.ReminderDueSoon || r[0].Case != number || r[0].Branch != "0101" {
		t.Fatalf("reminders the day before: %+v", r)
	}
	if post := nextPost(t, posts); !strings.Contains(post, number) || !strings.Contains(post, "核查答复期限") || !strings.Contains(post, "即将到期") {
		t.Fatalf("robot post %q", post)
	}

	at(t, h, due.Add(time.Minute))
	at(t, h, due.Add(2*time.Hour))
	c = caseState(t, h, number)
	if _, ok := c.Missed[storage.ReviewDeadline(1)]; !ok {
		t.Fatalf("the review is not marked overdue: %v", c.Missed)
	}
	if r := reviewReminders(); len(r) != 2 || r[1].Kind != storage.ReminderOverdue {
		t.Fatalf("reminders after the deadline: %+v", r)
	}
	if post := nextPost(t, posts); !strings.Contains(post, "已超过核查答复期限") {
		t.Fatalf("robot post %q", post)
	}
	if c.Status != complaintbot.StatusResolved {
		t.Fatalf("an overdue review changed the case's status to %s", c.Status)
	}
	// Head office records the result: the review's reminders are closed.
	if err := h.App.Cases.RecordReview(ctx, agent, number, "经总行核查，维持原处理结果"); err != nil {
		t.Fatal(err)
	}
	if r := reviewReminders(); len(r) != 0 {
		t.Fatalf("reminders of a reviewed case: %+v", r)
	}
	select {
	case p := <-posts:
		t.Fatalf("the robot was told again: %q", p)
	default:
	}
}
