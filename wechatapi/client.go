package wechatapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/complaintbot/complaintbot"
)

// DefaultTimeout bounds each HTTP request to WeChat when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Config says which Official Account to send as and where WeChat is.
type Config struct {
	// AppID and AppSecret identify the Official Account.
	AppID, AppSecret string
	// APIBase replaces "https://api.weixin.qq.com" (e.g. a fakewechat server in sandbox mode or tests);
	// empty means the real API. It is process-global: see the package documentation.
	APIBase string
	// Timeout bounds each HTTP request, body included; zero means DefaultTimeout, and it may not exceed
	// one minute. The SDK's send requests share one process-global timeout: the last New sets it.
	Timeout time.Duration
}

// Client sends customer-service and template messages as one Official Account. It is safe for
// concurrent use.
type Client struct {
	appID, appSecret string
	apiBase          string // token endpoint base, never empty
	store            TokenStore
	clock            complaintbot.Clock
	hc               *http.Client // for the token endpoint

	custom   *message.Manager
	template *message.Template

	refreshMu sync.Mutex // serializes token loads and fetches
	cached    atomic.Pointer[cachedToken]
}

// New returns a Client for cfg that keeps its access token in store and reads time from clock. It
// installs the SDK's process-global HTTP client and URI modifier (see the package documentation).
func New(cfg Config, store TokenStore, clock complaintbot.Clock) (*Client, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("wechatapi: AppID and AppSecret are required")
	}
	if store == nil || clock == nil {
		return nil, errors.New("wechatapi: a TokenStore and a Clock are required")
	}
	if cfg.Timeout < 0 || cfg.Timeout > maxTimeout {
		return nil, fmt.Errorf("wechatapi: Timeout %v is outside (0, %v]", cfg.Timeout, maxTimeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	base := strings.TrimRight(cfg.APIBase, "/")
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("wechatapi: APIBase %q is not an http(s) URL", cfg.APIBase)
		}
	}
	installGlobals(base, cfg.Timeout)

	c := &Client{
		appID:     cfg.AppID,
		appSecret: cfg.AppSecret,
		apiBase:   base,
		store:     store,
		clock:     clock,
		hc:        &http.Client{Timeout: cfg.Timeout},
	}
	if c.apiBase == "" {
		c.apiBase = defaultAPIBase
	}
	// The SDK's constructor panics without a cache, though our token handle never uses it.
	oa := officialaccount.NewOfficialAccount(&config.Config{
		AppID: cfg.AppID, AppSecret: cfg.AppSecret, Cache: cache.NewMemory(),
	})
	oa.SetAccessTokenHandle(tokenHandle{c})
	// Built once here: the SDK's lazy getters are not safe for concurrent use.
	c.custom = oa.GetCustomerMessageManager()
	c.template = oa.GetTemplate()
	return c, nil
}

// API names used in errors.
const (
	apiCustomSend   = "custom/send"
	apiTemplateSend = "template/send"
)

// SendText sends text to openID as a customer-service message. It works only within 48 hours of the
// customer's last message and for a few messages per customer message; see [Classify].
//
// ctx bounds getting the access token; the SDK's send itself takes no context and is bounded by
// Config.Timeout.
func (c *Client) SendText(ctx context.Context, openID, text string) error {
	if err := checkOpenID(openID); err != nil {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	if text == "" {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), &argumentError{"empty text"})
	}
	msg := message.NewCustomerTextMessage(openID, text)
	err := c.withToken(ctx, apiCustomSend, func() error { return c.custom.Send(msg) })
	if err != nil {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	return nil
}

// SendTemplate sends the template message templateID to openID, filling its fields from data and
// linking to url (may be empty). It returns WeChat's msgid. Context handling is as for SendText.
func (c *Client) SendTemplate(ctx context.Context, openID, templateID, url string, data map[string]string) (msgID int64, err error) {
	if err := checkOpenID(openID); err != nil {
		return 0, fmt.Errorf("send template to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	if templateID == "" {
		return 0, fmt.Errorf("send template to %s: %w", complaintbot.MaskOpenID(openID), &argumentError{"empty template id"})
	}
	msg := &message.TemplateMessage{
		ToUser:     openID,
		TemplateID: templateID,
		URL:        url,
		Data:       make(map[string]*message.TemplateDataItem, len(data)),
	}
	for k, v := range data {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	err = c.withToken(ctx, apiTemplateSend, func() error {
		var sendErr error
		msgID, sendErr = c.template.Send(msg)
		return sendErr
	})
	if err != nil {
		return 0, fmt.Errorf("send template %s to %s: %w", templateID, complaintbot.MaskOpenID(openID), err)
	}
	return msgID, nil
}

// withToken runs send with a usable token and, when WeChat rejects the token, renews it and runs send
// once more.
func (c *Client) withToken(ctx context.Context, api string, send func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Make sure a token is in memory (honouring ctx) before the SDK asks for it without a context;
	// remember which one, so that only that one is dropped if WeChat rejects it.
	tok, err := c.token(ctx)
	if err != nil {
		return err
	}
	err = convertSDKError(api, send())
	if !isTokenError(err) {
		return err
	}
	if _, rerr := c.renew(ctx, tok); rerr != nil {
		// rerr first, so that Classify sees why the renewal failed (e.g. a bad AppSecret).
		return fmt.Errorf("renew rejected token: %w (send: %w)", rerr, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return convertSDKError(api, send())
}

func checkOpenID(openID string) error {
	if openID == "" {
		return &argumentError{"empty openid"}
	}
	return nil
}
