package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/complaintbot/complaintbot/app"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
	"github.com/complaintbot/complaintbot/wechatsim"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

const chatHelp = `你现在是一位微信用户，正在给银行公众号发消息。输入文字后回车发送。
  /image          发送一张图片（作为证据）
  /voice 文字     发送一段语音（微信已识别为“文字”）
  /menu KEY       点击菜单（COMPLAINT 投诉、SUGGESTION 建议、PRAISE 表扬、PROGRESS 进度、AGENT 人工）
  /subscribe      关注公众号
  /quit           退出
`

func chat(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", defaultConfigPath(), "the configuration file (the same one the service reads)")
	user := fs.String("user", defaultUser(), "who you are: each name is a different WeChat customer")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	openID := "o_sim_" + *user
	sim := &wechatsim.Client{
		URL:   "http://" + app.DialableAddr(cfg.Server.WebhookAddr) + cfg.WeChat.Path,
		Token: cfg.WeChat.Token, AppID: cfg.WeChat.AppID, AESKey: cfg.WeChat.EncodingAESKey,
		HTTP: &http.Client{Timeout: 10 * time.Second},
	}
	out := &syncWriter{w: stdout}
	fmt.Fprintf(out, "已连接 %s，你的身份：%s\n%s\n", sim.URL, openID, chatHelp)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	var inbox *sandboxInbox
	if cfg.Sandbox() {
		inbox = &sandboxInbox{base: "http://" + app.DialableAddr(cfg.Server.ConsoleAddr) + app.SandboxPath + fakewechat.PathSandbox, openID: openID,
			key: fakewechat.InboxKey(cfg.WeChat.Token, openID)}
		inbox.skipExisting()
		wg.Add(1)
		go func() {
			defer wg.Done()
			inbox.follow(ctx, out)
		}()
	}

	lines := bufio.NewScanner(stdin)
	for {
		fmt.Fprint(out, "我> ")
		if !lines.Scan() {
			fmt.Fprintln(out)
			return lines.Err()
		}
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		if line == "/quit" {
			return nil
		}
		m, ok := parseChatLine(openID, line, sim)
		if !ok {
			fmt.Fprint(out, chatHelp)
			continue
		}
		reply, err := sim.Send(m)
		switch {
		case err != nil:
			fmt.Fprintf(out, "（发送失败：%v。服务在运行吗？先在另一个终端执行 go run ./cmd/complaintbot）\n", err)
		case reply.Status != http.StatusOK:
			fmt.Fprintf(out, "（服务拒绝了消息：HTTP %d %s）\n", reply.Status, strings.TrimSpace(string(reply.Body)))
		case reply.Text != "":
			fmt.Fprintf(out, "公众号> %s\n", reply.Text)
		}
		if inbox != nil {
			time.Sleep(300 * time.Millisecond) // give the outbox a moment to deliver follow-ups
			inbox.poll(out)
		}
	}
}

func parseChatLine(openID, line string, sim *wechatsim.Client) (wechatsim.Message, bool) {
	m := wechatsim.Message{From: openID}
	cmd, rest, _ := strings.Cut(line, " ")
	switch {
	case !strings.HasPrefix(line, "/"):
		m.Type, m.Content = message.MsgTypeText, line
	case cmd == "/image":
		m.Type, m.MediaID = message.MsgTypeImage, fmt.Sprintf("sim-media-%d", sim.NextMsgID())
	case cmd == "/voice":
		m.Type, m.MediaID, m.Recognition = message.MsgTypeVoice, fmt.Sprintf("sim-voice-%d", sim.NextMsgID()), strings.TrimSpace(rest)
	case cmd == "/menu" && strings.TrimSpace(rest) != "":
		m.Type, m.Event, m.EventKey = message.MsgTypeEvent, message.EventClick, strings.TrimSpace(rest)
	case cmd == "/subscribe":
		m.Type, m.Event = message.MsgTypeEvent, message.EventSubscribe
	default:
		return m, false
	}
	return m, true
}

// sandboxInbox shows what the service sent the customer through the (fake) WeChat API.
type sandboxInbox struct {
	base, openID, key string
	mu                sync.Mutex
	after             int64
}

func (s *sandboxInbox) fetch() ([]fakewechat.Sent, error) {
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	u := s.base + "?" + url.Values{"openid": {s.openID}, "key": {s.key}, "after": {fmt.Sprint(after)}}.Encode()
	hc := &http.Client{Timeout: 3 * time.Second}
	resp, err := hc.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var sent []fakewechat.Sent
	if err := json.NewDecoder(resp.Body).Decode(&sent); err != nil {
		return nil, err
	}
	return sent, nil
}

func (s *sandboxInbox) skipExisting() {
	sent, _ := s.fetch()
	if len(sent) > 0 {
		s.after = sent[len(sent)-1].Seq
	}
}

func (s *sandboxInbox) poll(out io.Writer) {
	sent, err := s.fetch()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range sent {
		if m.Seq <= s.after {
			continue
		}
		s.after = m.Seq
		if m.Kind == "template" {
			fmt.Fprintf(out, "\n公众号（模板消息）> %v\n", m.Data)
		} else {
			fmt.Fprintf(out, "\n公众号（客服消息）> %s\n", m.Text)
		}
	}
}

func (s *sandboxInbox) follow(ctx context.Context, out io.Writer) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll(out)
		}
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func defaultUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "customer"
}
