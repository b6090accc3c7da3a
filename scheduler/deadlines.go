package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// sweepCheckpoint names the checkpoint of the deadlines job's sweep of changed cases.
const sweepCheckpoint = "deadlines.sweep"

// deadlines runs the deadlines job: reminders and overdue checks that are due (of cases, then of
// reviews), then the sweep.
func (x *Scheduler) deadlines(ctx context.Context) (int, error) {
	kinds := []string{storage.DueRemind, storage.DueOverdue}
	n, err := x.pass(ctx, JobDeadlines, JobDeadlines, kinds, func(ctx context.Context, batch []storage.DueEntry, now time.Time) error {
		for _, e := range batch {
			if err := x.deadlineEntry(ctx, e, now); err != nil {
				return fmt.Errorf("%s %s: %w", e.Kind, e.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	r, err := x.reviews(ctx, x.clock.Now())
	if err != nil {
		return n + r, err
	}
	m, err := x.sweep(ctx)
	return n + r + m, err
}

// deadlineEntry raises the reminder of a deadline that is near, or marks a missed one overdue and
// escalates the case, unless the deadline was met, moved or paused since the entry was written.
func (x *Scheduler) deadlineEntry(ctx context.Context, e storage.DueEntry, now time.Time) error {
	c, err := x.store.ScanCase(ctx, e.Case)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.Status.Open() || x.paused(c) || (e.Deadline == storage.DeadlineReply && c.RepliedAt != nil) || !deadlineOf(c, e.Deadline).Equal(e.Due) {
		return nil
	}
	r := &storage.Reminder{Kind: storage.ReminderDueSoon, Deadline: e.Deadline, Case: c.Number, Branch: c.Branch.Code,
		BranchName: c.Branch.Name, Assignee: c.Assignee(), Due: e.Due, At: now}
	if e.Kind == storage.DueOverdue {
		r.Kind = storage.ReminderOverdue
		if err := x.store.MarkOverdue(ctx, c.Number, e.Deadline, now); err != nil {
			return err
		}
		if x.cfg.EscalateOverdue {
			if _, err := x.cases.EscalateOverdue(ctx, c.Number, e.Deadline, now); err != nil {
				return err
			}
			if c, err = x.store.ScanCase(ctx, c.Number); err != nil {
				return err
			}
			r.Escalated = c.Escalated != nil
			// The case workflow told the customer; watch the case's new state.
			if err := x.reconcile(ctx, c, now); err != nil {
				return err
			}
		}
		// The overdue mark (and the escalation) move the figures.
		if err := x.announce(ctx, c.Number, "", now); err != nil {
			return err
		}
	}
	r.ID = fmt.Sprintf("%s:%s:%s:%d", r.Kind, c.Number, e.Deadline, e.Due.Unix())
	added, err := x.store.AddReminder(ctx, r)
	if err != nil || !added {
		return err
	}
	x.log.Info("deadline reminder", "case", c.Number, "kind", r.Kind, "deadline", r.Deadline, "branch", r.Branch)
	if x.cfg.WeComRobotURL != "" {
		// Best effort: the console shows the reminder whatever happens to the robot message.
		if err := x.postRobot(ctx, r); err != nil {
			x.log.Warn("wecom robot", "case", c.Number, "err", err)
		}
	}
	return nil
}

// deadlineOf returns the case's current deadline of the given name.
func deadlineOf(c *complaintbot.Case, deadline string) time.Time {
	if deadline == storage.DeadlineReply {
		return c.ReplyDue
	}
	return c.DecisionDue
}

// sweep looks at every case changed since the last sweep (at most every scheduler.sweep_interval),
// so that a change nobody announced with storage.CaseChanged (a new case whose announcement was
// lost, a status set by other code) still gets its notices, reminders and survey.
func (x *Scheduler) sweep(ctx context.Context) (int, error) {
	now := x.clock.Now()
	after, _, err := x.store.JobCheckpoint(ctx, sweepCheckpoint)
	if err != nil {
		return 0, err
	}
	if !after.IsZero() && now.Sub(after.Add(settle)) < x.cfg.SweepInterval.D() {
		return 0, nil
	}
	done := 0
	err = x.store.ScanCasesUpdated(ctx, after, now, x.cfg.BatchSize, func(batch []complaintbot.Case) error {
		var w caseWrites
		for i := range batch {
			if err := x.reconcileInto(ctx, &batch[i], now, &w); err != nil {
				return fmt.Errorf("look at case %s: %w", batch[i].Number, err)
			}
		}
		if err := x.flush(ctx, now, &w); err != nil {
			return err
		}
		done += len(batch)
		return x.step(ctx, JobDeadlines, done)
	})
	if err != nil {
		return done, err
	}
	return done, x.store.SetJobCheckpoint(ctx, sweepCheckpoint, now.Add(-settle), nil)
}

// postRobot posts the reminder to the WeCom group robot (no customer data: case number, branch,
// assignee, deadline).
func (x *Scheduler) postRobot(ctx context.Context, r *storage.Reminder) error {
	what := map[string]string{storage.DeadlineReply: "答复期限", storage.DeadlineDecision: "办结期限", storage.DeadlineReview: "核查答复期限"}[r.Deadline]
	text := fmt.Sprintf("【投诉处理提醒】案件 %s（%s）%s为%s，即将到期，请及时处理。", r.Case, r.BranchName, what, flows.FormatDate(r.Due))
	if r.Kind == storage.ReminderOverdue {
		text = fmt.Sprintf("【投诉处理超期】案件 %s（%s）已超过%s（%s）", r.Case, r.BranchName, what, flows.FormatDate(r.Due))
		if r.Escalated {
			text += "，已提交总行处理"
		}
		text += "。"
	}
	if r.Assignee != "" {
		text += " 经办人：" + r.Assignee
	}
	return x.postRobotText(ctx, text)
}

// postRobotText posts a text message to the WeCom group robot (scheduler.wecom_robot_url).
func (x *Scheduler) postRobotText(ctx context.Context, text string) error {
	body, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]string{"content": text}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.cfg.WeComRobotURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := x.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var ans struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("http status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err == nil && ans.ErrCode != 0 {
		return fmt.Errorf("errcode %d: %s", ans.ErrCode, ans.ErrMsg)
	}
	return nil
}
