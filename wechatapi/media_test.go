package wechatapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/complaintbot/complaintbot"
	"github.com/complaintbot/complaintbot/wechatapi"
	"github.com/complaintbot/complaintbot/wechatapi/fakewechat"
)

// GetMedia returns the file WeChat serves, says 40007 for an id WeChat does not keep, and renews
// a token WeChat rejects.
func TestGetMedia(t *testing.T) {
	clock := complaintbot.NewManualClock(complaintbot.SystemClock{}.Now())
	fake := fakewechat.New("wxMedia", "secret")
	fake.SetClock(clock)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, err := wechatapi.New(wechatapi.Config{AppID: "wxMedia", AppSecret: "secret", APIBase: srv.URL}, &wechatapi.MemoryTokenStore{}, clock)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := fake.AddImage("MEDIA_1")
	ctype, data, err := c.GetMedia(ctx, "MEDIA_1")
	if err != nil || ctype != "image/png" || !bytes.Equal(data, want) {
		t.Fatalf("GetMedia = %q, %d bytes, %v; want the PNG", ctype, len(data), err)
	}

	fake.FailNext(fakewechat.PathMediaGet, 40001, 1) // the token was replaced elsewhere
	if _, data, err := c.GetMedia(ctx, "MEDIA_1"); err != nil || !bytes.Equal(data, want) {
		t.Fatalf("GetMedia after a rejected token: %d bytes, %v", len(data), err)
	}

	_, _, err = c.GetMedia(ctx, "MEDIA_unknown")
	var apiErr *wechatapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != wechatapi.CodeInvalidMediaID {
		t.Fatalf("unknown media id: %v, want errcode 40007", err)
	}

	clock.Advance(fakewechat.MediaLifetime)
	if _, _, err := c.GetMedia(ctx, "MEDIA_1"); !errors.As(err, &apiErr) || apiErr.Code != wechatapi.CodeInvalidMediaID {
		t.Fatalf("media id after 3 days: %v, want errcode 40007", err)
	}
}
