// Package wechatapi is the one place that sends customer-service (客服) and template messages to
// WeChat Official Account users.
//
// It drives the silenceper/wechat SDK (package officialaccount, never the root wechat package, which
// turns logrus to Debug and logs whole message XML) with its own access-token handle: the token lives in
// a shared [TokenStore] so that several instances use one token, it is fetched from the stable_token
// endpoint when missing or expired, and a send answered with an invalid-token error (40001, 42001,
// 40014) refreshes it and is retried once.
//
// # Process-global settings
//
// The SDK sends every request through two package globals, util.DefaultHTTPClient and the URI modifier
// set by util.SetURIModifier. The first call to [New] replaces them (safely, once) with an HTTP client of
// its own and a modifier that points "https://api.weixin.qq.com" at Config.APIBase. Every later New
// updates the API base and the request timeout they use, so one process talks to one API base with one
// timeout: the last New wins. Call New before starting anything else that uses the SDK's HTTP helpers.
//
// # Errors
//
// An answer from WeChat with a non-zero errcode comes back as an [*APIError]; [Classify] sorts any error
// into a [Class] that tells the caller what to do next (fall back to a template message, flag the case
// for a phone call, retry later, give up). Errors never carry a full openid, a message text or an
// access token: openids are masked with [complaintbot.MaskOpenID].
package wechatapi
