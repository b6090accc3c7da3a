package wechatapi

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	// ClassBusy (-1 "system busy", network errors and timeouts before the request went out, 5xx
	// answers, token-store failures): a transient failure, nothing was sent; retry later.
	ClassBusy Class = "busy"
	// ClassUnknown: the request went out but no complete answer came back (a timeout, a dropped
	// connection, the caller's context ending, a garbled answer). WeChat may have delivered the
	// message: sending it again may show the customer a duplicate, and WeChat cannot be asked.
	ClassUnknown Class = "unknown"
	// ClassInvalid is anything else: a request WeChat will never accept as it stands (40003 bad
	// openid, 40037 bad template id, a bad AppSecret, 4xx answers, bad arguments).
	ClassInvalid Class = "invalid"
)

// Retryable reports whether sending the same message again later may succeed. It is true for
// ClassBusy and for ClassToken: the built-in retry has already failed, but a token rejected twice in a
// row usually means another instance forced a refresh in between, which the next attempt picks up.
// ClassQuota is not retryable: the quota resets only the next day, so the caller should fall back
// (template message, phone call) rather than loop. ClassUnknown is not: the message may have
// arrived, and whether to risk a duplicate is the caller's decision.
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
	var unknown *unknownOutcomeError
	if errors.As(err, &unknown) {
		return ClassUnknown
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

// unknownOutcomeError is a send whose request went out (fully written) without a complete answer
// coming back: WeChat may or may not have the message. Unwrap keeps the cause.
type unknownOutcomeError struct {
	API string
	Err error
}

func (e *unknownOutcomeError) Error() string {
	return fmt.Sprintf("wechat %s: sent, but no answer (it may have been delivered): %v", e.API, e.Err)
}
func (e *unknownOutcomeError) Unwrap() error { return e.Err }

// argumentError is a bad argument to a send; nothing was sent.
type argumentError struct{ msg string }

func (e *argumentError) Error() string { return "wechatapi: " + e.msg }
