package console

import (
	"context"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/calls"
	"github.com/complaintbot/complaintbot/cases"
	"github.com/complaintbot/complaintbot/erasures"
	"github.com/complaintbot/complaintbot/followups"
	"github.com/complaintbot/complaintbot/reports"
	"github.com/complaintbot/complaintbot/sandbox"
)

// nameCacheFor is how long the display names the pages show are kept before they are read again:
// accounts change rarely, and a page names the same few people many times.
const nameCacheFor = 30 * time.Second

// displayNames names users as the pages show them (the who template function).
type displayNames struct {
	c      *Console
	mu     sync.Mutex
	loaded time.Time
	names  map[string]string
}

// of returns the display name of a user name: "—" for none, the pseudo-users' Chinese names, the
// account's display name, or the name itself when there is no such account.
func (d *displayNames) of(name string) string {
	switch name {
	case "":
		return "—"
	case complaintbot.BotUser:
		return "智能助手"
	case complaintbot.SystemUser:
		return complaintbot.System.User.DisplayName
	case complaintbot.CLIUser:
		return complaintbot.CLI.User.DisplayName
	case complaintbot.WeChatKFUser:
		return "微信客服"
	case complaintbot.CustomerUser:
		return complaintbot.Customer.User.DisplayName
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.names == nil || time.Since(d.loaded) > nameCacheFor { // a cache's age, not the service's clock
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		users, err := d.c.store.Users(ctx)
		cancel()
		if err == nil {
			d.names, d.loaded = make(map[string]string, len(users)), time.Now()
			for _, u := range users {
				d.names[u.Name] = u.Label()
			}
		}
	}
	if n, ok := d.names[name]; ok {
		return n
	}
	return name
}

// auditTargets names the kinds of things the audit trail records actions on.
var auditTargets = map[string]string{
	"case": "案件", "conversation": "会话", "user": "用户", "session": "登录", "quick_reply": "快捷回复",
}

// auditActions names the audit codes of the actions outside the workflows that name their own
// (auditVocabularies).
var auditActions = map[string]string{
	"conversation.claim": "接入会话", "conversation.end": "结束人工服务", "conversation.idle_return": "超时交回智能助手",
	"conversation.note": "添加会话备注", "conversation.queue": "转入人工排队", "conversation.release": "交回智能助手",
	"conversation.reply": "回复客户", "conversation.transfer": "转接会话",
	"login": "登录", "login.failed": "登录失败", "logout": "退出登录",
	"user.add": "新建用户", "user.disable": "停用用户", "user.enable": "启用用户", "user.password": "重置密码",
	"user.password_change": "修改本人密码", "user.password_change.failed": "修改密码失败", "user.role": "变更角色", "user.unlock": "解除锁定",
	"quick_reply.add": "新建快捷回复", "quick_reply.change": "修改快捷回复", "quick_reply.delete": "删除快捷回复",
}

// auditVocabularies are the workflows that name their own audit codes and target types.
var auditVocabularies = []complaintbot.AuditVocabulary{cases.Audit, followups.Audit, calls.Audit, erasures.Audit, reports.Audit, sandbox.Audit}

// auditName names any audit code in Chinese; an unknown one is shown as it is.
func auditName(code string) string {
	if n, ok := auditActions[code]; ok {
		return n
	}
	for _, v := range auditVocabularies {
		if n, ok := v.Action(code); ok {
			return n
		}
	}
	return code
}

// auditTarget names an audit entry's kind of target in Chinese.
func auditTarget(kind string) string {
	if n, ok := auditTargets[kind]; ok {
		return n
	}
	for _, v := range auditVocabularies {
		if n, ok := v.TargetType(kind); ok {
			return n
		}
	}
	return kind
}

// statusName names a case status as the console's users read it. A case just registered is
// 待受理 to them — waiting for someone to accept it (受理并承办) — though the customer was told
// it was received (已受理).
func statusName(s complaintbot.Status) string {
	if s == complaintbot.StatusReceived {
		return "待受理"
	}
	return s.Label()
}
