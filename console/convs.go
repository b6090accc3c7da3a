package console

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/events"
	"github.com/complaintbot/complaintbot/flows"
	"github.com/complaintbot/complaintbot/storage"
)

// Handoff event kinds (storage.HandoffEvent.Kind).
const (
	evClaim    = "claim"
	evTransfer = "transfer"
	evRequeue  = "requeue"
	evRelease  = "release"
	evEnd      = "end"
	evIdle     = "idle"
	evWeChatKF = "wechat_kf"
)

// ReasonAgentChoice is the reason of a handoff an agent put in the queue.
const ReasonAgentChoice = "agent_choice"

// Messages the customer receives from the console.
const (
	msgReleased    = "人工客服已结束本次服务，接下来由智能助手继续为您服务。回复“帮助”查看说明，回复“人工”可再次联系人工客服。"
	msgEnded       = "本次人工服务已结束，感谢您的耐心。如还有需要，请随时留言。"
	msgIdleReturn  = "由于较长时间没有新的消息，本次人工服务已结束，接下来由智能助手继续为您服务。如需人工客服，请回复“人工”。"
	msgQueuedByBot = "已为您转接人工客服，您正在排队，客服接入后会在这里直接回复您，请稍候。"
)

// Conversation is what the console knows of a customer's conversation.
type Conversation struct {
	OpenID string
	// Masked is the openid as shown to agents.
	Masked string
	State  flows.State
	// Handoff is the waiting or held request, nil when the bot has the conversation.
	Handoff    *storage.HandoffRecord
	BranchCode string
	BranchName string
	// Holder is the user name of the agent holding the conversation ("" if none).
	Holder string
}

// Status returns "bot", "waiting" or "agent".
func (v *Conversation) Status() string {
	switch {
	case v.State.Handoff == flows.HandoffAgent:
		return "agent"
	case v.State.Handoff == flows.HandoffWaiting || (v.Handoff != nil && v.Handoff.Status == storage.HandoffWaiting):
		return "waiting"
	}
	return "bot"
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

// conversation loads the customer's conversation for u: storage.ErrNotFound (404) when it does
// not exist or lies outside u's branches (unless u holds it).
func (c *Console) conversation(ctx context.Context, u *storage.User, openID string) (*Conversation, error) {
	if !openIDRe.MatchString(openID) {
		return nil, errNotFound
	}
	if _, err := c.store.LatestTurn(ctx, openID); err != nil {
		return nil, err
	}
	st, err := c.convs.State(ctx, openID)
	if err != nil {
		return nil, err
	}
	v := &Conversation{OpenID: openID, Masked: mask(openID), State: st}
	h, err := c.store.ActiveHandoffOf(ctx, openID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if err == nil {
		v.Handoff = h
		if h.Status == storage.HandoffClaimed {
			v.Holder = h.Agent
		}
	}
	if v.BranchCode, err = c.routeBranch(ctx, openID, st, v.Handoff); err != nil {
		return nil, err
	}
	v.BranchName = c.branchName(v.BranchCode)
	if !u.Covers(v.BranchCode) && v.Holder != u.Name {
		return nil, errNotFound
	}
	return v, nil
}

// routeBranch works out the branch a conversation belongs to: the branch a request was routed to,
// else the branch of the customer's draft, else of their latest case; "" (head office) when none.
// A request remembers its branch, so the inbox works it out once.
func (c *Console) routeBranch(ctx context.Context, openID string, st flows.State, h *storage.HandoffRecord) (string, error) {
	if h != nil && h.BranchCode != nil {
		return *h.BranchCode, nil
	}
	code := ""
	if st.Draft != nil && st.Draft.Branch != nil {
		code = st.Draft.Branch.Code
	} else {
		cs, err := c.store.CasesOf(ctx, openID, 1)
		if err != nil {
			return "", err
		}
		if len(cs) > 0 {
			code = cs[0].Branch.Code
		}
	}
	if code == complaintbot.NoBranchCode {
		code = ""
	}
	if h != nil {
		name := c.branchName(code)
		if err := c.store.UpdateHandoff(ctx, h.ID, storage.HandoffUpdate{BranchCode: &code, BranchName: &name}); err != nil {
			return "", err
		}
		h.BranchCode = &code
	}
	return code, nil
}

// QueueItem is one line of the inbox.
type QueueItem struct {
	OpenID, Masked string
	HandoffID      string
	Status         storage.HandoffStatus
	Reason         string
	Since          time.Time
	Wait           time.Duration
	BranchName     string
	Agent          string
	AgentLabel     string
	Summary        string
	Mine           bool
}

// ReasonLabel says why the customer is in the queue.
func (q QueueItem) ReasonLabel() string {
	switch q.Reason {
	case flows.ReasonCustomerAsked:
		return "客户要求人工"
	case flows.ReasonRepeatedFailures:
		return "多次未能回答"
	case ReasonAgentChoice:
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
	hs, err := c.store.ActiveHandoffs(ctx, 500)
	if err != nil {
		return nil, err
	}
	now := c.clock.Now()
	in := &Inbox{Waiting: []QueueItem{}, Mine: []QueueItem{}, Others: []QueueItem{}}
	ids := make(map[string]bool, len(hs))
	for i := range hs {
		ids[hs[i].OpenID] = true
	}
	c.active.set(ids)
	for i := range hs {
		h := &hs[i]
		mine := h.Status == storage.HandoffClaimed && h.Agent == u.Name
		var st flows.State
		if h.BranchCode == nil || h.Status == storage.HandoffWaiting {
			if st, err = c.convs.State(ctx, h.OpenID); err != nil {
				return nil, err
			}
		}
		code, err := c.routeBranch(ctx, h.OpenID, st, h)
		if err != nil {
			return nil, err
		}
		if !mine && !u.Covers(code) {
			continue
		}
		item := QueueItem{OpenID: h.OpenID, Masked: mask(h.OpenID), HandoffID: h.ID, Status: h.Status, Reason: h.Reason, Since: h.At,
			Wait: now.Sub(h.At), BranchName: c.branchName(code), Agent: h.Agent, Mine: mine}
		if h.Status == storage.HandoffWaiting {
			item.Summary = c.summary(ctx, h.OpenID, st)
		}
		switch {
		case mine:
			in.Mine = append(in.Mine, item)
		case h.Status == storage.HandoffWaiting:
			in.Waiting = append(in.Waiting, item)
		default:
			item.AgentLabel = c.userLabel(ctx, h.Agent)
			in.Others = append(in.Others, item)
		}
	}
	return in, nil
}

// summary describes the draft, or the latest case, of a waiting customer.
func (c *Console) summary(ctx context.Context, openID string, st flows.State) string {
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
	cs, err := c.store.CasesOf(ctx, openID, 1)
	if err == nil && len(cs) > 0 {
		return fmt.Sprintf("最近案件 %s（%s）", cs[0].Number, cs[0].Status.Label())
	}
	if st.Story != "" {
		return runes(st.Story, 40)
	}
	return "（尚无填写内容）"
}

// holder returns the latest ownership change of the request.
func (c *Console) claimConflict(ctx context.Context, h *storage.HandoffRecord, n int) error {
	e, err := c.store.HandoffEventAt(ctx, h.ID, n)
	if err != nil {
		return conflict("该会话刚刚被其他坐席处理，请刷新。")
	}
	c.cacheEvent(ctx, h, e)
	if e.Kind == evClaim || e.Kind == evTransfer {
		return conflict("该客户已被 " + c.userLabel(ctx, e.Agent) + " 接入。")
	}
	return conflict("该会话刚刚被 " + c.userLabel(ctx, e.By) + " 处理，请刷新。")
}

// cacheEvent brings the request's cached ownership up to the change e.
func (c *Console) cacheEvent(ctx context.Context, h *storage.HandoffRecord, e *storage.HandoffEvent) {
	u := storage.HandoffUpdate{Seq: &e.N, Agent: &e.Agent}
	status := storage.HandoffClaimed
	switch e.Kind {
	case evRequeue:
		status = storage.HandoffWaiting
		name := c.branchName(e.Branch)
		u.BranchCode, u.BranchName = &e.Branch, &name
	case evRelease, evEnd, evIdle:
		status = storage.HandoffClosed
	case evClaim, evTransfer, evWeChatKF:
		at := e.At
		u.ActiveAt = &at
	}
	u.Status = &status
	if err := c.store.UpdateHandoff(ctx, h.ID, u); err != nil {
		c.log.Error("update handoff", "err", err)
	}
}

// change records ownership change number h.Seq+1; only one of several concurrent changes wins,
// the others get a conflict naming who won.
func (c *Console) change(ctx context.Context, h *storage.HandoffRecord, e *storage.HandoffEvent) error {
	e.Handoff, e.OpenID, e.N, e.At = h.ID, h.OpenID, h.Seq+1, c.clock.Now()
	if err := c.store.AddHandoffEvent(ctx, e); err != nil {
		if storage.IsDuplicate(err) {
			return c.claimConflict(ctx, h, e.N)
		}
		return err
	}
	return nil
}

// setHandoff changes the conversation state's Handoff through a control turn.
func (c *Console) setHandoff(ctx context.Context, openID, note, to string) error {
	return c.setHandoffEntry(ctx, openID, note, to, "")
}

// setHandoffEntry is setHandoff for a customer put in the queue as the entry handoffID, which the
// conversation keeps so that the customer leaving the queue closes that entry.
func (c *Console) setHandoffEntry(ctx context.Context, openID, note, to, handoffID string) error {
	_, err := c.convs.Control(ctx, openID, note, func(st *flows.State) ([]string, error) {
		st.Handoff, st.HandoffID = to, handoffID
		return nil, nil
	})
	return err
}

// Claim gives the waiting conversation to u. When two agents claim at once, one gets it and the
// other is told who did.
func (c *Console) Claim(ctx context.Context, who *actor, openID string) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	h := v.Handoff
	if h == nil {
		return conflict("该客户目前不在排队中。")
	}
	if h.Status == storage.HandoffClaimed {
		if h.Agent == who.user.Name {
			return nil
		}
		return conflict("该客户已被 " + c.userLabel(ctx, h.Agent) + " 接入。")
	}
	e := &storage.HandoffEvent{Kind: evClaim, Agent: who.user.Name, By: who.user.Name}
	if err := c.change(ctx, h, e); err != nil {
		return err
	}
	if err := c.setHandoff(ctx, openID, "claimed by "+who.user.Name, flows.HandoffAgent); err != nil {
		return err
	}
	c.cacheEvent(ctx, h, e)
	c.audit(ctx, who, "conversation.claim", "conversation", openID, v.BranchCode, v.Status(), "agent:"+who.user.Name)
	return nil
}

// holds checks that u holds the conversation (a supervisor or admin of its branch may act on
// any held conversation).
func (c *Console) holds(who *actor, v *Conversation) error {
	if v.Handoff == nil || v.Handoff.Status != storage.HandoffClaimed {
		return conflict("该会话当前没有坐席接入。")
	}
	if v.Holder != who.user.Name && !(who.user.Role.AtLeast(storage.RoleSupervisor) && who.user.Covers(v.BranchCode)) {
		return conflict("该会话由 " + v.Holder + " 处理中，请先接入。")
	}
	return nil
}

// Reply is an agent's message to the customer.
type Reply struct {
	Text string
	// ClientID makes a double submission send once.
	ClientID string
}

var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// SendReply queues the agent's reply for the customer-service message API, after checking that
// WeChat will take it: within 48 hours of the customer's last message and within the allowance.
func (c *Console) SendReply(ctx context.Context, who *actor, openID string, r Reply) (string, error) {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return "", err
	}
	if err := c.holds(who, v); err != nil {
		return "", err
	}
	text := strings.TrimSpace(r.Text)
	if text == "" {
		return "", invalid("请输入回复内容。")
	}
	if len([]rune(text)) > 600 {
		return "", invalid("回复过长（最多 600 字），请分条发送。")
	}
	if r.ClientID == "" {
		r.ClientID = randomToken(12)
	} else if !clientIDRe.MatchString(r.ClientID) {
		return "", invalid("无效的消息编号。")
	}
	id := "agent:" + openID + ":" + r.ClientID
	if _, err := c.store.OutboxMessage(ctx, id); err == nil {
		return id, nil // sent already (a double submission)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	now := c.clock.Now()
	if err := c.windowAllows(ctx, openID, now); err != nil {
		return "", err
	}
	m := &storage.OutboxMessage{ID: id, OpenID: openID, Text: text, Purpose: "agent", By: who.user.Name, Created: now}
	if _, err := c.store.Enqueue(ctx, m); err != nil {
		return "", err
	}
	c.pending.add(openID, id, text, who.user.Name, now)
	if err := c.store.UpdateHandoff(ctx, v.Handoff.ID, storage.HandoffUpdate{ActiveAt: &now}); err != nil {
		c.log.Error("update handoff activity", "err", err)
	}
	c.audit(ctx, who, "conversation.reply", "conversation", openID, v.BranchCode, "", text)
	c.bus.Publish(events.Event{Kind: events.Turn, OpenID: openID, Ref: id, At: now})
	return id, nil
}

// windowAllows tells, before anything is queued, whether WeChat will accept one more
// customer-service message to the customer.
func (c *Console) windowAllows(ctx context.Context, openID string, now time.Time) error {
	w, queued, err := c.store.WindowWithQueue(ctx, openID, now)
	if err != nil {
		return err
	}
	if w.LastInbound.IsZero() || !now.Before(w.Closes) {
		return conflict("客户最后一次留言已超过 48 小时，微信不允许再发送客服消息。请通过案件通知（模板消息）或电话联系客户。")
	}
	if w.Remaining <= 0 {
		return conflict(fmt.Sprintf("客户上次留言后已发送或待发送 %d 条客服消息，已达微信上限（每次留言后最多 %d 条），请等待客户回复后再发送。", w.Sent+queued, storage.WindowAllowance))
	}
	return nil
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
	w, _, err := c.store.WindowWithQueue(ctx, openID, now)
	if err != nil {
		return WindowInfo{Note: "无法读取消息窗口"}
	}
	rem := w.Remaining
	info := WindowInfo{Open: rem > 0, Remaining: rem, Closes: w.Closes}
	switch {
	case w.LastInbound.IsZero() || !now.Before(w.Closes):
		info.Note = "48 小时消息窗口已关闭，无法发送客服消息"
	case rem == 0:
		info.Note = "本轮可发送的客服消息已用完，请等待客户回复"
	default:
		info.Note = fmt.Sprintf("还可发送 %d 条，窗口于 %s 关闭", rem, w.Closes.In(complaintbot.Shanghai).Format("01-02 15:04"))
	}
	return info
}

// tell sends the customer a message from the console when WeChat allows it (best effort: a
// closed window just means the customer is not told now).
func (c *Console) tell(ctx context.Context, openID, key, text string) {
	now := c.clock.Now()
	if err := c.windowAllows(ctx, openID, now); err != nil {
		return
	}
	m := &storage.OutboxMessage{ID: "console:" + key, OpenID: openID, Text: text, Purpose: "system", By: "system", Created: now}
	if _, err := c.store.Enqueue(ctx, m); err != nil {
		c.log.Error("queue message to customer", "err", err)
		return
	}
	c.pending.add(openID, m.ID, text, "system", now)
}

// Release hands the conversation back to the bot (the intake goes on where it was); end says the
// service is over. Both tell the customer.
func (c *Console) Release(ctx context.Context, who *actor, openID string, end bool) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	if err := c.holds(who, v); err != nil {
		return err
	}
	kind, text, action := evRelease, msgReleased, "conversation.release"
	if end {
		kind, text, action = evEnd, msgEnded, "conversation.end"
	}
	e := &storage.HandoffEvent{Kind: kind, By: who.user.Name}
	if err := c.change(ctx, v.Handoff, e); err != nil {
		return err
	}
	if err := c.setHandoff(ctx, openID, kind+" by "+who.user.Name, flows.HandoffNone); err != nil {
		return err
	}
	c.cacheEvent(ctx, v.Handoff, e)
	c.tell(ctx, openID, storage.HandoffEventID(v.Handoff.ID, e.N), text)
	c.audit(ctx, who, action, "conversation", openID, v.BranchCode, "agent:"+v.Holder, "bot")
	if c.surveys != nil { // the customer rates the conversation the agent handled
		if err := c.surveys.ConversationEnded(ctx, openID, v.Handoff.ID, v.Holder); err != nil {
			c.log.Error("ask for a rating of the conversation", "err", err)
		}
	}
	return nil
}

// Transfer hands the conversation held by who to another agent (toUser) or back to the queue of
// a branch (toBranch, storage.HeadOffice for head office).
func (c *Console) Transfer(ctx context.Context, who *actor, openID, toUser, toBranch string) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	if err := c.holds(who, v); err != nil {
		return err
	}
	switch {
	case toUser != "":
		target, err := c.store.UserByName(ctx, toUser)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && (target.Disabled || !target.Covers(v.BranchCode))) {
			return invalid("无法转给该坐席：账号不存在、已停用，或不负责该客户所属网点。")
		}
		if err != nil {
			return err
		}
		if target.Name == v.Holder {
			return invalid("该会话已由此坐席处理。")
		}
		e := &storage.HandoffEvent{Kind: evTransfer, Agent: target.Name, By: who.user.Name}
		if err := c.change(ctx, v.Handoff, e); err != nil {
			return err
		}
		c.cacheEvent(ctx, v.Handoff, e)
		c.audit(ctx, who, "conversation.transfer", "conversation", openID, v.BranchCode, "agent:"+v.Holder, "agent:"+target.Name)
		c.bus.Publish(events.Event{Kind: events.Handoff, OpenID: openID, Ref: v.Handoff.ID, At: c.clock.Now()})
		return nil
	case toBranch != "":
		if !c.knownBranch(toBranch) {
			return invalid("未知的网点。")
		}
		code := toBranch
		if code == storage.HeadOffice {
			code = ""
		}
		e := &storage.HandoffEvent{Kind: evRequeue, Branch: code, By: who.user.Name}
		if err := c.change(ctx, v.Handoff, e); err != nil {
			return err
		}
		if err := c.setHandoffEntry(ctx, openID, "requeued to branch "+toBranch+" by "+who.user.Name, flows.HandoffWaiting, v.Handoff.ID); err != nil {
			return err
		}
		c.cacheEvent(ctx, v.Handoff, e)
		c.audit(ctx, who, "conversation.transfer", "conversation", openID, v.BranchCode, "agent:"+v.Holder, "branch:"+toBranch)
		c.bus.Publish(events.Event{Kind: events.Queued, OpenID: openID, Ref: v.Handoff.ID, At: c.clock.Now()})
		return nil
	}
	return invalid("请选择要转给的坐席或网点。")
}

// Queue puts a conversation the bot has into the waiting queue (an agent's own choice); take
// also claims it for the agent at once.
func (c *Console) Queue(ctx context.Context, who *actor, openID string, take bool) error {
	v, err := c.conversation(ctx, who.user, openID)
	if err != nil {
		return err
	}
	if v.Handoff != nil {
		if take && v.Handoff.Status == storage.HandoffWaiting {
			return c.Claim(ctx, who, openID)
		}
		return conflict("该客户已在排队或由坐席处理中。")
	}
	now := c.clock.Now()
	id := fmt.Sprintf("%s#agent#%d", openID, now.UnixNano())
	code, name := v.BranchCode, v.BranchName
	h := &storage.Handoff{ID: id, OpenID: openID, Reason: ReasonAgentChoice, Status: storage.HandoffWaiting, At: now}
	if err := c.store.QueueHandoff(ctx, h); err != nil {
		return err
	}
	if err := c.store.UpdateHandoff(ctx, id, storage.HandoffUpdate{BranchCode: &code, BranchName: &name}); err != nil {
		return err
	}
	if err := c.setHandoffEntry(ctx, openID, "queued by "+who.user.Name, flows.HandoffWaiting, id); err != nil {
		return err
	}
	c.audit(ctx, who, "conversation.queue", "conversation", openID, code, "bot", "waiting")
	c.bus.Publish(events.Event{Kind: events.Queued, OpenID: openID, Ref: id, At: now})
	if take {
		return c.Claim(ctx, who, openID)
	}
	c.tell(ctx, openID, id, msgQueuedByBot+c.AfterHoursNote(now))
	return nil
}

// ReturnIdle hands every conversation held by an agent with no activity (no customer message,
// no agent reply) for console.agent_idle_timeout back to the bot and tells the customer. Several
// instances may run it at once: each conversation is returned once. It returns how many it
// returned.
func (c *Console) ReturnIdle(ctx context.Context) (int, error) {
	hs, err := c.store.ActiveHandoffs(ctx, 500)
	if err != nil {
		return 0, err
	}
	now := c.clock.Now()
	limit := c.cfg.AgentIdleTimeout.D()
	n := 0
	for i := range hs {
		h := &hs[i]
		if h.Status != storage.HandoffClaimed || h.Mode == evWeChatKF {
			continue
		}
		last := h.At
		if h.ActiveAt.After(last) {
			last = h.ActiveAt
		}
		if now.Sub(last) < limit {
			continue
		}
		t, err := c.store.LatestTurn(ctx, h.OpenID)
		if err != nil {
			return n, err
		}
		if t.At.After(last) {
			last = t.At
		}
		if now.Sub(last) < limit {
			continue
		}
		e := &storage.HandoffEvent{Kind: evIdle, By: system.user.Name}
		if err := c.change(ctx, h, e); err != nil {
			var ce *Error
			if errors.As(err, &ce) {
				continue // someone else changed it meanwhile
			}
			return n, err
		}
		if err := c.setHandoff(ctx, h.OpenID, "returned to the bot after agent idle", flows.HandoffNone); err != nil {
			return n, err
		}
		c.cacheEvent(ctx, h, e)
		c.tell(ctx, h.OpenID, storage.HandoffEventID(h.ID, e.N), msgIdleReturn)
		code := ""
		if h.BranchCode != nil {
			code = *h.BranchCode
		}
		c.audit(ctx, system, "conversation.idle_return", "conversation", h.OpenID, code, "agent:"+h.Agent, "bot")
		n++
	}
	return n, nil
}

// RunIdleReturns calls ReturnIdle every minute until ctx is done.
func (c *Console) RunIdleReturns(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := c.ReturnIdle(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("return idle conversations to the bot", "err", err)
		} else if n > 0 {
			c.log.Info("returned idle conversations to the bot", "count", n)
		}
	}
}

// HandoffMode is console.handoff_mode: "console" or "wechat_kf".
func (c *Console) HandoffMode() string { return c.cfg.HandoffMode }

// TransferToWeChatKF records that the customer's waiting request was handed to WeChat's own
// customer-service system (console.handoff_mode wechat_kf): the conversation is held by the
// pseudo-agent "wechat_kf", so the bot stays silent and the webhook answers every further
// message with a transfer_customer_service reply until WeChatKFClosed.
func (c *Console) TransferToWeChatKF(ctx context.Context, openID string) error {
	h, err := c.store.ActiveHandoffOf(ctx, openID)
	if err != nil {
		return err
	}
	if h.Mode == evWeChatKF {
		return nil
	}
	e := &storage.HandoffEvent{Kind: evWeChatKF, Agent: evWeChatKF, By: system.user.Name}
	if err := c.change(ctx, h, e); err != nil {
		return err
	}
	if err := c.setHandoff(ctx, openID, evWeChatKF, flows.HandoffAgent); err != nil {
		return err
	}
	c.cacheEvent(ctx, h, e)
	mode := evWeChatKF
	return c.store.UpdateHandoff(ctx, h.ID, storage.HandoffUpdate{Mode: &mode})
}

// WeChatKFClosed hands the conversation back to the bot when WeChat's customer-service session
// ends (the kf_close_session event).
func (c *Console) WeChatKFClosed(ctx context.Context, openID string) error {
	h, err := c.store.ActiveHandoffOf(ctx, openID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e := &storage.HandoffEvent{Kind: evEnd, By: evWeChatKF}
	if err := c.change(ctx, h, e); err != nil {
		return err
	}
	if err := c.setHandoff(ctx, openID, "wechat_kf session closed", flows.HandoffNone); err != nil {
		return err
	}
	c.cacheEvent(ctx, h, e)
	return nil
}

// pendingReplies remembers, in this process, the messages queued for customers that the outbox
// has not delivered yet, so the conversation view shows them at once and the allowance counts them.
type pendingReplies struct {
	mu sync.Mutex
	m  map[string][]pendingReply
}

type pendingReply struct {
	id, text, by string
	at           time.Time
}

func (p *pendingReplies) add(openID, id, text, by string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]pendingReply{}
	}
	l := append(p.m[openID], pendingReply{id: id, text: text, by: by, at: at})
	if len(l) > 20 {
		l = l[len(l)-20:]
	}
	p.m[openID] = l
}

func (p *pendingReplies) list(openID string) []pendingReply {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pendingReply(nil), p.m[openID]...)
}

func (p *pendingReplies) drop(openID, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.m[openID]
	for i := range l {
		if l[i].id == id {
			l = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(p.m, openID)
	} else {
		p.m[openID] = l
	}
}

func outboxStatusLabel(s storage.OutboxStatus) string {
	switch s {
	case storage.OutboxUndeliverable:
		return "微信不允许发送（窗口已关闭或超出条数），请电话联系客户"
	case storage.OutboxFailed:
		return "发送失败"
	case storage.OutboxUnknown:
		return "发送结果未知，请与客户核实"
	}
	return string(s)
}

// Line is one message of a conversation as the console shows it.
type Line struct {
	storage.Line
	// Pending is set for a message queued but not delivered yet; Failed when it could not be.
	Pending bool
	Failed  string
}

// Messages returns the conversation's newest lines (oldest first) with the replies still queued.
func (c *Console) Messages(ctx context.Context, openID string, limit int) ([]Line, error) {
	lines, err := c.store.Transcript(ctx, openID, limit)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := make([]Line, 0, len(lines)+4)
	for _, l := range lines {
		seen[l.ID] = true
		out = append(out, Line{Line: l})
	}
	for _, p := range c.pending.list(openID) {
		if seen[p.id] {
			c.pending.drop(openID, p.id)
			continue
		}
		m, err := c.store.OutboxMessage(ctx, p.id)
		if err != nil {
			continue
		}
		l := Line{Line: storage.Line{ID: p.id, OpenID: openID, Dir: storage.Outbound, Type: complaintbot.InputText, Text: p.text, At: p.at, By: p.by}}
		switch m.Status {
		case storage.OutboxPending:
			l.Pending = true
		case storage.OutboxSent:
			c.pending.drop(openID, p.id) // in the transcript from now on
		default:
			l.Failed = "未能发送：" + outboxStatusLabel(m.Status)
		}
		out = append(out, l)
	}
	return out, nil
}
