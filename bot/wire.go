package bot

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/complaintbot/complaintbot"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// WireConfig is what the webhook needs to check and open WeChat's callbacks.
type WireConfig struct {
	AppID  string
	Token  string
	AESKey string
	// PreviousAESKey keeps messages encrypted with the old key readable during a key change.
	PreviousAESKey string
	MaxClockSkew   time.Duration
}

// Errors of the wire layer; each maps to an HTTP status.
var (
	errBadSignature = errors.New("bad signature")
	errStale        = errors.New("timestamp outside the allowed clock skew")
	errMalformed    = errors.New("malformed message")
	errNoKey        = errors.New("encrypted message but no encoding_aes_key configured")
)

// callback is a checked, opened WeChat callback.
type callback struct {
	msg       message.MixMessage
	encrypted bool
	// key is the EncodingAESKey that opened the message; the reply is sealed with the same one.
	key string
}

// envelope holds both the plaintext fields and, in compatible or safe mode, the encrypted payload.
type envelope struct {
	message.MixMessage
	Encrypt string `xml:"Encrypt"`
}

type wire struct {
	cfg   WireConfig
	clock complaintbot.Clock
}

// checkTimestamp refuses a callback whose timestamp is too far from our clock (replay
// protection: a signature is good only that long; see replayGuard for the rest) and returns it
// in Unix seconds.
func (w *wire) checkTimestamp(ts string) (int64, error) {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, errStale
	}
	d := w.clock.Now().Sub(time.Unix(sec, 0))
	if d < 0 {
		d = -d
	}
	if d > w.cfg.MaxClockSkew {
		return 0, errStale
	}
	return sec, nil
}

func equalSig(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(a)), []byte(b)) == 1
}

// checkURL answers WeChat's URL check (GET with echostr).
func (w *wire) checkURL(signature, timestamp, nonce string) error {
	if !equalSig(signature, util.Signature(w.cfg.Token, timestamp, nonce)) {
		return errBadSignature
	}
	return nil
}

// open verifies and, when encrypted, decrypts a POSTed callback.
func (w *wire) open(body []byte, q query) (*callback, error) {
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if q.signature != "" && !equalSig(q.signature, util.Signature(w.cfg.Token, q.timestamp, q.nonce)) {
		return nil, errBadSignature
	}
	if env.Encrypt == "" {
		if q.signature == "" {
			return nil, errBadSignature
		}
		if q.msgSignature != "" {
			// WeChat signs the encrypted body when it sends one (compatible and safe mode): a
			// plaintext body under such a URL is a captured signature with the Encrypt taken out.
			return nil, fmt.Errorf("%w: msg_signature without an encrypted body", errBadSignature)
		}
		if env.FromUserName == "" {
			return nil, fmt.Errorf("%w: no FromUserName", errMalformed)
		}
		return &callback{msg: env.MixMessage}, nil
	}
	if !equalSig(q.msgSignature, util.Signature(w.cfg.Token, q.timestamp, q.nonce, env.Encrypt)) {
		return nil, errBadSignature
	}
	plain, key, err := w.decrypt(env.Encrypt)
	if err != nil {
		return nil, err
	}
	var msg message.MixMessage
	if err := xml.Unmarshal(plain, &msg); err != nil || msg.FromUserName == "" {
		return nil, fmt.Errorf("%w: decrypted payload is not a message", errMalformed)
	}
	return &callback{msg: msg, encrypted: true, key: key}, nil
}

// decrypt opens the payload with the current key, or during a key change the previous one, and
// returns the plaintext and the key that opened it.
func (w *wire) decrypt(encrypted string) ([]byte, string, error) {
	if w.cfg.AESKey == "" {
		return nil, "", errNoKey
	}
	var err error
	for _, key := range []string{w.cfg.AESKey, w.cfg.PreviousAESKey} {
		if key == "" {
			continue
		}
		var plain []byte
		if _, plain, err = util.DecryptMsg(w.cfg.AppID, encrypted, key); err == nil {
			return plain, key, nil
		}
	}
	// A payload that does not open with our key and AppID is as untrustworthy as a bad signature.
	return nil, "", fmt.Errorf("%w: %v", errBadSignature, err)
}

// passiveReply is a reply message of the SDK (text, transfer_customer_service, ...).
type passiveReply interface {
	SetToUserName(message.CDATA)
	SetFromUserName(message.CDATA)
	SetCreateTime(int64)
	SetMsgType(message.MsgType)
}

// textReply renders a passive text reply to the callback, encrypted when the callback was. Every
// answered message needs one, so it is written directly rather than through reflection (the
// SDK's struct and xml.Marshal cost several kilobytes of garbage per reply).
func (w *wire) textReply(cb *callback, text string) ([]byte, error) {
	return w.seal(cb, renderText(string(cb.msg.FromUserName), string(cb.msg.ToUserName), w.clock.Now().Unix(), text))
}

// renderText writes WeChat's passive text reply, as xml.Marshal of the SDK's message.Text would.
func renderText(to, from string, created int64, content string) []byte {
	b := make([]byte, 0, 160+len(to)+len(from)+len(content))
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, to)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, from)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"...)
	b = appendCDATA(b, content)
	return append(b, "</Content></xml>"...)
}

// appendCDATA appends s as a CDATA section; a "]]>" inside s is split across two sections, as
// encoding/xml does.
func appendCDATA(b []byte, s string) []byte {
	b = append(b, "<![CDATA["...)
	for {
		i := strings.Index(s, "]]>")
		if i < 0 {
			break
		}
		b = append(b, s[:i+2]...)
		b = append(b, "]]><![CDATA["...)
		s = s[i+2:]
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}

// reply renders a passive reply to the callback, encrypted when the callback was.
func (w *wire) reply(cb *callback, reply passiveReply) ([]byte, error) {
	reply.SetToUserName(cb.msg.FromUserName)
	reply.SetFromUserName(cb.msg.ToUserName)
	reply.SetCreateTime(w.clock.Now().Unix())
	raw, err := xml.Marshal(reply)
	if err != nil {
		return nil, fmt.Errorf("render reply: %w", err)
	}
	return w.seal(cb, raw)
}

// seal returns the rendered reply as it goes on the wire: as it is, or encrypted and signed when
// the callback was encrypted.
func (w *wire) seal(cb *callback, raw []byte) ([]byte, error) {
	if !cb.encrypted {
		return raw, nil
	}
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	enc, err := util.EncryptMsg(random, raw, w.cfg.AppID, cb.key)
	if err != nil {
		return nil, fmt.Errorf("encrypt reply: %w", err)
	}
	// One reading of the clock for the signature and the envelope: read twice, a second boundary
	// between them made a signature WeChat refuses (the soak caught one in 30 customers).
	now := w.clock.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	nonce := strconv.FormatInt(int64(random[0])<<24|int64(random[1])<<16|int64(random[2])<<8|int64(random[3]), 10)
	out, err := xml.Marshal(message.ResponseEncryptedXMLMsg{
		EncryptedMsg: string(enc),
		MsgSignature: util.Signature(w.cfg.Token, ts, nonce, string(enc)),
		Timestamp:    now,
		Nonce:        nonce,
	})
	if err != nil {
		return nil, fmt.Errorf("render encrypted reply: %w", err)
	}
	return out, nil
}

// query holds the signature parameters of a callback URL.
type query struct {
	signature, msgSignature, timestamp, nonce string
}

// dedupeKey identifies a WeChat message across retries: its MsgId, or for events (which carry
// none) the sender and creation time.
func dedupeKey(m *message.MixMessage) string {
	if m.MsgID != 0 {
		return "m:" + strconv.FormatInt(m.MsgID, 10)
	}
	return fmt.Sprintf("e:%s:%d:%s", m.FromUserName, m.CreateTime, m.Event)
}

// toInput turns a WeChat message into the conversation engine's input.
func toInput(m *message.MixMessage, at time.Time) complaintbot.Input {
	in := complaintbot.Input{At: at}
	switch m.MsgType {
	case message.MsgTypeText:
		in.Type, in.Text = complaintbot.InputText, m.Content
	case message.MsgTypeImage:
		in.Type, in.MediaID = complaintbot.InputImage, m.MediaID
	case message.MsgTypeVoice:
		in.Type, in.MediaID, in.Text = complaintbot.InputVoice, m.MediaID, strings.TrimRight(m.Recognition, "。")
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		in.Type, in.MediaID = complaintbot.InputVideo, m.MediaID
	case message.MsgTypeLocation:
		in.Type, in.Text = complaintbot.InputLocation, m.Label
	case message.MsgTypeLink:
		in.Type, in.Text = complaintbot.InputLink, m.Title
	case message.MsgTypeEvent:
		switch m.Event {
		case message.EventSubscribe:
			in.Type = complaintbot.InputSubscribe
		case message.EventUnsubscribe:
			in.Type = complaintbot.InputUnsubscribe
		case message.EventClick:
			in.Type, in.Text = complaintbot.InputMenu, m.EventKey
		default:
			in.Type, in.Text = complaintbot.InputOther, string(m.Event)
		}
	default:
		in.Type, in.Text = complaintbot.InputOther, string(m.MsgType)
	}
	return in
}
