package scheduler

import (
	"context"
	"fmt"
	"strings"

	"github.com/complaintbot/complaintbot"
)

// RiskRaised posts a case's raised risk flag to the WeCom group robot (scheduler.wecom_robot_url;
// nothing when unset), for the branch supervisor: the case number, the branch and why, never the
// customer's data (the risk words are the flow file's). The case workflow calls it once per flag
// (cases.RiskAlerts).
func (x *Scheduler) RiskRaised(ctx context.Context, c *complaintbot.Case) error {
	if x.cfg.WeComRobotURL == "" || c.Risk == nil {
		return nil
	}
	return x.postRobotText(ctx, riskText(c))
}

// riskText is the robot's message about the case's risk flag.
func riskText(c *complaintbot.Case) string {
	r := c.Risk
	why := complaintbot.RiskLabel(r.Reason)
	switch {
	case len(r.Words) > 0:
		why += "（" + strings.Join(r.Words, "、") + "）"
	case r.Reason == complaintbot.RiskRepeat && r.Note != "":
		why += "（" + r.Note + "）"
	}
	branch := c.Branch.Name
	if branch == "" {
		branch = c.Branch.Code
	}
	text := fmt.Sprintf("【投诉风险提示】案件 %s（%s）%s，请网点主管立即关注。", c.Number, branch, why)
	if c.Work.Assignee != "" {
		text += " 经办人：" + c.Work.Assignee
	}
	return text
}
