package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/storage"
)

// PageSize is how many cases a list page shows.
const PageSize = 50

// MaxPage is the last page a list goes to (narrow the filter beyond it).
const MaxPage = 200

// caseFor loads a case u may see: storage.ErrNotFound (404) otherwise.
func (c *Console) caseFor(ctx context.Context, u *storage.User, number string) (*storage.CaseRecord, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !wholeNumber(number) {
		return nil, errNotFound
	}
	rec, err := c.store.CaseRecordByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	if !u.Covers(caseBranch(rec.Branch.Code)) {
		return nil, errNotFound
	}
	return rec, nil
}

func wholeNumber(n string) bool {
	if len(n) != 15 || n[10] != '-' {
		return false
	}
	for i, r := range n {
		switch {
		case i < 2:
			if r < 'A' || r > 'Z' {
				return false
			}
		case i == 10:
		default:
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// caseBranch maps a case's branch code to the scope code (no branch: head office).
func caseBranch(code string) string {
	if code == complaintbot.NoBranchCode {
		return ""
	}
	return code
}

// Cases returns a page (from 1) of the cases matching f within u's branches, and whether there
// is a next page. It never counts the whole collection.
func (c *Console) Cases(ctx context.Context, u *storage.User, f storage.CaseFilter, page int) ([]storage.CaseRow, bool, error) {
	f.Branches = scopeBranches(u)
	f.Now = c.clock.Now()
	if page < 1 {
		page = 1
	}
	if page > MaxPage {
		return nil, false, invalid(fmt.Sprintf("最多翻到第 %d 页，请缩小筛选范围。", MaxPage))
	}
	var rows []storage.CaseRow
	if !c.indexed(ctx, func(all []*storage.CaseRow) {
		skip := (page - 1) * PageSize
		for _, r := range all {
			if !f.Matches(r) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			rows = append(rows, *r)
			if len(rows) > PageSize {
				break
			}
		}
	}) {
		var err error
		if rows, err = c.store.ListCases(ctx, f, (page-1)*PageSize, PageSize+1); err != nil {
			return nil, false, err
		}
	}
	more := len(rows) > PageSize
	if more {
		rows = rows[:PageSize]
	}
	return rows, more, nil
}

// transitions are the status changes an agent may make with the status action; "resolved" is
// reached by recording the resolution.
var transitions = map[complaintbot.Status][]complaintbot.Status{
	complaintbot.StatusReceived:      {complaintbot.StatusInvestigating, complaintbot.StatusEscalated},
	complaintbot.StatusInvestigating: {complaintbot.StatusEscalated},
	complaintbot.StatusEscalated:     {complaintbot.StatusInvestigating},
	complaintbot.StatusResolved:      {complaintbot.StatusClosed, complaintbot.StatusReopened},
	complaintbot.StatusClosed:        {complaintbot.StatusReopened},
	complaintbot.StatusReopened:      {complaintbot.StatusInvestigating, complaintbot.StatusEscalated},
}

// NextStatuses lists the statuses the case can be moved to with the status action.
func NextStatuses(s complaintbot.Status) []complaintbot.Status { return transitions[s] }

// CaseAction is one action on a case, as submitted by a form or the API.
type CaseAction struct {
	// Action is accept, assign, departments, note, status, extend, malicious, resolve.
	Action string
	// Assignee for assign ("" unassigns).
	Assignee string
	// Responsible, Host and CoHandling for departments.
	Responsible, Host string
	CoHandling        []string
	// Text is the note, the reason (extend, malicious) or the resolution.
	Text string
	// Reply is the answer sent to the customer with resolve.
	Reply string
	// From and To are the status change (From is what the agent saw).
	From, To complaintbot.Status
	// Due is the new decision deadline for extend (YYYY-MM-DD).
	Due string
	// Flag sets (true) or clears (false) the malicious flag.
	Flag bool
	// ClientID makes a double-submitted note count once.
	ClientID string
}

// notice is a message to the customer about their case.
type notice struct{ text string }

// Act carries out the action on the case for who: one guarded update of the case (retried when
// someone else changed the case meanwhile), the notice the customer must get, and the audit trail.
func (c *Console) Act(ctx context.Context, who *actor, number string, a CaseAction) error {
	if a.Action == "survey" {
		return c.sendSurvey(ctx, who, number)
	}
	for range 4 {
		rec, err := c.caseFor(ctx, who.user, number)
		if err != nil {
			return err
		}
		now := c.clock.Now()
		ch, nt, before, after, err := c.decide(ctx, who, rec, a, now)
		if err != nil {
			return err
		}
		if ch == nil {
			return nil // nothing to do (a repeated submission)
		}
		ch.Rev, ch.At = rec.Work.Rev, now
		rev := fmt.Sprintf("r%d", rec.Work.Rev+1)
		for i := range ch.Entries {
			if ch.Entries[i].ID == "" {
				ch.Entries[i].ID = fmt.Sprintf("%s-%d", rev, i)
			}
			ch.Entries[i].At, ch.Entries[i].By = now, who.user.Name
		}
		var outboxID string
		if nt != nil {
			outboxID = "notice:" + rec.Number + "#" + rev
			ch.Entries = append(ch.Entries, storage.TimelineEntry{ID: rev + "-notice", At: now, By: who.user.Name, Kind: "notice", Text: nt.text, Outbox: outboxID})
		}
		err = c.store.UpdateCase(ctx, rec.Number, *ch)
		if errors.Is(err, storage.ErrCaseChanged) {
			continue
		}
		if err != nil {
			return err
		}
		if nt != nil {
			c.sendNotice(ctx, rec, outboxID, nt.text, who.user.Name, now)
		}
		c.audit(ctx, who, "case."+a.Action, "case", rec.Number, caseBranch(rec.Branch.Code), before, after)
		c.bus.Publish(events.Event{Kind: events.Case, OpenID: rec.OpenID, Ref: rec.Number, At: now})
		return nil
	}
	return conflict("案件正被他人同时修改，请刷新后重试。")
}

func (c *Console) sendNotice(ctx context.Context, rec *storage.CaseRecord, id, text, by string, now time.Time) {
	m := &storage.OutboxMessage{ID: id, OpenID: rec.OpenID, Text: text, Purpose: "notice", CaseNumber: rec.Number, By: by, Created: now}
	if _, err := c.store.Enqueue(ctx, m); err != nil {
		c.log.Error("queue case notice", "case", rec.Number, "err", err)
	}
}

// repairNotices queues again any notice recorded on the timeline whose queueing was lost (the
// process stopped between the two writes); the notice's id makes this harmless otherwise.
func (c *Console) repairNotices(ctx context.Context, rec *storage.CaseRecord) map[string]storage.OutboxStatus {
	out := map[string]storage.OutboxStatus{}
	now := c.clock.Now()
	for _, e := range rec.Work.Timeline {
		if e.Kind != "notice" || e.Outbox == "" {
			continue
		}
		m, err := c.store.OutboxMessage(ctx, e.Outbox)
		switch {
		case err == nil:
			out[e.Outbox] = m.Status
		case errors.Is(err, storage.ErrNotFound) && now.Sub(e.At) > time.Minute:
			c.sendNotice(ctx, rec, e.Outbox, e.Text, e.By, now)
			out[e.Outbox] = storage.OutboxPending
		}
	}
	return out
}

func (c *Console) dateLabel(t time.Time) string {
	l := t.In(complaintbot.Shanghai)
	return fmt.Sprintf("%d年%d月%d日", l.Year(), l.Month(), l.Day())
}

// decide turns the action into a change of the case (nil: nothing to do), the notice for the
// customer, and the audit trail's before and after.
func (c *Console) decide(ctx context.Context, who *actor, rec *storage.CaseRecord, a CaseAction, now time.Time) (*storage.CaseChange, *notice, string, string, error) {
	u := who.user
	kind := rec.Kind.Label()
	switch a.Action {
	case "accept":
		if !rec.Status.Open() {
			return nil, nil, "", "", conflict("案件已办结，无需受理。")
		}
		if rec.Work.AcceptedAt != nil {
			return nil, nil, "", "", conflict("案件已由 " + c.userLabel(ctx, rec.Work.AcceptedBy) + " 受理。")
		}
		ch := &storage.CaseChange{AcceptedAt: &now, AcceptedBy: &u.Name}
		entries := []storage.TimelineEntry{{Kind: "accept", Text: "受理案件"}}
		if rec.Work.Assignee == "" {
			ch.Assignee = &u.Name
			entries = append(entries, storage.TimelineEntry{Kind: "assign", To: u.Name, Text: "承办人：" + u.Label()})
		}
		var nt *notice
		if rec.Status == complaintbot.StatusReceived {
			to := complaintbot.StatusInvestigating
			ch.FromStatus, ch.Status = rec.Status, &to
			entries = append(entries, storage.TimelineEntry{Kind: "status", From: string(rec.Status), To: string(to)})
			nt = &notice{fmt.Sprintf("您的%s（编号 %s）已由工作人员受理，正在调查处理，我们将于%s前答复您。", kind, rec.Number, c.dateLabel(rec.ReplyDue))}
		}
		ch.Entries = entries
		return ch, nt, string(rec.Status), "accepted by " + u.Name, nil

	case "assign":
		to := strings.TrimSpace(a.Assignee)
		if to == rec.Work.Assignee {
			return nil, nil, "", "", nil
		}
		label := "（无）"
		if to != "" {
			target, err := c.store.UserByName(ctx, to)
			if errors.Is(err, storage.ErrNotFound) || (err == nil && (target.Disabled || !target.Covers(caseBranch(rec.Branch.Code)))) {
				return nil, nil, "", "", invalid("无法指派：账号不存在、已停用，或不负责该案件所属网点。")
			}
			if err != nil {
				return nil, nil, "", "", err
			}
			label = target.Label()
		}
		return &storage.CaseChange{Assignee: &to, Entries: []storage.TimelineEntry{{Kind: "assign", From: rec.Work.Assignee, To: to, Text: "承办人：" + label}}},
			nil, rec.Work.Assignee, to, nil

	case "departments":
		d := storage.Departments{Responsible: clean(a.Responsible, 50), Host: clean(a.Host, 50)}
		for _, x := range a.CoHandling {
			if x = clean(x, 50); x != "" && !slices.Contains(d.CoHandling, x) {
				d.CoHandling = append(d.CoHandling, x)
			}
		}
		if len(d.CoHandling) > 10 {
			return nil, nil, "", "", invalid("协办部门最多 10 个。")
		}
		text := fmt.Sprintf("责任部门：%s；主办部门：%s；协办部门：%s", orNone(d.Responsible), orNone(d.Host), orNone(strings.Join(d.CoHandling, "、")))
		old := rec.Work.Departments
		before := fmt.Sprintf("%s|%s|%s", old.Responsible, old.Host, strings.Join(old.CoHandling, ","))
		after := fmt.Sprintf("%s|%s|%s", d.Responsible, d.Host, strings.Join(d.CoHandling, ","))
		if before == after {
			return nil, nil, "", "", nil
		}
		return &storage.CaseChange{Departments: &d, Entries: []storage.TimelineEntry{{Kind: "departments", Text: text}}}, nil, before, after, nil

	case "note":
		text := strings.TrimSpace(a.Text)
		if text == "" {
			return nil, nil, "", "", invalid("请填写备注内容。")
		}
		if len([]rune(text)) > 2000 {
			return nil, nil, "", "", invalid("备注过长（最多 2000 字）。")
		}
		if len(rec.Work.Timeline) >= 1000 {
			return nil, nil, "", "", conflict("该案件记录已达上限，请联系管理员。")
		}
		id := ""
		if a.ClientID != "" {
			if !clientIDRe.MatchString(a.ClientID) {
				return nil, nil, "", "", invalid("无效的备注编号。")
			}
			id = "note-" + a.ClientID
			for _, e := range rec.Work.Timeline {
				if e.ID == id {
					return nil, nil, "", "", nil
				}
			}
		}
		return &storage.CaseChange{Entries: []storage.TimelineEntry{{ID: id, Kind: "note", Text: text}}}, nil, "", text, nil

	case "status":
		if a.To == complaintbot.StatusResolved {
			return nil, nil, "", "", invalid("请通过“办结答复”填写处理结果和给客户的答复。")
		}
		if a.From != "" && a.From != rec.Status {
			return nil, nil, "", "", conflict("案件状态已变为“" + rec.Status.Label() + "”，请刷新后重试。")
		}
		if !slices.Contains(transitions[rec.Status], a.To) {
			return nil, nil, "", "", invalid("案件不能从“" + rec.Status.Label() + "”改为“" + a.To.Label() + "”。")
		}
		to := a.To
		ch := &storage.CaseChange{FromStatus: rec.Status, Status: &to,
			Entries: []storage.TimelineEntry{{Kind: "status", From: string(rec.Status), To: string(to), Text: strings.TrimSpace(a.Text)}}}
		var nt *notice
		switch to {
		case complaintbot.StatusInvestigating:
			if rec.Status == complaintbot.StatusReceived {
				nt = &notice{fmt.Sprintf("您的%s（编号 %s）已由工作人员受理，正在调查处理，我们将于%s前答复您。", kind, rec.Number, c.dateLabel(rec.ReplyDue))}
			}
		case complaintbot.StatusEscalated:
			nt = &notice{fmt.Sprintf("您的%s（编号 %s）已提交总行相关部门处理，我们会尽快答复您。", kind, rec.Number)}
		case complaintbot.StatusReopened:
			nt = &notice{fmt.Sprintf("您的%s（编号 %s）已重新进入处理流程，我们会尽快答复您。", kind, rec.Number)}
		}
		return ch, nt, string(rec.Status), string(to), nil

	case "extend":
		if !rec.Status.Open() {
			return nil, nil, "", "", conflict("案件已办结，不能延期。")
		}
		reason := strings.TrimSpace(a.Text)
		if reason == "" {
			return nil, nil, "", "", invalid("请填写延期原因（将告知客户）。")
		}
		if len([]rune(reason)) > 200 {
			return nil, nil, "", "", invalid("延期原因最多 200 字。")
		}
		day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(a.Due), complaintbot.Shanghai)
		if err != nil {
			return nil, nil, "", "", invalid("请选择新的处理期限（日期）。")
		}
		due := day.Add(24*time.Hour - time.Second)
		if !due.After(rec.DecisionDue) {
			return nil, nil, "", "", invalid("新的处理期限须晚于原期限 " + c.dateLabel(rec.DecisionDue) + "。")
		}
		if latest := rec.Received.Add(75 * 24 * time.Hour); due.After(latest) {
			return nil, nil, "", "", invalid("处理期限最长可延至受理后 75 天（" + c.dateLabel(latest) + "）。")
		}
		n := rec.Work.Extensions + 1
		ch := &storage.CaseChange{DecisionDue: &due, Extensions: &n,
			Entries: []storage.TimelineEntry{{Kind: "extend", From: c.dateLabel(rec.DecisionDue), To: c.dateLabel(due), Text: reason}}}
		nt := &notice{fmt.Sprintf("因情况较为复杂，您的%s（编号 %s）的处理期限延长至%s。原因：%s。给您带来不便，敬请谅解。", kind, rec.Number, c.dateLabel(due), reason)}
		return ch, nt, rec.DecisionDue.Format(time.RFC3339), due.Format(time.RFC3339), nil

	case "malicious":
		reason := strings.TrimSpace(a.Text)
		if a.Flag {
			if reason == "" {
				return nil, nil, "", "", invalid("请填写标记为恶意投诉的原因。")
			}
			f := storage.Flag{Reason: clean(reason, 500), By: u.Name, At: now}
			return &storage.CaseChange{Malicious: &f, Entries: []storage.TimelineEntry{{Kind: "malicious", To: "flagged", Text: f.Reason}}}, nil, "", "flagged: " + f.Reason, nil
		}
		if rec.Work.Malicious == nil {
			return nil, nil, "", "", nil
		}
		return &storage.CaseChange{ClearMalicious: true, Entries: []storage.TimelineEntry{{Kind: "malicious", To: "cleared", Text: reason}}}, nil, "flagged", "cleared", nil

	case "resolve":
		if !rec.Status.Open() {
			return nil, nil, "", "", conflict("案件已是“" + rec.Status.Label() + "”状态。")
		}
		text, reply := strings.TrimSpace(a.Text), strings.TrimSpace(a.Reply)
		if text == "" || reply == "" {
			return nil, nil, "", "", invalid("请填写处理结果和给客户的答复。")
		}
		if len([]rune(text)) > 2000 || len([]rune(reply)) > 500 {
			return nil, nil, "", "", invalid("处理结果最多 2000 字，给客户的答复最多 500 字。")
		}
		res := storage.Resolution{Text: text, Reply: reply, By: u.Name, At: now}
		to := complaintbot.StatusResolved
		ch := &storage.CaseChange{FromStatus: rec.Status, Status: &to, Resolution: &res, Entries: []storage.TimelineEntry{
			{Kind: "resolution", Text: text},
			{Kind: "status", From: string(rec.Status), To: string(to)},
		}}
		nt := &notice{fmt.Sprintf("您的%s（编号 %s）已处理完毕。处理答复：%s", kind, rec.Number, reply)}
		return ch, nt, string(rec.Status), string(to), nil
	}
	return nil, nil, "", "", invalid("未知的操作。")
}

func clean(s string, n int) string { return runes(strings.TrimSpace(s), n) }

func orNone(s string) string {
	if s == "" {
		return "（无）"
	}
	return s
}

// CaseView is a case page's content.
type CaseView struct {
	Case     *storage.CaseRecord
	Overdue  bool
	Notices  map[string]storage.OutboxStatus
	Next     []complaintbot.Status
	Assignee string
	Acceptor string
	// Agents lists the users the case may be assigned to.
	Agents []storage.User
}

// Case loads a case for its page.
func (c *Console) Case(ctx context.Context, u *storage.User, number string) (*CaseView, error) {
	rec, err := c.caseFor(ctx, u, number)
	if err != nil {
		return nil, err
	}
	v := &CaseView{Case: rec, Overdue: rec.Overdue(c.clock.Now()), Next: transitions[rec.Status], Assignee: c.userLabel(ctx, rec.Work.Assignee),
		Acceptor: c.userLabel(ctx, rec.Work.AcceptedBy)}
	v.Notices = c.repairNotices(ctx, rec)
	if v.Agents, err = c.colleagues(ctx, caseBranch(rec.Branch.Code)); err != nil {
		return nil, err
	}
	return v, nil
}

// colleagues lists the active users who cover the branch.
func (c *Console) colleagues(ctx context.Context, branch string) ([]storage.User, error) {
	all, err := c.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := []storage.User{}
	for _, x := range all {
		if !x.Disabled && x.Covers(branch) {
			out = append(out, x)
		}
	}
	return out, nil
}

// TimelineItem is one line of a case's timeline: a message or something done to the case.
type TimelineItem struct {
	At time.Time
	// Kind is "in" or "out" for messages, else the timeline entry's kind.
	Kind  string
	Who   string
	Title string
	Text  string
	// Status of a notice's delivery.
	Status string
}

var entryTitles = map[string]string{
	"accept": "受理", "assign": "指派", "departments": "处理部门", "note": "内部备注（客户不可见）", "status": "状态变更",
	"extend": "延长处理期限", "malicious": "恶意投诉标记", "resolution": "处理结果", "notice": "通知客户",
}

// Timeline merges the case's entries with the customer's messages from shortly before the case was
// registered on.
func (c *Console) Timeline(ctx context.Context, u *storage.User, number string) ([]TimelineItem, error) {
	rec, err := c.caseFor(ctx, u, number)
	if err != nil {
		return nil, err
	}
	notices := c.repairNotices(ctx, rec)
	var items []TimelineItem
	lines, err := c.store.Transcript(ctx, rec.OpenID, 300)
	if err != nil {
		return nil, err
	}
	from := rec.Received.Add(-6 * time.Hour)
	noticeIDs := map[string]bool{}
	for _, e := range rec.Work.Timeline {
		if e.Outbox != "" {
			noticeIDs[e.Outbox] = true
		}
	}
	for _, l := range lines {
		if l.At.Before(from) || noticeIDs[l.ID] {
			continue // a notice is shown once, as the case's entry
		}
		who := "客户"
		if l.Dir == storage.Outbound {
			who = c.userLabel(ctx, l.By)
			if l.By == "bot" {
				who = "智能助手"
			}
		}
		items = append(items, TimelineItem{At: l.At, Kind: string(l.Dir), Who: who, Title: lineTitle(l), Text: l.Text})
	}
	for _, e := range rec.Work.Timeline {
		it := TimelineItem{At: e.At, Kind: e.Kind, Who: c.userLabel(ctx, e.By), Title: entryTitles[e.Kind], Text: e.Text}
		switch e.Kind {
		case "status":
			it.Title = "状态：" + complaintbot.Status(e.From).Label() + " → " + complaintbot.Status(e.To).Label()
		case "extend":
			it.Title = "处理期限：" + e.From + " → " + e.To
		case "malicious":
			if e.To == "cleared" {
				it.Title = "取消恶意投诉标记"
			}
		case "notice":
			it.Status = noticeLabel(notices[e.Outbox])
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b TimelineItem) int { return a.At.Compare(b.At) })
	return items, nil
}

func lineTitle(l storage.Line) string {
	switch l.Type {
	case complaintbot.InputImage:
		return "[图片]"
	case complaintbot.InputVoice:
		return "[语音]"
	case complaintbot.InputVideo:
		return "[视频]"
	case complaintbot.InputLocation:
		return "[位置]"
	case complaintbot.InputLink:
		return "[链接]"
	case complaintbot.InputMenu:
		return "[菜单]"
	case complaintbot.InputSubscribe:
		return "[关注]"
	}
	return ""
}

func noticeLabel(s storage.OutboxStatus) string {
	switch s {
	case storage.OutboxPending:
		return "待发送"
	case storage.OutboxSent:
		return "已送达"
	case storage.OutboxUndeliverable:
		return "无法发送，请电话联系客户"
	case storage.OutboxFailed:
		return "发送失败"
	case storage.OutboxUnknown:
		return "结果未知"
	case "":
		return "排队中"
	}
	return string(s)
}

// Report is a supervisor's summary of their branches' cases.
type Report struct {
	ByStatus map[string]int
	ByBranch map[string]int
	Overdue  int
	Total    int
}

// Report counts the cases of u's branches by status and branch, and the overdue ones.
func (c *Console) Report(ctx context.Context, u *storage.User) (*Report, error) {
	if !u.Role.AtLeast(storage.RoleSupervisor) {
		return nil, errForbidden
	}
	f := storage.CaseFilter{Branches: scopeBranches(u), Now: c.clock.Now()}
	r := &Report{ByStatus: map[string]int{}, ByBranch: map[string]int{}}
	if c.indexed(ctx, func(all []*storage.CaseRow) {
		for _, row := range all {
			if f.Matches(row) {
				r.Total++
				r.ByStatus[string(row.Status)]++
				r.ByBranch[row.Branch.Code]++
				if row.Overdue(f.Now) {
					r.Overdue++
				}
			}
		}
	}) {
		return r, nil
	}
	var err error
	if r.ByStatus, err = c.store.CountCasesBy(ctx, f, "status"); err != nil {
		return nil, err
	}
	if r.ByBranch, err = c.store.CountCasesBy(ctx, f, "branch.code"); err != nil {
		return nil, err
	}
	f.Overdue = true
	over, err := c.store.CountCasesBy(ctx, f, "status")
	if err != nil {
		return nil, err
	}
	for _, n := range over {
		r.Overdue += n
	}
	for _, n := range r.ByStatus {
		r.Total += n
	}
	return r, nil
}

// sendSurvey asks the customer of a resolved case to rate its handling now, by hand.
func (c *Console) sendSurvey(ctx context.Context, who *actor, number string) error {
	rec, err := c.caseFor(ctx, who.user, number)
	if err != nil {
		return err
	}
	if rec.Status != complaintbot.StatusResolved && rec.Status != complaintbot.StatusClosed {
		return invalid("案件办结后才能发送满意度调查。")
	}
	if c.surveys == nil {
		return invalid("满意度调查未启用。")
	}
	if err := c.surveys.SendSurveyNow(ctx, rec.Number, who.user.Name); err != nil {
		if errors.Is(err, storage.ErrSurveyOpen) {
			return conflict("客户还有一份未回答的满意度调查，请待其回答或过期后再发送。")
		}
		return fmt.Errorf("send survey for case %s: %w", rec.Number, err)
	}
	c.audit(ctx, who, "case.survey", "case", rec.Number, caseBranch(rec.Branch.Code), "", "survey sent")
	return nil
}
