package wechatapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
)

// APIError is an error answer from WeChat: a non-zero errcode.
type APIError struct {
	// Code is WeChat's errcode, e.g. 45015.
	Code int64
	// Msg is WeChat's errmsg, as sent.
	Msg string
	// API names the call that failed: "custom/send", "template/send" or "stable_token".
	API string
}

// Error describes the answer; it holds no openid, message text or access token.
func (e *APIError) Error() string {
	return fmt.Sprintf("wechat %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Class sorts a send error by what the caller should do about it.
type Class string

// The classes an error falls into. See [Classify].
const (
	// ClassOK means there was no error.
	ClassOK Class = "ok"
	// ClassOutOfWindow (45015): the customer's 48-hour window is closed; send a template message instead.
	ClassOutOfWindow Class = "out_of_window"
	// ClassTooMany (45047): too many customer-service messages since the customer's last message; send
	// a template message instead.
	ClassTooMany Class = "too_many"
	// ClassRefused (43004 unfollowed, 43019 blacklisted, 43101 refused): the customer cannot be
	// reached through the account; flag the case for a phone call.
	ClassRefused Class = "refused"
	// ClassToken (40001, 42001, 40014): the access token was rejected even after the built-in refresh
	// and retry.
	ClassToken Class = "token"
	// ClassQuota (45009): the account's daily API quota is used up; nothing gets through before it
	// resets.
	ClassQuota Class = "quota"
	// ClassBusy (-1 "system busy", network errors, timeouts, 5xx answers, token-store failures): a
	// transient failure; retry later.
	ClassBusy Class = "busy"
	// ClassInvalid is anything else: a request WeChat will never accept as it stands (40003 bad
	// openid, 40037 bad template id, a bad AppSecret, 4xx answers, bad arguments).
	ClassInvalid Class = "invalid"
)

// Retryable reports whether sending the same message again later may succeed. It is true for
// ClassBusy and for ClassToken: the built-in retry has already failed, but a token rejected twice in a
// row usually means another instance forced a refresh in between, which the next attempt picks up.
// ClassQuota is not retryable: the quota resets only the next day, so the caller should fall back
// (template message, phone call) rather than loop.
func (c Class) Retryable() bool {
	return c == ClassBusy || c == ClassToken
}

// Classify sorts err into a Class; nil is ClassOK.
func Classify(err error) Class {
	if err == nil {
		return ClassOK
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return classifyCode(apiErr.Code)
	}
	var statusErr *httpStatusError
	if errors.As(err, &statusErr) {
		if statusErr.Status >= 500 || statusErr.Status == 429 {
			return ClassBusy
		}
		return ClassInvalid
	}
	var argErr *argumentError
	if errors.As(err, &argErr) {
		return ClassInvalid
	}
	// Network errors, timeouts, cancellations, token-store failures and garbled answers.
	return ClassBusy
}

func classifyCode(code int64) Class {
	switch code {
	case 0:
		return ClassOK
	case 45015:
		return ClassOutOfWindow
	case 45047:
		return ClassTooMany
	case 43004, 43019, 43101:
		return ClassRefused
	case 40001, 42001, 40014:
		return ClassToken
	case 45009:
		return ClassQuota
	case -1:
		return ClassBusy
	default:
		return ClassInvalid
	}
}

// isTokenError reports whether err is a send API's answer that the access token is bad.
func isTokenError(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.API != apiStableToken && classifyCode(apiErr.Code) == ClassToken
}

// httpStatusError is a non-200 HTTP answer. It replaces the SDK's error, whose text holds the whole
// request URI and so the access token.
type httpStatusError struct {
	API    string
	Status int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("wechat %s: http status %d", e.API, e.Status)
}

// transportError is a failed HTTP round trip. It replaces *url.Error, whose text holds the request URI
// and so the access token; Unwrap keeps the cause (timeouts, context errors) for errors.Is/As.
type transportError struct {
	API string
	Err error
}

func (e *transportError) Error() string { return fmt.Sprintf("wechat %s: %v", e.API, e.Err) }
func (e *transportError) Unwrap() error { return e.Err }

// Timeout reports whether the round trip timed out.
func (e *transportError) Timeout() bool {
	var ne net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || (errors.As(e.Err, &ne) && ne.Timeout())
}

// argumentError is a bad argument to a send; nothing was sent.
type argumentError struct{ msg string }

func (e *argumentError) Error() string { return "wechatapi: " + e.msg }

var (
	// The SDK's Send methods report an errcode as fmt.Errorf text, not as *util.CommonError
	// (officialaccount/message/customer_message.go:178, template.go:78).
	sdkErrcodeRE = regexp.MustCompile(`(?s)errcode=(-?\d+) , errmsg=(.*)$`)
	// util.HTTPPost/PostJSON report a non-200 status as text that includes the full URI.
	sdkStatusRE = regexp.MustCompile(`statusCode=(\d+)\s*$`)
)

// convertSDKError turns an error from an SDK call into one of this package's errors, dropping
// anything that could hold the access token. Errors that are already ours pass through.
func convertSDKError(api string, err error) error {
	if err == nil {
		return nil
	}
	var (
		apiErr    *APIError
		statusErr *httpStatusError
		trErr     *transportError
		tokErr    *tokenError
		common    *util.CommonError
		uerr      *url.Error
		jsonErr   *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &apiErr), errors.As(err, &statusErr), errors.As(err, &trErr), errors.As(err, &tokErr):
		return err
	case errors.As(err, &common):
		return &APIError{Code: common.ErrCode, Msg: common.ErrMsg, API: api}
	case errors.As(err, &uerr):
		return &transportError{API: api, Err: uerr.Err}
	case errors.As(err, &jsonErr), errors.As(err, &typeErr):
		return fmt.Errorf("wechat %s: unreadable answer: %w", api, err)
	}
	msg := err.Error()
	if m := sdkErrcodeRE.FindStringSubmatch(msg); m != nil {
		code, perr := strconv.ParseInt(m[1], 10, 64)
		if perr == nil {
			return &APIError{Code: code, Msg: m[2], API: api}
		}
	}
	if m := sdkStatusRE.FindStringSubmatch(msg); m != nil {
		status, _ := strconv.Atoi(m[1])
		return &httpStatusError{API: api, Status: status}
	}
	// Unknown: do not echo text that might hold a URI.
	return fmt.Errorf("wechat %s: unexpected SDK error (%T)", api, err)
}
