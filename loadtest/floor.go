package loadtest

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/complaintbot/complaintbot/storage"
	"github.com/complaintbot/complaintbot/storage/seed"
	"github.com/gin-gonic/gin"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// Floor is the least a WeChat webhook can do: the SDK's own server in Gin, storing each message
// with one insert into the store and answering with a fixed text (give it the text the service
// answers with, so that both put the same bytes on the wire). Our webhook is measured against it.
type Floor struct {
	URL string
	srv *http.Server
}

// StartFloor serves the floor on addr ("127.0.0.1:0" picks a free port).
func StartFloor(st *storage.Store, addr, appID, token, reply string) (*Floor, error) {
	oa := officialaccount.NewOfficialAccount(&offconfig.Config{AppID: appID, AppSecret: "floor", Token: token, Cache: cache.NewMemory()})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/wechat", func(c *gin.Context) {
		s := oa.GetServer(c.Request, c.Writer)
		s.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = seed.InsertFloorMessage(ctx, st, seed.FloorMessage{OpenID: string(m.FromUserName), MsgID: m.MsgID, Text: m.Content, At: m.CreateTime})
			return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(reply)}
		})
		if err := s.Serve(); err != nil {
			c.String(http.StatusForbidden, "forbidden")
			return
		}
		_ = s.Send()
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &Floor{URL: "http://" + ln.Addr().String() + "/wechat", srv: &http.Server{Handler: r}}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// Close stops the floor's server.
func (f *Floor) Close() error { return f.srv.Close() }
