package bot

import (
	"encoding/xml"
	"testing"

	"github.com/silenceper/wechat/v2/officialaccount/message"
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
