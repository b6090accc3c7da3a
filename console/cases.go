package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/taxonomy"
)

// PageSize is how many cases a list page shows.
const PageSize = 50

// MaxPage is the last page a list goes to (narrow the filter beyond it).
const MaxPage = 200

// caseFor loads a case u may see: storage.ErrNotFound (404) otherwise.
func (c *Console) caseFor(ctx context.Context, u *storage.User, number string) (*complaintbot.Case, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !complaintbot.IsCaseNumber(number) {
		return nil, errNotFound
	}
	rec, err := c.store.Case(ctx, number)
	if err != nil {
		return nil, err
	}
	if !u.Covers(rec.Branch.Code) {
		return nil, errNotFound
	}
	return rec, nil
}

// Cases returns a page (from 1) of the cases matching f within u's branches (their list fields,
// see storage.Store.ListCases), and whether there is a next page. It never counts the whole
// collection.
func (c *Console) Cases(ctx context.Context, u *storage.User, f storage.CaseFilter, page int) ([]complaintbot.Case, bool, error) {
	f.Branches = scopeBranches(u)
	f.Now = c.clock.Now()
	if page < 1 {
		page = 1
	}
	if page > MaxPage {
		return nil, false, invalid(fmt.Sprintf("最多翻到第 %d 页，请缩小筛选范围。", MaxPage))
	}
	rows, err := c.store.ListCases(ctx, f, (page-1)*PageSize, PageSize+1)
	if err != nil {
		return nil, false, err
	}
	more := len(rows) > PageSize
	if more {
		rows = rows[:PageSize]
	}
	return rows, more, nil
}

// CaseAction is one action on a case, as submitted by a form or the API.
type CaseAction struct {
	// Action is accept, assign, departments, note, status, extend, extend_request,
	// extend_approve, extend_refuse, level, risk, malicious, resolve, survey.
	Action string
	// Assignee for assign ("" unassigns).
	Assignee string
	// Responsible, Host and CoHandling for departments.
	Responsible, Host string
	CoHandling        []string
	// Text is the note, the comment on a status change, the reason (extend, malicious) or the
	// resolution.
	Text string
	// Reply is the answer sent to the customer with resolve.
	Reply string
	// From and To are the status change (From is what the agent saw).
	From, To complaintbot.Status
	// Due is the new decision deadline for extend (YYYY-MM-DD).
	Due string
	// Flag sets (true) or clears (false) the malicious flag, or the risk flag.
	Flag bool
	// Level is the case level for level ("" 普通, complex, major).
	Level string
	// ClientID makes a double-submitted note count once.
	ClientID string
	// Coding is the JR/T 0169 codes for coding (jr_channel, jr_business, jr_reason).
	Coding taxonomy.Coding
}

// Act carries out the action on the case for who through the case workflow (package cases), which
// holds every rule, and words a refusal for the user.
func (c *Console) Act(ctx context.Context, who *actor, number string, a CaseAction) error {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !complaintbot.IsCaseNumber(number) {
		return errNotFound
	}
	if c.cases == nil {
		return errors.New("console: no case workflow")
	}
	by := who.by()
	var err error
	switch a.Action {
	case "accept":
		err = c.cases.Accept(ctx, by, number)
	case "assign":
		err = c.cases.Assign(ctx, by, number, a.Assignee)
	case "departments":
		err = c.cases.SetDepartments(ctx, by, number, complaintbot.Departments{Responsible: a.Responsible, Host: a.Host, CoHandling: a.CoHandling})
	case "note":
		err = c.cases.Note(ctx, by, number, a.Text, a.ClientID)
	case "status":
		err = c.cases.SetStatus(ctx, by, number, a.From, a.To, a.Text)
	case "extend":
		day, perr := time.ParseInLocation("2006-01-02", strings.TrimSpace(a.Due), complaintbot.Shanghai)
		if perr != nil {
			day = time.Time{} // the workflow refuses a missing deadline after its other checks
		}
		err = c.cases.Extend(ctx, by, number, day, a.Text)
	case "extend_request":
		day, perr := time.ParseInLocation("2006-01-02", strings.TrimSpace(a.Due), complaintbot.Shanghai)
		if perr != nil {
			day = time.Time{}
		}
		err = c.cases.RequestExtension(ctx, by, number, day, a.Text)
	case "extend_approve":
		err = c.cases.ApproveExtension(ctx, by, number)
	case "extend_refuse":
		err = c.cases.RefuseExtension(ctx, by, number, a.Text)
	case "level":
		err = c.cases.SetLevel(ctx, by, number, a.Level)
	case "risk":
		if a.Flag {
			err = c.cases.RaiseRisk(ctx, by, number, a.Text)
		} else {
			err = c.cases.ClearRisk(ctx, by, number, a.Text)
		}
	case "malicious":
		if a.Flag {
			err = c.cases.MarkMalicious(ctx, by, number, a.Text)
		} else {
			err = c.cases.ClearMalicious(ctx, by, number, a.Text)
		}
	case "resolve":
		err = c.cases.Resolve(ctx, by, number, a.Text, a.Reply)
	case "survey":
		err = c.cases.SendSurvey(ctx, by, number)
	case "coding":
		err = c.cases.SetCoding(ctx, by, number, a.Coding)
	default:
		if handled, err := c.actRequest(ctx, by, number, a); handled { // withdrawals and reviews (review.go)
			return err
		}
		return invalid("未知的操作。")
	}
	return c.caseError(ctx, err)
}

// caseError words the case workflow's refusals for the user; other errors are returned as they are.
func (c *Console) caseError(ctx context.Context, err error) error {
	var e *cases.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Reason {
	case cases.ErrAcceptFinished:
		return conflict("案件已办结，无需受理。")
	case cases.ErrAccepted:
		return conflict("案件已由 " + c.userLabel(ctx, e.By) + " 受理。")
	case cases.ErrAssignee:
		return invalid("无法指派：账号不存在、已停用，或不负责该案件所属网点。")
	case cases.ErrCoHandling:
		return invalid(fmt.Sprintf("协办部门最多 %d 个。", cases.MaxCoHandling))
	case cases.ErrNoteEmpty:
		return invalid("请填写备注内容。")
	case cases.ErrNoteTooLong:
		return invalid(fmt.Sprintf("备注过长（最多 %d 字）。", cases.MaxNote))
	case cases.ErrNoteID:
		return invalid("无效的备注编号。")
	case cases.ErrTimelineFull:
		return conflict("该案件记录已达上限，请联系管理员。")
	case cases.ErrStatusResolve:
		return invalid("请通过“办结答复”填写处理结果和给客户的答复。")
	case cases.ErrStatusStale:
		return conflict("案件状态已变为“" + statusName(e.Status) + "”，请刷新后重试。")
	case cases.ErrStatusMove:
		return invalid("案件不能从“" + statusName(e.Status) + "”改为“" + statusName(e.To) + "”。")
	case cases.ErrWithdrawFinished:
		return conflict("案件已“" + statusName(e.Status) + "”，不能撤回。")
	case cases.ErrWithdrawReason:
		return invalid("请填写撤回说明（客户如何提出撤回）。")
	case cases.ErrWithdrawReasonTooLong:
		return invalid(fmt.Sprintf("撤回说明最多 %d 字。", cases.MaxWithdrawReason))
	case cases.ErrReviewUndecided:
		return conflict("案件尚未办结答复，不能申请核查。")
	case cases.ErrReviewNotComplaint:
		return conflict("核查只适用于投诉的处理结果，建议和表扬不能申请核查。")
	case cases.ErrReviewWindow:
		return conflict("核查须在答复后规定期限内申请，本案已于 " + flows.FormatDate(e.Date) + " 截止。")
	case cases.ErrReviewOpen:
		return conflict("本案已有进行中的核查。")
	case cases.ErrReviewDone:
		return conflict("本案的处理结果已核查过。")
	case cases.ErrReviewNone:
		return conflict("本案没有进行中的核查。")
	case cases.ErrReviewHeadOffice:
		return &Error{403, "核查结果由总行记录。"}
	case cases.ErrReviewResultEmpty:
		return invalid("请填写核查结果（将告知客户）。")
	case cases.ErrReviewResultTooLong:
		return invalid(fmt.Sprintf("核查结果最多 %d 字。", cases.MaxReply))
	case cases.ErrExtendFinished:
		return conflict("案件已办结，不能延期。")
	case cases.ErrReasonEmpty:
		return invalid("请填写延期原因（将告知客户）。")
	case cases.ErrReasonTooLong:
		return invalid(fmt.Sprintf("延期原因最多 %d 字。", cases.MaxReason))
	case cases.ErrDueMissing:
		return invalid("请选择新的处理期限（日期）。")
	case cases.ErrDueNotLater:
		return invalid("新的处理期限须晚于原期限 " + flows.FormatDate(e.Date) + "。")
	case cases.ErrDueTooLate:
		return invalid("经审批的处理期限最长可延至 " + flows.FormatDate(e.Date) + "。")
	case cases.ErrDueAfterReferral:
		return invalid("本案为监管转办件，转办要求 " + flows.FormatDate(e.Date) + " 前答复，处理期限不能延至此后。")
	case cases.ErrApprovalSecond:
		return conflict("本案已延期过一次，再次延期须经主管或总行审批：请点“提交延期审批”。")
	case cases.ErrApprovalBeyond:
		return conflict("延期超过 " + flows.FormatDate(e.Date) + " 须经主管或总行审批：请点“提交延期审批”。")
	case cases.ErrExtensionPending:
		return conflict("已有待审批的延期申请（" + c.userLabel(ctx, e.By) + " 申请延至 " + flows.FormatDate(e.Date) + "），请待主管或总行批准或驳回。")
	case cases.ErrNoApprovalNeeded:
		return invalid("该延期无需审批，请直接点“延期”。")
	case cases.ErrNotApprover:
		return &Error{http.StatusForbidden, "只有主管或总行可以审批延期、取消风险提示。"}
	case cases.ErrNoExtensionRequest:
		return conflict("该案件没有待审批的延期申请。")
	case cases.ErrLevelInvalid:
		return invalid("请选择案件等级：普通、复杂或重大。")
	case cases.ErrRiskNoteEmpty:
		return invalid("请填写风险提示的原因。")
	case cases.ErrMaliciousReasonless:
		return invalid("请填写标记为恶意投诉的原因。")
	case cases.ErrResolveFinished:
		return conflict("案件已是“" + statusName(e.Status) + "”状态。")
	case cases.ErrResolutionEmpty:
		return invalid("请填写处理结果和给客户的答复。")
	case cases.ErrResolutionTooLong:
		return invalid(fmt.Sprintf("处理结果最多 %d 字，给客户的答复最多 %d 字。", cases.MaxResolution, cases.MaxReply))
	case cases.ErrUncoded:
		return invalid("办结前请完成 JR/T 0169 编码：" + c.codingProblems(e.Err) + "。")
	case cases.ErrCodingInvalid:
		return invalid("编码未保存：" + c.codingProblems(e.Err) + "。")
	case cases.ErrSurveyNotResolved:
		return invalid("案件办结后才能发送满意度调查。")
	case cases.ErrSurveysOff:
		return invalid("满意度调查未启用。")
	case cases.ErrSurveyOpen:
		return conflict("客户还有一份未回答的满意度调查，请待其回答或过期后再发送。")
	case cases.ErrBusy:
		return conflict("案件正被他人同时修改，请刷新后重试。")
	case cases.ErrAudit:
		c.log.Error("case action refused: audit trail not written", "case", e.Case, "err", e.Err)
		return &Error{http.StatusInternalServerError, "操作记录无法写入，本次操作未执行，请稍后重试。"}
	}
	return err
}

// CaseView is a case page's content.
type CaseView struct {
	Case     *complaintbot.Case
	Overdue  bool
	Notices  map[string]complaintbot.OutboxStatus
	Next     []complaintbot.Status
	Assignee string
	Acceptor string
	// Agents lists the users the case may be assigned to.
	Agents []storage.User
	// Coding is the case's JR/T 0169 coding form, axis by axis (see codingFields).
	Coding []CodingField
	// CanApprove says whether the user approves extensions and clears risk flags (a supervisor
	// or head office); ExtendLimit and ApprovedLimit are the extension ladder's rungs for the case.
	CanApprove                 bool
	ExtendLimit, ApprovedLimit time.Time
	// Levels are the case levels to choose from.
	Levels []string
	// HeadOffice says whether the user works for head office (records a review's result).
	HeadOffice bool
}

// Case loads a case for its page.
func (c *Console) Case(ctx context.Context, u *storage.User, number string) (*CaseView, error) {
	rec, err := c.caseFor(ctx, u, number)
	if err != nil {
		return nil, err
	}
	v := &CaseView{Case: rec, Overdue: rec.Overdue(c.clock.Now()), Next: cases.Next(rec.Status), Assignee: c.userLabel(ctx, rec.Work.Assignee),
		Acceptor: c.userLabel(ctx, rec.Work.AcceptedBy)}
	v.Notices = c.notices(ctx, rec)
	v.Coding = codingFields(c.taxonomy(), rec.Coding)
	v.CanApprove, v.Levels = cases.CanApprove(u), []string{complaintbot.LevelNormal, complaintbot.LevelComplex, complaintbot.LevelMajor}
	v.HeadOffice = u.HeadOffice()
	if c.cases != nil {
		v.ExtendLimit, v.ApprovedLimit = c.cases.Limits(rec)
	}
	if v.Agents, err = c.colleagues(ctx, rec.Branch.Code); err != nil {
		return nil, err
	}
	return v, nil
}

// notices returns the delivery status of the notices on the case's timeline (queueing again any
// whose queueing was lost).
func (c *Console) notices(ctx context.Context, rec *complaintbot.Case) map[string]complaintbot.OutboxStatus {
	if c.cases == nil {
		return map[string]complaintbot.OutboxStatus{}
	}
	return c.cases.RepairNotices(ctx, rec)
}

// colleagues lists the active users who cover the branch.
func (c *Console) colleagues(ctx context.Context, branch string) ([]storage.User, error) {
	all, err := c.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := []storage.User{}
	for _, x := range all {
		if x.CanHandle(branch) {
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
	// Prompt marks the bot's own questions and menus: a timeline shows them folded, so that the
	// customer's answers stand out.
	Prompt bool
}

var entryTitles = map[string]string{
	"accept": "受理", "assign": "指派", "departments": "处理部门", "note": "内部备注（客户不可见）", "status": "状态变更",
	"extend": "延长处理期限", "malicious": "恶意投诉标记", "coding": "JR/T 0169 编码", "resolution": "处理结果", "notice": "通知客户",
	"extend_request": "延期审批申请", "extend_approved": "批准延期", "extend_refused": "驳回延期申请", "level": "案件等级", "risk": "风险提示",
}

// Timeline merges the case's entries with the customer's messages from shortly before the case was
// registered on.
func (c *Console) Timeline(ctx context.Context, u *storage.User, number string) ([]TimelineItem, error) {
	rec, err := c.caseFor(ctx, u, number)
	if err != nil {
		return nil, err
	}
	notices := c.notices(ctx, rec)
	var items []TimelineItem
	// The case's own sessions: what the customer said when registering it, adding to it or rating
	// it, and the notices about it — not the rest of the customer's chat (design.md §9).
	lines, err := c.caseLines(ctx, rec)
	if err != nil {
		return nil, err
	}
	from := time.Time{}
	noticeIDs := map[string]bool{}
	for _, e := range rec.Work.Timeline {
		if e.Outbox != "" {
			noticeIDs[e.Outbox] = true
		}
	}
	label := c.labeler(ctx)
	for _, l := range lines {
		if l.At.Before(from) || noticeIDs[l.ID] {
			continue // a notice is shown once, as the case's entry
		}
		who, title := "客户", lineTitle(l)
		switch l.Dir {
		case storage.Outbound:
			who = label.of(l.By)
			if l.By == complaintbot.BotUser {
				who = "智能助手"
			}
		case storage.Note:
			who, title = label.of(l.By), "会话备注"
		}
		items = append(items, TimelineItem{At: l.At, Kind: string(l.Dir), Who: who, Title: title, Text: l.Text,
			Prompt: l.Dir == storage.Outbound && l.By == complaintbot.BotUser})
	}
	for _, e := range rec.Work.Timeline {
		it := TimelineItem{At: e.At, Kind: e.Kind, Who: label.of(e.By), Title: entryTitles[e.Kind], Text: e.Text}
		switch e.Kind {
		case "status":
			it.Title = "状态：" + complaintbot.Status(e.From).Label() + " → " + complaintbot.Status(e.To).Label()
		case "extend":
			it.Title = "处理期限：" + e.From + " → " + e.To
		case "malicious":
			if e.To == "cleared" {
				it.Title = "取消恶意投诉标记"
			}
		case "extend_request":
			it.Title = "延期审批申请（待主管或总行审批）：" + e.From + " → " + e.To
		case "extend_approved":
			it.Title = "批准 " + label.of(e.From) + " 的延期申请（延至 " + e.To + "）"
		case "extend_refused":
			it.Title = "驳回 " + label.of(e.From) + " 的延期申请（延至 " + e.To + "）"
		case "level":
			it.Title = "案件等级：" + e.From + " → " + e.To
		case "risk":
			if e.To == "cleared" {
				it.Title = "取消风险提示"
			}
		case "notice":
			it.Status = outboxLabel(notices[e.Outbox])
		}
		items = append(items, it)
	}
	items = append(items, deadlineItems(rec)...)
	slices.SortStableFunc(items, func(a, b TimelineItem) int { return a.At.Compare(b.At) })
	return items, nil
}

// caseLines are the transcript lines of the case's sessions. A case registered before sessions
// existed has none: its lines are those from 6 hours before it was registered on, as before.
func (c *Console) caseLines(ctx context.Context, rec *complaintbot.Case) ([]storage.Line, error) {
	if rec.OpenID == "" {
		return nil, nil // registered by an agent from another channel: no chat
	}
	own, err := c.handoffs.CaseSessions(ctx, rec.OpenID, rec.Number, 300)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(own, func(l handoffs.Line) bool { return l.FromTurn }) {
		out := make([]storage.Line, len(own))
		for i := range own {
			out[i] = own[i].Line
		}
		return out, nil
	}
	lines, err := c.store.Transcript(ctx, rec.OpenID, 300)
	if err != nil {
		return nil, err
	}
	from := rec.Received.Add(-6 * time.Hour)
	return slices.DeleteFunc(lines, func(l storage.Line) bool { return l.At.Before(from) }), nil
}

// deadlineNames names the deadlines the scheduler watches.
var deadlineNames = map[string]string{storage.DeadlineReply: "答复期限", storage.DeadlineDecision: "处理期限"}

// deadlineItems are the scheduler's own marks on the case, as the timeline shows them: each
// deadline found missed, and the automatic escalation to head office that followed.
func deadlineItems(rec *complaintbot.Case) []TimelineItem {
	var out []TimelineItem
	for _, d := range []string{storage.DeadlineReply, storage.DeadlineDecision} {
		if at, ok := rec.Missed[d]; ok {
			out = append(out, TimelineItem{At: at, Kind: "overdue", Who: "系统", Title: "超期：" + deadlineNames[d] + "已过"})
		}
	}
	if r := rec.Review; r != nil {
		for seq := 1; seq <= r.Seq; seq++ {
			if at, ok := rec.Missed[storage.ReviewDeadline(seq)]; ok {
				out = append(out, TimelineItem{At: at, Kind: "overdue", Who: "系统", Title: fmt.Sprintf("超期：核查（%s-HC%d）答复期限已过", rec.Number, seq)})
			}
		}
	}
	if rec.Escalated != nil {
		why := strings.TrimPrefix(rec.Escalation.Reason, "overdue_")
		out = append(out, TimelineItem{At: *rec.Escalated, Kind: "escalation", Who: "系统",
			Title: "自动提交总行处理（" + deadlineNames[why] + "超期）"})
	}
	return out
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
	r := &Report{}
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

// RefreshIndex reads the embedded server's case index again in full (after cases were written
// behind the store's back, e.g. imported); it does nothing on MongoDB.
func (c *Console) RefreshIndex() {
	if err := c.store.RefreshCaseIndex(c.life); err != nil && c.life.Err() == nil {
		c.log.Error("refresh the case index", "err", err)
	}
}

// caseListItem is a case as the JSON API lists it: the list's fields, never the customer's text
// or phone number.
type caseListItem struct {
	Number      string                 `json:"number"`
	Kind        complaintbot.Kind      `json:"kind"`
	Status      complaintbot.Status    `json:"status"`
	Category    *complaintbot.Category `json:"category,omitempty"`
	Branch      complaintbot.Branch    `json:"branch"`
	Received    time.Time              `json:"received_at"`
	ReplyDue    time.Time              `json:"reply_due"`
	DecisionDue time.Time              `json:"decision_due"`
	// Level is the case's level (complex, major; absent: 普通), LevelName its name; Risk its risk
	// flag, absent when none.
	Level     string             `json:"level,omitempty"`
	LevelName string             `json:"level_name,omitempty"`
	Risk      *complaintbot.Risk `json:"risk,omitempty"`
	Work      struct {
		Assignee  string             `json:"assignee,omitempty"`
		Malicious *complaintbot.Flag `json:"malicious,omitempty"`
		// ExtensionRequest is an extension awaiting a supervisor's or head office's approval.
		ExtensionRequest *complaintbot.ExtensionRequest `json:"extension_request,omitempty"`
	} `json:"work"`
	// Coding is the case's JR/T 0169 codes with their names, axis by axis (未编码 when uncoded).
	Coding []CodingAxis `json:"jrt_coding"`
}

// caseList is the JSON API's list of the cases.
func caseList(t *taxonomy.Taxonomy, rows []complaintbot.Case) []caseListItem {
	out := make([]caseListItem, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = caseListItem{Number: r.Number, Kind: r.Kind, Status: r.Status, Category: r.Category, Branch: r.Branch,
			Received: r.Received, ReplyDue: r.ReplyDue, DecisionDue: r.DecisionDue}
		out[i].Work.Assignee, out[i].Work.Malicious = r.Work.Assignee, r.Work.Malicious
		out[i].Level, out[i].Risk, out[i].Work.ExtensionRequest = r.Level, r.Risk, r.Work.ExtensionRequest
		out[i].LevelName = levelName(r.Level)
		out[i].Coding = codingAxes(t, r.Coding)
	}
	return out
}
