package wechatapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	// empty means the real API. (It is also installed process-wide for the SDK: see the package documentation.)
	APIBase string
	// Timeout bounds each HTTP request, body included; zero means DefaultTimeout, and it may not exceed
	// one minute.
	Timeout time.Duration
}

// Client sends customer-service and template messages as one Official Account. It is safe for
// concurrent use.
type Client struct {
	appID, appSecret string
	apiBase          string // never empty
	store            TokenStore
	clock            complaintbot.Clock
	timeout          time.Duration
	hc               *http.Client // for the token endpoint and the sends

	refreshMu sync.Mutex // serializes token loads and fetches
	cached    atomic.Pointer[cachedToken]
}

// New returns a Client for cfg that keeps its access token in store and reads time from clock. It
// also installs the SDK's process-global HTTP client and URI modifier (see the package
// documentation), for any other use of the SDK's HTTP helpers in the process.
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
		timeout:   cfg.Timeout,
		hc:        &http.Client{Timeout: cfg.Timeout},
	}
	if c.apiBase == "" {
		c.apiBase = defaultAPIBase
	}
	return c, nil
}

// API names used in errors, and their paths.
const (
	apiCustomSend     = "custom/send"
	apiTemplateSend   = "template/send"
	pathCustomSend    = "/cgi-bin/message/custom/send"
	pathTemplateSend  = "/cgi-bin/message/template/send"
	apiSubscribeSend  = "subscribe/bizsend"
	pathSubscribeSend = "/cgi-bin/message/subscribe/bizsend"
)

// SendText sends text to openID as a customer-service message. It works only within 48 hours of the
// customer's last message and for a few messages per customer message; see [Classify].
//
// ctx bounds the whole call; each HTTP request is also bounded by Config.Timeout. A request that
// went out but got no complete answer (a timeout, a dropped connection, ctx ending meanwhile)
// fails with an error of [ClassUnknown]: WeChat may have delivered the message.
func (c *Client) SendText(ctx context.Context, openID, text string) error {
	if err := checkOpenID(openID); err != nil {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	if text == "" {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), &argumentError{"empty text"})
	}
	body, err := encodeJSON(message.NewCustomerTextMessage(openID, text))
	if err != nil {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	_, err = c.withToken(ctx, apiCustomSend, pathCustomSend, body)
	if err != nil {
		return fmt.Errorf("send text to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	return nil
}

// SendTemplate sends the template message templateID to openID, filling its fields from data and
// linking to url (may be empty). It returns WeChat's msgid. Context and errors are as for SendText.
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
	body, err := encodeJSON(msg)
	if err != nil {
		return 0, fmt.Errorf("send template %s to %s: %w", templateID, complaintbot.MaskOpenID(openID), err)
	}
	ans, err := c.withToken(ctx, apiTemplateSend, pathTemplateSend, body)
	if err != nil {
		return 0, fmt.Errorf("send template %s to %s: %w", templateID, complaintbot.MaskOpenID(openID), err)
	}
	return ans.MsgID, nil
}

// SendSubscribe sends the subscribe message (订阅通知) templateID to openID, filling its fields
// (thing1, character_string2, time3 …) from data and opening page (may be empty) when tapped. It
// reaches only a customer who agreed to receive that template; WeChat answers 43101 otherwise
// ([ClassRefused]). Context and errors are as for SendText.
func (c *Client) SendSubscribe(ctx context.Context, openID, templateID, page string, data map[string]string) error {
	if err := checkOpenID(openID); err != nil {
		return fmt.Errorf("send subscribe message to %s: %w", complaintbot.MaskOpenID(openID), err)
	}
	if templateID == "" {
		return fmt.Errorf("send subscribe message to %s: %w", complaintbot.MaskOpenID(openID), &argumentError{"empty template id"})
	}
	type value struct {
		Value string `json:"value"`
	}
	msg := struct {
		ToUser     string           `json:"touser"`
		TemplateID string           `json:"template_id"`
		Page       string           `json:"page,omitempty"`
		Data       map[string]value `json:"data"`
	}{ToUser: openID, TemplateID: templateID, Page: page, Data: make(map[string]value, len(data))}
	for k, v := range data {
		msg.Data[k] = value{v}
	}
	body, err := encodeJSON(msg)
	if err != nil {
		return fmt.Errorf("send subscribe message %s to %s: %w", templateID, complaintbot.MaskOpenID(openID), err)
	}
	if _, err := c.withToken(ctx, apiSubscribeSend, pathSubscribeSend, body); err != nil {
		return fmt.Errorf("send subscribe message %s to %s: %w", templateID, complaintbot.MaskOpenID(openID), err)
	}
	return nil
}

// withToken posts body to the send API at path with a usable token and, when WeChat rejects the
// token, renews it and posts once more.
func (c *Client) withToken(ctx context.Context, api, path string, body []byte) (sendAnswer, error) {
	if err := ctx.Err(); err != nil {
		return sendAnswer{}, err
	}
	// Remember which token is used, so that only that one is dropped if WeChat rejects it.
	tok, err := c.token(ctx)
	if err != nil {
		return sendAnswer{}, err
	}
	ans, err := c.post(ctx, api, path, tok, body)
	if !isTokenError(err) {
		return ans, err
	}
	tok, rerr := c.renew(ctx, tok)
	if rerr != nil {
		// rerr first, so that Classify sees why the renewal failed (e.g. a bad AppSecret).
		return sendAnswer{}, fmt.Errorf("renew rejected token: %w (send: %w)", rerr, err)
	}
	if err := ctx.Err(); err != nil {
		return sendAnswer{}, err
	}
	return c.post(ctx, api, path, tok, body)
}

// sendAnswer is a send API's JSON answer.
type sendAnswer struct {
	ErrCode int64  `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid"`
}

// post makes one request to a send API. Errors hold no token, openid or text. Whether the request
// went out is known from the HTTP trace: an error before it was written is a transportError
// (nothing was sent: [ClassBusy]); once it was written, anything short of a complete answer is an
// unknownOutcomeError ([ClassUnknown]). An HTTP error status is an answer (httpStatusError).
func (c *Client) post(ctx context.Context, api, path, token string, body []byte) (sendAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost,
		c.apiBase+path+"?access_token="+url.QueryEscape(token), bytes.NewReader(body))
	if err != nil {
		return sendAnswer{}, &argumentError{"bad request: " + api}
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text holds the URI and so the token
		}
		if wrote.Load() {
			return sendAnswer{}, &unknownOutcomeError{API: api, Err: err}
		}
		return sendAnswer{}, &transportError{API: api, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sendAnswer{}, &httpStatusError{API: api, Status: resp.StatusCode}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sendAnswer{}, &unknownOutcomeError{API: api, Err: err}
	}
	var ans sendAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return sendAnswer{}, &unknownOutcomeError{API: api, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	if ans.ErrCode != 0 {
		return ans, &APIError{Code: ans.ErrCode, Msg: ans.ErrMsg, API: api}
	}
	return ans, nil
}

// encodeJSON encodes v as the SDK does: without escaping <, > and & (message text stays as typed).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &argumentError{"cannot encode the message"}
	}
	return b.Bytes(), nil
}

func checkOpenID(openID string) error {
	if openID == "" {
		return &argumentError{"empty openid"}
	}
	return nil
}
