// Package wechatapi is the one place that sends customer-service (客服) and template messages to
// WeChat Official Account users.
//
// The access token lives in a shared [TokenStore] so that several instances use one token; it is
// fetched from the stable_token endpoint when missing or expired, and a send answered with an
// invalid-token error (40001, 42001, 40014) refreshes it and is retried once.
//
// The sends themselves are made with this package's own HTTP client, in the SDK's
// (silenceper/wechat) message format: the SDK's Send methods take no context and do not say
// whether a failed request reached WeChat. Here every request honours the caller's context, is
// bounded by Config.Timeout, and is traced: a request that failed before it was written sent
// nothing ([ClassBusy], safe to retry), while one that was written and got no complete answer (a
// timeout, a dropped connection) has an unknown outcome ([ClassUnknown]): WeChat may have
// delivered it, and its send APIs cannot be asked.
//
// # Process-global settings
//
// For any other use of the SDK's HTTP helpers in the process, the first call to [New] also
// replaces the SDK's package globals (safely, once): util.DefaultHTTPClient with a client that
// has a timeout, and the URI modifier with one that points "https://api.weixin.qq.com" at
// Config.APIBase. Every later New updates the API base and timeout they use: the last New wins.
// The Client's own requests do not depend on them.
//
// # Errors
//
// An answer from WeChat with a non-zero errcode comes back as an [*APIError]; [Classify] sorts any error
// into a [Class] that tells the caller what to do next (fall back to a template message, flag the case
// for a phone call, retry later, give up, or decide about an unknown outcome). Errors never carry a
// full openid, a message text or an access token: openids are masked with [complaintbot.MaskOpenID].
package wechatapi
