package bot

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// The hand-written text reply says exactly what the SDK's reply struct says through xml.Marshal,
// also for text that contains the CDATA terminator, markup, newlines and Chinese.
func TestTextReplyReadsLikeTheSDKs(t *testing.T) {
	for _, content := range []string{
		"您好，欢迎来到本行客户服务！\n1 投诉\n2 建议",
		"a]]>b]]>]]>c",
		"<b>&amp;</b> ]] > ]]",
		"]]>",
		"",
	} {
		sdk := message.NewText(content)
		sdk.SetMsgType(message.MsgTypeText)
		sdk.SetToUserName("oCustomer")
		sdk.SetFromUserName("gh_account")
		sdk.SetCreateTime(1700000000)
		want, err := xml.Marshal(sdk)
		if err != nil {
			t.Fatal(err)
		}
		got := renderText("oCustomer", "gh_account", 1700000000, content)
		var a, b message.MixMessage
		if err := xml.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(got, &b); err != nil {
			t.Fatalf("%q: rendered reply is not XML: %v\n%s", content, err, got)
		}
		if a.Content != content || b.Content != a.Content || b.ToUserName != a.ToUserName || b.FromUserName != a.FromUserName ||
			b.CreateTime != a.CreateTime || b.MsgType != a.MsgType {
			t.Errorf("%q:\n got %s\nwant %s", content, got, want)
		}
	}
}

// tickingClock moves one second on at every reading.
type tickingClock struct{ t time.Time }

func (c *tickingClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

// An encrypted reply's signature covers the timestamp its envelope carries, even when the clock
// passes a second while the reply is sealed (WeChat refuses the reply otherwise).
func TestSealedReplySignsItsOwnTimestamp(t *testing.T) {
	w := &wire{cfg: WireConfig{AppID: "wx1234567890abcdef", Token: "tok"}, clock: &tickingClock{t: time.Unix(1796217468, 0)}}
	key := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	out, err := w.seal(&callback{encrypted: true, key: key}, []byte("<xml><Content>hi</Content></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(out, &env); err != nil {
		t.Fatal(err)
	}
	if env.TimeStamp == "" || util.Signature("tok", env.TimeStamp, env.Nonce, env.Encrypt) != env.MsgSignature {
		t.Fatalf("the signature does not cover the envelope's timestamp %q: %s", env.TimeStamp, out)
	}
}
