package console

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/handoffs"
	"github.com/complaintbot/complaintbot/storage"
)

// Conversation is what the console shows of a customer's conversation: where it stands in the
// handoff workflow (handoffs.Conversation), as an agent reads it.
type Conversation struct {
	*handoffs.Conversation
	// Masked is the openid as shown to agents.
	Masked     string
	BranchName string
}

// StatusLabel is Status in Chinese.
func (v *Conversation) StatusLabel() string {
	switch v.Status() {
	case "agent":
		return "人工服务中"
	case "waiting":
		return "排队等待人工"
	}
	return "智能助手服务中"
}

// mask shows the start and end of an openid.
func mask(id string) string { return complaintbot.MaskOpenID(id) }

var openIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// notFoundFloor is the least time a conversation lookup takes when it answers "not found": a
// conversation outside the user's branches costs a few reads more to find out than one that does
// not exist, and the two must not be told apart by the time the answer takes.
const notFoundFloor = 40 * time.Millisecond

// conversation loads the customer's conversation for u: storage.ErrNotFound (404) when it does
// not exist or lies outside u's branches (unless u holds it) — the same answer, after at least
// notFoundFloor, either way.
func (c *Console) conversation(ctx context.Context, u *storage.User, openID string) (*Conversation, error) {
	start := time.Now()
	v, err := c.lookUpConversation(ctx, u, openID, false)
	return v, c.notFoundAfterFloor(ctx, start, err)
}

// notFoundAfterFloor answers a conversation not found, or outside the user's sessions, as
// errNotFound and no sooner than notFoundFloor after start; other outcomes as they are.
func (c *Console) notFoundAfterFloor(ctx context.Context, start time.Time, err error) error {
	if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, errNotFound) {
		return err
	}
	t := time.NewTimer(notFoundFloor - time.Since(start))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return errNotFound
}

// lookUpConversation loads the conversation for u: for acting on it (the branch it is routed to
// is u's, or u holds it), or with anyone, for reading what u may see of it.
func (c *Console) lookUpConversation(ctx context.Context, u *storage.User, openID string, anyone bool) (*Conversation, error) {
	if !openIDRe.MatchString(openID) {
		return nil, errNotFound
	}
	hv, err := c.handoffs.Conversation(ctx, openID)
	if err != nil {
		return nil, err
	}
	v := &Conversation{Conversation: hv, Masked: mask(openID), BranchName: c.branchName(hv.BranchCode)}
	if !anyone && !u.Covers(v.BranchCode) && v.Holder != u.Name {
		return nil, errNotFound
	}
	return v, nil
}

// viewLimit is how many of a conversation's newest lines the console reads.
const viewLimit = 200

// readConversation loads the customer's conversation and the lines of it u may see (see
// handoffs.ViewFor: the sessions of u's branches): errNotFound, after notFoundFloor, when the
// conversation does not exist or u may see nothing of it. A user who may read a conversation may
// act on it only if conversation allows it.
func (c *Console) readConversation(ctx context.Context, u *storage.User, openID string) (*Conversation, []Line, error) {
	start := time.Now()
	v, err := c.lookUpConversation(ctx, u, openID, true)
	if err != nil {
		return nil, nil, c.notFoundAfterFloor(ctx, start, err)
	}
	view, err := c.handoffs.ViewFor(ctx, u, v.Conversation, viewLimit)
	if err != nil {
		return nil, nil, err
	}
	if !view.Sees() && !u.Covers(v.BranchCode) && v.Holder != u.Name {
		return nil, nil, c.notFoundAfterFloor(ctx, start, errNotFound)
	}
	return v, c.presentLines(ctx, view.Lines), nil
}

// QueueItem is one line of the inbox.
type QueueItem struct {
	OpenID, Masked string
	HandoffID      string
	Status         complaintbot.HandoffStatus
	Reason         string
	Since          time.Time
	Wait           time.Duration
	BranchName     string
	Agent          string
	AgentLabel     string
	Summary        string
	Mine           bool
	// For a conversation the user holds: the newest message (Last, at LastAt) and how many of the
	// customer's messages came after the last reply from the console (Unanswered).
	Last       string
	LastAt     time.Time
	Unanswered int
}

// ReasonLabel says why the customer is in the queue.
func (q QueueItem) ReasonLabel() string {
	switch q.Reason {
	case complaintbot.ReasonCustomerAsked:
		return "客户要求人工"
	case complaintbot.ReasonRepeatedFailures:
		return "多次未能回答"
	case handoffs.ReasonAgentChoice:
		return "坐席转入"
	}
	return q.Reason
}

// Inbox is the waiting queue and the conversations held by agents, as u may see them.
type Inbox struct {
	Waiting []QueueItem
	Mine    []QueueItem
	Others  []QueueItem
}

// Inbox lists the waiting queue (oldest first) and the held conversations within u's branches.
func (c *Console) Inbox(ctx context.Context, u *storage.User) (*Inbox, error) {
	rs, err := c.handoffs.ActiveRequests(ctx, 500)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	in := &Inbox{Waiting: []QueueItem{}, Mine: []QueueItem{}, Others: []QueueItem{}}
	ids := make(map[string]bool, len(rs))
	for i := range rs {
		ids[rs[i].OpenID] = true
	}
	c.active.set(ids)
	label := c.labeler(ctx)
	for i := range rs {
		r := &rs[i]
		mine := r.Status == complaintbot.HandoffClaimed && r.Agent == u.Name
		if !mine && !u.Covers(r.BranchCode) {
			continue
		}
		item := QueueItem{OpenID: r.OpenID, Masked: mask(r.OpenID), HandoffID: r.ID, Status: r.Status, Reason: r.Reason, Since: r.At,
			Wait: now.Sub(r.At), BranchName: c.branchName(r.BranchCode), Agent: r.Agent, Mine: mine}
		if r.Agent != "" {
			item.AgentLabel = label.of(r.Agent)
		}
		if r.Status == complaintbot.HandoffWaiting {
			item.Summary = c.summary(ctx, u, r.OpenID, r.State)
		}
		switch {
		case mine:
			if err := c.lastMessages(ctx, &item); err != nil {
				return nil, err
			}
			in.Mine = append(in.Mine, item)
		case r.Status == complaintbot.HandoffWaiting:
			in.Waiting = append(in.Waiting, item)
		default:
			in.Others = append(in.Others, item)
		}
	}
	return in, nil
}

// summary describes the draft, or the latest case u may see, of a waiting customer.
func (c *Console) summary(ctx context.Context, u *storage.User, openID string, st complaintbot.ConversationState) string {
	if d := st.Draft; d != nil {
		parts := []string{d.Kind.Label() + "（填写中）"}
		if d.Category != nil {
			parts = append(parts, d.Category.Name)
		}
		if d.Branch != nil {
			parts = append(parts, d.Branch.Name)
		}
		if t := d.Fields[complaintbot.FieldDescription]; t != "" {
			parts = append(parts, runes(t, 40))
		}
		return strings.Join(parts, " · ")
	}
	cs, err := c.store.CasesOf(ctx, openID, 20)
	if err == nil {
		for _, k := range cs { // newest first: the newest the user may see
			if u.Covers(k.Branch.Code) {
				return fmt.Sprintf("最近案件 %s（%s）", k.Number, statusName(k.Status))
			}
		}
	}
	if st.Story != "" {
		return runes(st.Story, 40)
	}
	return "（尚无填写内容）"
}

// handoff is the actor as the handoff workflow knows it.
func (a *actor) handoff() complaintbot.Actor { return a.by() }

// handoffError says a refusal of the handoff workflow in plain words, naming users by their
// display names; other errors pass through.
func (c *Console) handoffError(ctx context.Context, err error) error {
	var taken *handoffs.TakenError
	var held *handoffs.HeldError
	var used *handoffs.AllowanceError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &taken):
		switch {
		case taken.By == "":
			return conflict("该会话刚刚被其他坐席处理，请刷新。")
		case taken.Claimed:
			return conflict("该客户已被 " + c.userLabel(ctx, taken.By) + " 接入。")
		}
		return conflict("该会话刚刚被 " + c.userLabel(ctx, taken.By) + " 处理，请刷新。")
	case errors.As(err, &held):
		return conflict("该会话由 " + c.userLabel(ctx, held.Holder) + " 处理中，请先接入。")
	case errors.As(err, &used):
		return conflict(fmt.Sprintf("客户上次留言后已发送或待发送 %d 条客服消息，已达微信上限（每次留言后最多 %d 条），请等待客户回复后再发送。", used.Used, storage.WindowAllowance))
	case errors.Is(err, handoffs.ErrAudit):
		c.log.Error("conversation action refused: audit trail not written", "err", err)
		return errUnaudited
	case errors.Is(err, handoffs.ErrWindowClosed):
		return conflict("客户最后一次留言已超过 48 小时，微信不允许再发送客服消息。请通过案件通知（模板消息）或电话联系客户。")
	case errors.Is(err, handoffs.ErrNotQueued):
		return conflict("该客户目前不在排队中。")
	case errors.Is(err, handoffs.ErrAlreadyQueued):
		return conflict("该客户已在排队或由坐席处理中。")
	case errors.Is(err, handoffs.ErrNotHeld):
		return conflict("该会话当前没有坐席接入。")
	case errors.Is(err, handoffs.ErrEmptyNote):
		return invalid("请输入备注内容。")
	case errors.Is(err, handoffs.ErrNoteTooLong):
		return invalid(fmt.Sprintf("备注过长（最多 %d 字）。", handoffs.MaxNote))
	case errors.Is(err, handoffs.ErrEmptyReply):
		return invalid("请输入回复内容。")
	case errors.Is(err, handoffs.ErrReplyTooLong):
		return invalid(fmt.Sprintf("回复过长（最多 %d 字），请分条发送。", handoffs.MaxReply))
	case errors.Is(err, handoffs.ErrBadClientID):
		return invalid("无效的消息编号。")
	case errors.Is(err, handoffs.ErrBadTarget):
		return invalid("无法转给该坐席：账号不存在、已停用，或不负责该客户所属网点。")
	case errors.Is(err, handoffs.ErrSameAgent):
		return invalid("该会话已由此坐席处理。")
	case errors.Is(err, handoffs.ErrUnknownBranch):
		return invalid("未知的网点。")
	case errors.Is(err, handoffs.ErrNoTarget):
		return invalid("请选择要转给的坐席或网点。")
	}
	return err
}

// Claim gives the waiting conversation to who. When two agents claim at once, one gets it and the
// other is told who did.
func (c *Console) Claim(ctx context.Context, who *actor, openID string) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	return c.handoffError(ctx, c.handoffs.Claim(ctx, who.handoff(), v.Conversation))
}

// holds checks that who may act on the conversation as its holder (a supervisor or admin of its
// branch may act on any held conversation).
func (c *Console) holds(who *actor, v *Conversation) error {
	return c.handoffs.Holds(who.handoff(), v.Conversation)
}

// Reply is an agent's message to the customer.
type Reply struct {
	Text string
	// ClientID makes a double submission send once.
	ClientID string
}

// SendReply queues the agent's reply for the customer-service message API, after checking that
// WeChat will take it: within 48 hours of the customer's last message and within the allowance.
func (c *Console) SendReply(ctx context.Context, who *actor, openID string, r Reply) (string, error) {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return "", err
	}
	id, err := c.handoffs.SendReply(ctx, who.handoff(), v.Conversation, handoffs.Reply{Text: r.Text, ClientID: r.ClientID})
	return id, c.handoffError(ctx, err)
}

// WindowInfo describes the messaging window for the conversation view.
type WindowInfo struct {
	Open      bool
	Remaining int
	Closes    time.Time
	Note      string
}

func (c *Console) window(ctx context.Context, openID string) WindowInfo {
	now := c.clock.Now()
	w, err := c.handoffs.Window(ctx, openID)
	if err != nil {
		return WindowInfo{Note: "无法读取消息窗口"}
	}
	rem := w.Remaining
	info := WindowInfo{Open: w.Open(), Remaining: rem, Closes: w.Closes}
	switch {
	case w.Closed(now):
		info.Note = "48 小时消息窗口已关闭，无法发送客服消息"
	case rem == 0:
		info.Note = "本轮可发送的客服消息已用完，请等待客户回复"
	default:
		info.Note = fmt.Sprintf("还可发送 %d 条，窗口于 %s 关闭", rem, w.Closes.In(complaintbot.Shanghai).Format("01-02 15:04"))
	}
	return info
}

// Release hands the conversation back to the bot (the intake goes on where it was); end says the
// service is over. Both tell the customer.
func (c *Console) Release(ctx context.Context, who *actor, openID string, end bool) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	return c.handoffError(ctx, c.handoffs.Release(ctx, who.handoff(), v.Conversation, end))
}

// Transfer hands the conversation held by who to another agent (toUser) or back to the queue of
// a branch (toBranch, storage.HeadOffice for head office).
func (c *Console) Transfer(ctx context.Context, who *actor, openID, toUser, toBranch string) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	return c.handoffError(ctx, c.handoffs.Transfer(ctx, who.handoff(), v.Conversation, toUser, toBranch))
}

// Queue puts a conversation the bot has into the waiting queue (an agent's own choice); take
// also claims it for the agent at once.
func (c *Console) Queue(ctx context.Context, who *actor, openID string, take bool) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	return c.handoffError(ctx, c.handoffs.Queue(ctx, who.handoff(), v.Conversation, take))
}

// Line is one message of a conversation as the console shows it.
type Line struct {
	storage.Line
	// Who names the sender of an outbound line as agents read it: an agent's display name, or
	// By ("bot", "system").
	Who string
	// Pending is set for a message queued but not delivered yet; Failed when it could not be.
	Pending bool
	Failed  string
}

// presentLines are the lines as agents read them: senders by display name, undelivered messages
// marked.
func (c *Console) presentLines(ctx context.Context, lines []handoffs.Line) []Line {
	label := c.labeler(ctx)
	out := make([]Line, 0, len(lines))
	for _, l := range lines {
		cl := Line{Line: l.Line, Who: l.By, Pending: l.Pending}
		if l.Undelivered != "" {
			cl.Failed = "未能发送：" + outboxLabel(l.Undelivered)
		}
		if by := l.By; by != "" && by != complaintbot.BotUser && by != complaintbot.SystemUser && l.Dir != storage.Inbound {
			cl.Who = label.of(by)
		}
		out = append(out, cl)
	}
	return out
}

// AddNote records who's internal note on the customer's conversation (never sent to them).
func (c *Console) AddNote(ctx context.Context, who *actor, openID, text, clientID string) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	return c.handoffError(ctx, c.handoffs.AddNote(ctx, who.by(), v.Conversation, text, clientID))
}

// lastMessages fills in the newest message of a held conversation and the customer's messages
// since the console last answered.
func (c *Console) lastMessages(ctx context.Context, item *QueueItem) error {
	lines, err := c.handoffs.Messages(ctx, item.OpenID, 30)
	if err != nil {
		return err
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if l.Dir == storage.Note {
			continue
		}
		if item.Last == "" {
			item.Last, item.LastAt = runes(lineTitle(l.Line)+l.Text, 40), l.At
		}
		if l.Dir != storage.Inbound {
			break
		}
		item.Unanswered++
	}
	return nil
}

// WaitingCount is how many customers wait in the queue within u's branches.
func (c *Console) WaitingCount(ctx context.Context, u *storage.User) (int, error) {
	rs, err := c.handoffs.ActiveRequests(ctx, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range rs {
		if rs[i].Status == complaintbot.HandoffWaiting && u.Covers(rs[i].BranchCode) {
			n++
		}
	}
	return n, nil
}

// CustomerPanel is what the console shows about the customer beside their conversation, drawn
// from the cases the user may see and the conversation's messages: the phone numbers they gave,
// the agents who served them and the ratings they gave.
type CustomerPanel struct {
	Phones  []string
	Agents  []string
	Ratings []PanelRating
}

// PanelRating is one survey answer of the customer's.
type PanelRating struct {
	Case   string
	Rating int
	At     time.Time
}

// customerPanel builds the panel from the visible cases (read by number) and the messages shown.
func (c *Console) customerPanel(ctx context.Context, visible []complaintbot.CaseSummary, lines []Line) (CustomerPanel, error) {
	var p CustomerPanel
	label := c.labeler(ctx)
	agents := map[string]bool{}
	addAgent := func(name string) {
		if name == "" || name == complaintbot.BotUser || name == complaintbot.SystemUser || agents[name] {
			return
		}
		agents[name] = true
		p.Agents = append(p.Agents, label.of(name))
	}
	for _, l := range lines {
		if l.Dir == storage.Outbound {
			addAgent(l.By)
		}
	}
	for _, cs := range visible {
		k, err := c.store.Case(ctx, cs.Number)
		if err != nil {
			return p, err
		}
		if ph := k.Fields[complaintbot.FieldPhone]; ph != "" && !slices.Contains(p.Phones, ph) {
			p.Phones = append(p.Phones, ph)
		}
		addAgent(k.Work.Assignee)
		if sv := k.Satisfaction; sv != nil {
			p.Ratings = append(p.Ratings, PanelRating{Case: k.Number, Rating: sv.Rating, At: sv.At})
		}
	}
	return p, nil
}
