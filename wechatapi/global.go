package wechatapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// defaultAPIBase is the prefix of every URI the SDK builds.
const defaultAPIBase = "https://api.weixin.qq.com"

// maxTimeout is the hard ceiling of the SDK's HTTP client; Config.Timeout may not exceed it.
const maxTimeout = time.Minute

// The SDK's globals are installed once; what they read can change with every New.
var (
	installOnce   sync.Once
	globalBase    atomic.Pointer[string] // "" means no rewrite
	globalTimeout atomic.Int64           // time.Duration
)

// installGlobals points the SDK's package globals at this package's HTTP client and URI modifier
// (once per process) and sets the API base and timeout they use (every time: the last call wins).
func installGlobals(apiBase string, timeout time.Duration) {
	globalBase.Store(&apiBase)
	globalTimeout.Store(int64(timeout))
	installOnce.Do(func() {
		// A new client: never mutate http.DefaultClient, which the SDK's global starts out as.
		util.DefaultHTTPClient = &http.Client{
			Transport: &timeoutTransport{next: http.DefaultTransport},
			Timeout:   maxTimeout,
		}
		util.SetURIModifier(rewriteURI)
	})
}

// rewriteURI sends the SDK's requests to the configured API base.
func rewriteURI(uri string) string {
	base := globalBase.Load()
	if base == nil || *base == "" {
		return uri
	}
	if rest, ok := strings.CutPrefix(uri, defaultAPIBase); ok {
		return *base + rest
	}
	return uri
}

// timeoutTransport bounds every round trip, body included, by the current global timeout.
// (http.Client.Timeout cannot be changed safely once the client is in use.)
type timeoutTransport struct {
	next http.RoundTripper
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := time.Duration(globalTimeout.Load())
	if d <= 0 {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), d)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases the round trip's timeout when the body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
