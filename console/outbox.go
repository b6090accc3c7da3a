package console

import "github.com/complaintbot/complaintbot"

// outboxLabels name where a message to the customer stands, for agents: the one list of them,
// shown beside a case's notices and under an agent's undelivered replies.
var outboxLabels = map[complaintbot.OutboxStatus]string{
	"":                               "排队中", // not in the outbox yet
	complaintbot.OutboxPending:       "待发送",
	complaintbot.OutboxSent:          "已送达",
	complaintbot.OutboxUndeliverable: "微信不允许发送（窗口已关闭或超出条数），请电话联系客户",
	complaintbot.OutboxFailed:        "发送失败",
	complaintbot.OutboxUnknown:       "发送结果未知，请与客户核实",
	complaintbot.OutboxHandled:       "已人工处理",
}

// outboxLabel returns the label of an outbox status (the status itself when unknown).
func outboxLabel(s complaintbot.OutboxStatus) string {
	if l, ok := outboxLabels[s]; ok {
		return l
	}
	return string(s)
}
