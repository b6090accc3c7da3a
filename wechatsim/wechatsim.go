// Package wechatsim plays WeChat's side of the webhook: it sends customer messages and events to a
// webhook exactly as WeChat does (signed; encrypted in safe mode) and opens the passive replies.
// The customer simulator, the end-to-end tests and the load benchmark use it.
package wechatsim

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// Client sends callbacks to one webhook. It is safe for concurrent use.
type Client struct {
	// URL is the webhook's full URL, e.g. http://127.0.0.1:8080/wechat.
	URL string
	// Token, AppID and AESKey are the Official Account's settings; a non-empty AESKey sends
	// every message encrypted (safe mode).
	Token, AppID, AESKey string
	// Clock stamps the callbacks; nil means the wall clock.
	Clock complaintbot.Clock
	// HTTP sends the requests; nil means a client with a 10 s timeout.
	HTTP *http.Client

	msgID atomic.Int64
}

// Reply is the webhook's answer to one callback.
type Reply struct {
	Status int
	// Text is the passive text reply, "" when the webhook answered "success" or with an error.
	Text string
	// Success reports a plain "success" answer (nothing to show now).
	Success bool
	// Body is the raw answer.
	Body []byte
}

// Message is a callback to send; fields left zero are filled in (CreateTime, MsgId, ToUserName).
type Message struct {
	From        string
	Type        message.MsgType
	Content     string
	MediaID     string
	Recognition string
	Event       message.EventType
	EventKey    string
	CreateTime  int64
	MsgID       int64
}

func (c *Client) now() time.Time {
	if c.Clock != nil {
		return c.Clock.Now()
	}
	return time.Now()
}

// NextMsgID returns a fresh MsgId, as WeChat gives each message.
func (c *Client) NextMsgID() int64 {
	if c.msgID.Load() == 0 {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.msgID.CompareAndSwap(0, int64(binary.BigEndian.Uint32(b[:]))<<20)
	}
	return c.msgID.Add(1)
}

// Text sends a text message from the customer.
func (c *Client) Text(from, text string) (*Reply, error) {
	return c.Send(Message{From: from, Type: message.MsgTypeText, Content: text})
}

// Send fills in the message's missing fields and sends it.
func (c *Client) Send(m Message) (*Reply, error) {
	if m.CreateTime == 0 {
		m.CreateTime = c.now().Unix()
	}
	if m.MsgID == 0 && m.Type != message.MsgTypeEvent {
		m.MsgID = c.NextMsgID()
	}
	return c.Post(c.XML(m))
}

// XML renders the message as WeChat's plaintext callback body.
func (c *Client) XML(m Message) []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	cdata(&b, "ToUserName", c.AppID)
	cdata(&b, "FromUserName", m.From)
	fmt.Fprintf(&b, "<CreateTime>%d</CreateTime>", m.CreateTime)
	cdata(&b, "MsgType", string(m.Type))
	switch m.Type {
	case message.MsgTypeText:
		cdata(&b, "Content", m.Content)
	case message.MsgTypeImage:
		cdata(&b, "PicUrl", "http://mmbiz.qpic.cn/sim/"+m.MediaID)
		cdata(&b, "MediaId", m.MediaID)
	case message.MsgTypeVoice:
		cdata(&b, "MediaId", m.MediaID)
		cdata(&b, "Format", "amr")
		if m.Recognition != "" {
			cdata(&b, "Recognition", m.Recognition)
		}
	case message.MsgTypeEvent:
		cdata(&b, "Event", string(m.Event))
		if m.EventKey != "" {
			cdata(&b, "EventKey", m.EventKey)
		}
	default:
		if m.MediaID != "" {
			cdata(&b, "MediaId", m.MediaID)
		}
	}
	if m.MsgID != 0 {
		fmt.Fprintf(&b, "<MsgId>%d</MsgId>", m.MsgID)
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

func cdata(b *bytes.Buffer, name, value string) {
	fmt.Fprintf(b, "<%s><![CDATA[%s]]></%s>", name, value, name)
}

// Post sends a plaintext callback body as WeChat would: signed, and encrypted when AESKey is set.
func (c *Client) Post(plain []byte) (*Reply, error) {
	ts := strconv.FormatInt(c.now().Unix(), 10)
	nonce := randomDigits()
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {util.Signature(c.Token, ts, nonce)}}
	body := plain
	if c.AESKey != "" {
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := util.EncryptMsg(random, plain, c.AppID, c.AESKey)
		if err != nil {
			return nil, fmt.Errorf("encrypt callback: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", util.Signature(c.Token, ts, nonce, string(enc)))
		var b bytes.Buffer
		b.WriteString("<xml>")
		cdata(&b, "ToUserName", c.AppID)
		cdata(&b, "Encrypt", string(enc))
		b.WriteString("</xml>")
		body = b.Bytes()
	}
	return c.PostRaw(c.URL+"?"+q.Encode(), body)
}

// PostRaw sends body to the exact URL given (for tests that forge or replay callbacks) and opens
// the answer.
func (c *Client) PostRaw(rawURL string, body []byte) (*Reply, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Post(rawURL, "text/xml", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("post callback: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	r := &Reply{Status: resp.StatusCode, Body: raw}
	if resp.StatusCode != http.StatusOK {
		return r, nil
	}
	if string(bytes.TrimSpace(raw)) == "success" {
		r.Success = true
		return r, nil
	}
	text, err := c.open(raw)
	if err != nil {
		return r, err
	}
	r.Text = text
	return r, nil
}

// open reads a passive text reply, checking its signature and decrypting it in safe mode.
func (c *Client) open(raw []byte) (string, error) {
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
		Content      string `xml:"Content"`
		MsgType      string `xml:"MsgType"`
	}
	if err := xml.Unmarshal(raw, &env); err != nil {
		return "", fmt.Errorf("answer is not XML: %w", err)
	}
	if env.Encrypt == "" {
		if env.MsgType != "text" || env.Content == "" {
			return "", fmt.Errorf("answer is not a non-empty text reply: %s", raw)
		}
		return env.Content, nil
	}
	if util.Signature(c.Token, env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
		return "", fmt.Errorf("encrypted answer has a bad MsgSignature")
	}
	_, plain, err := util.DecryptMsg(c.AppID, env.Encrypt, c.AESKey)
	if err != nil {
		return "", fmt.Errorf("decrypt answer: %w", err)
	}
	var msg message.Text
	if err := xml.Unmarshal(plain, &msg); err != nil || msg.Content == "" {
		return "", fmt.Errorf("decrypted answer is not a non-empty text reply")
	}
	return string(msg.Content), nil
}

func randomDigits() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])), 10)
}
