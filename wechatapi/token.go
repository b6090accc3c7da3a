package wechatapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// TokenStore keeps the access token shared by all instances of the service (implemented over MongoDB
// elsewhere). Fetching a new token can invalidate the old one, so every instance must read the same one.
type TokenStore interface {
	// LoadToken returns the stored token for appID and when it stops being usable; token is "" when
	// none is stored.
	LoadToken(ctx context.Context, appID string) (token string, expires time.Time, err error)
	// SaveToken stores token for appID, replacing any other.
	SaveToken(ctx context.Context, appID, token string, expires time.Time) error
	// DropToken removes the stored token only if it still equals token.
	DropToken(ctx context.Context, appID, token string) error
}

// MemoryTokenStore is a TokenStore in memory, for tests and single-process use. The zero value is
// ready to use; it is safe for concurrent use.
type MemoryTokenStore struct {
	mu     sync.Mutex
	tokens map[string]storedToken
}

type storedToken struct {
	token   string
	expires time.Time
}

var _ TokenStore = (*MemoryTokenStore)(nil)

// LoadToken returns the token stored for appID, or "" when there is none.
func (s *MemoryTokenStore) LoadToken(_ context.Context, appID string) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[appID]
	return t.token, t.expires, nil
}

// SaveToken stores token for appID.
func (s *MemoryTokenStore) SaveToken(_ context.Context, appID, token string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = make(map[string]storedToken)
	}
	s.tokens[appID] = storedToken{token: token, expires: expires}
	return nil
}

// DropToken removes the token stored for appID if it still equals token.
func (s *MemoryTokenStore) DropToken(_ context.Context, appID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[appID]; ok && t.token == token {
		delete(s.tokens, appID)
	}
	return nil
}

// apiStableToken names the token endpoint in errors.
const apiStableToken = "stable_token"

// tokenSafetyMargin is taken off WeChat's expires_in so a token is never used in its last minutes.
const tokenSafetyMargin = 5 * time.Minute

// tokenError is a failure to obtain an access token (token store or token endpoint).
type tokenError struct{ Err error }

func (e *tokenError) Error() string { return "access token: " + e.Err.Error() }
func (e *tokenError) Unwrap() error { return e.Err }

// cachedToken is the token this Client last used, kept in memory until it expires.
type cachedToken struct {
	token   string
	expires time.Time
}

// token returns a usable access token: the one in memory, else the stored one, else a new one.
func (c *Client) token(ctx context.Context) (string, error) {
	if t := c.cached.Load(); t != nil && c.clock.Now().Before(t.expires) {
		return t.token, nil
	}
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if t := c.cached.Load(); t != nil && c.clock.Now().Before(t.expires) {
		return t.token, nil
	}
	tok, exp, err := c.store.LoadToken(ctx, c.appID)
	if err != nil {
		return "", &tokenError{fmt.Errorf("load: %w", err)}
	}
	if tok != "" && c.clock.Now().Before(exp) {
		c.cached.Store(&cachedToken{token: tok, expires: exp})
		return tok, nil
	}
	return c.fetchLocked(ctx, false)
}

// renew replaces failed, a token WeChat has just rejected, and returns the token to retry with. When
// another goroutine or instance has already replaced it, that token is used; otherwise a new one is
// forced from WeChat.
func (c *Client) renew(ctx context.Context, failed string) (string, error) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	now := c.clock.Now()
	if t := c.cached.Load(); t != nil && t.token != failed && now.Before(t.expires) {
		return t.token, nil
	}
	c.cached.Store(nil)
	if err := c.store.DropToken(ctx, c.appID, failed); err != nil {
		return "", &tokenError{fmt.Errorf("drop: %w", err)}
	}
	tok, exp, err := c.store.LoadToken(ctx, c.appID)
	if err != nil {
		return "", &tokenError{fmt.Errorf("load: %w", err)}
	}
	if tok != "" && tok != failed && now.Before(exp) {
		c.cached.Store(&cachedToken{token: tok, expires: exp})
		return tok, nil
	}
	return c.fetchLocked(ctx, true)
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

type stableTokenAnswer struct {
	ErrCode     int64  `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchLocked gets a token from the stable_token endpoint and stores it; c.refreshMu must be held.
// A failure to store it is not returned: the token is good and kept in memory, and the store is
// tried again when it expires.
func (c *Client) fetchLocked(ctx context.Context, force bool) (string, error) {
	body, err := json.Marshal(stableTokenRequest{
		GrantType: "client_credential", AppID: c.appID, Secret: c.appSecret, ForceRefresh: force,
	})
	if err != nil {
		return "", &tokenError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiBase+"/cgi-bin/stable_token", bytes.NewReader(body))
	if err != nil {
		return "", &tokenError{err}
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	resp, err := c.hc.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", &tokenError{&transportError{API: apiStableToken, Err: err}}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &tokenError{&httpStatusError{API: apiStableToken, Status: resp.StatusCode}}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", &tokenError{&transportError{API: apiStableToken, Err: err}}
	}
	var ans stableTokenAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return "", &tokenError{fmt.Errorf("wechat %s: unreadable answer: %w", apiStableToken, err)}
	}
	if ans.ErrCode != 0 {
		return "", &tokenError{&APIError{Code: ans.ErrCode, Msg: ans.ErrMsg, API: apiStableToken}}
	}
	if ans.AccessToken == "" || ans.ExpiresIn <= 0 {
		return "", &tokenError{fmt.Errorf("wechat %s: answer without a token", apiStableToken)}
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	margin := tokenSafetyMargin
	if life <= 2*margin {
		margin = life / 2
	}
	exp := c.clock.Now().Add(life - margin)
	c.cached.Store(&cachedToken{token: ans.AccessToken, expires: exp})
	_ = c.store.SaveToken(ctx, c.appID, ans.AccessToken, exp)
	return ans.AccessToken, nil
}
