package soak

import (
	"fmt"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
)

const (
	confirmWord = "确认"
	// maxIntake bounds the messages a customer sends to reach the read-back (8 when nothing goes
	// wrong).
	maxIntake = 24
	// lateWait is how long a customer whose message was answered "success" waits for the answer
	// to come through the customer-service API: it is queued before the "success", and the outbox
	// sends at once (after a kill, once the service is up again, at most a few seconds). An
	// answer whose send a kill cut off comes only once the outbox has decided it, minutes later.
	lateWait = 12 * time.Second
	// lostWait is how long a customer whose message WeChat gave up on waits for an answer that
	// may still come before writing it again.
	lostWait = 8 * time.Second
)

// registeredMark is in the registration message (flows/default.yaml, registered).
const registeredMark = "已登记，编号"

// customer is one WeChat user doing one complaint. Each customer's messages go one after the
// other, as a person types them; the customer answers whatever the bot last asked.
type customer struct {
	openID string
	wave   int
	phone  string

	seen     int64  // the fake WeChat's last Seq this customer has read
	last     string // what the bot last said, as the customer saw it
	msgs     []*delivery
	confirms []*delivery
	readback bool   // reached the read-back, ready to confirm
	stuck    string // why the customer did not get to the read-back
}

func newCustomer(mode string, wave, i int) *customer {
	// The last four characters are what the service's logs show of an openid.
	return &customer{openID: fmt.Sprintf("oSoak_%s_%04d", mode, wave*100+i), wave: wave,
		phone: fmt.Sprintf("139%08d", wave*1000+i)}
}

// step is what the customer answers to what the bot said; confirmWord at the read-back, "" when
// the case is registered.
func (c *customer) step(bot string) string {
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(bot, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has(registeredMark):
		return ""
	case has("内容无误请回复“确认”提交", "请核对后回复“确认”"):
		return confirmWord
	case has("回复“继续”接着填写"):
		return "继续"
	case has("请留下您的联系电话", "有效的电话号码"):
		return c.phone
	case has("您希望我们如何处理"):
		return "希望支行道歉并改进服务"
	case has("事情的经过", "内容有点少"):
		return "柜员态度很差，让我在窗口等了一个小时也没人理"
	case has("发生在什么时候", "没能识别这个时间"):
		return "昨天下午3点"
	case has("哪个网点", "没有找到与", "相近的网点"):
		return "城东支行"
	case has("哪方面的问题", "没能识别您的选择"):
		return "1"
	case bot == "", has("欢迎来到", "暂未查到"):
		return "我要投诉"
	default: // something else: ask where we are (the answer repeats the current question)
		return "进度"
	}
}

// known reports whether the customer knows what to answer to bot.
func (c *customer) known(bot string) bool {
	return c.step(bot) != "进度"
}

// intake walks the customer to the read-back.
func (c *customer) intake(s *run, acked func()) {
	for range maxIntake {
		text := c.step(c.last)
		if text == confirmWord {
			c.readback = true
			return
		}
		if text == "" {
			c.stuck = "registered before confirming"
			return
		}
		d := c.say(s, text)
		if d.outcome.acknowledged() {
			acked()
		}
	}
	c.stuck = fmt.Sprintf("not at the read-back after %d messages; the bot last said %q", maxIntake, excerpt(c.last, 80))
}

// confirm sends 确认 (again, as a new message, when WeChat gave up on it and no answer came, or
// the webhook was busy).
func (c *customer) confirm(s *run) {
	for range 3 {
		d := c.say(s, confirmWord)
		c.confirms = append(c.confirms, d)
		if d.outcome != givenUp && d.outcome != busy {
			return
		}
		if strings.Contains(c.last, registeredMark) {
			return
		}
	}
}

// say sends one message and updates what the customer knows from its answer.
func (c *customer) say(s *run, text string) *delivery {
	d := s.wx.deliver(c, text)
	c.msgs = append(c.msgs, d)
	switch d.outcome {
	case replied:
		c.last = d.reply
		c.skipSent(s.fake) // what came before the answer has been read
	case success:
		d.seqAtAck = c.seen
		if got, ok := c.await(s, lateWait); ok {
			c.last, d.lateSeen = got, true
		} else {
			s.j.add(c.openID, "msg %d: answered success, no answer through the customer-service API within %v", d.msgID, lateWait)
			c.last = "?" // ask where we are
		}
	case givenUp:
		if got, ok := c.await(s, lostWait); ok {
			c.last = got
		} // else the same question stands: the customer writes the same again
	case busy, garbled: // the question stands
	}
	return d
}

// await waits for messages from the fake WeChat that tell the customer what the bot asks.
func (c *customer) await(s *run, limit time.Duration) (string, bool) {
	deadline := time.Now().Add(limit)
	var texts []string
	for {
		for _, m := range s.fake.SentTo(c.openID) {
			if m.Seq <= c.seen {
				continue
			}
			c.seen = m.Seq
			texts = append(texts, sentText(m))
			s.j.add(c.openID, "customer-service message %d: %q", m.Seq, excerpt(sentText(m), 60))
		}
		got := strings.Join(texts, "\n\n")
		if len(texts) > 0 && c.known(got) {
			return got, true
		}
		if time.Now().After(deadline) {
			return got, len(texts) > 0
		}
		time.Sleep(50 * time.Millisecond) // polls the in-process fake
	}
}

// skipSent marks what the fake WeChat holds for the customer as read.
func (c *customer) skipSent(fake *fakewechat.Server) {
	for _, m := range fake.SentTo(c.openID) {
		c.seen = max(c.seen, m.Seq)
	}
}

// sentText is what the customer reads of a message the service sent.
func sentText(m fakewechat.Sent) string {
	if m.Kind == "template" {
		var parts []string
		for k, v := range m.Data {
			parts = append(parts, k+"="+v)
		}
		return strings.Join(parts, " ")
	}
	return m.Text
}
