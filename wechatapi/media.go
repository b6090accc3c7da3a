package wechatapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// API name and path of the temporary media download.
const (
	apiMediaGet  = "media/get"
	pathMediaGet = "/cgi-bin/media/get"
)

// MediaTimeout bounds one media download, body included: a picture is larger than a send's
// answer, so it gets longer than Config.Timeout, but a hung media API still lets go.
const MediaTimeout = 30 * time.Second

// MaxMediaBytes is the largest download GetMedia accepts (WeChat's own limit for images is 10 MB).
const MaxMediaBytes = 20 << 20

// CodeInvalidMediaID is WeChat's errcode for a MediaId it does not know, or no longer keeps (40007).
const CodeInvalidMediaID = 40007

// GetMedia downloads a temporary media file (a customer's picture) by its MediaId and returns its
// content type and bytes. WeChat keeps it for 3 days; after that, or for an unknown id, the error
// is an *APIError with Code CodeInvalidMediaID. A rejected token is renewed and the download tried
// once more, as for the sends. ctx bounds the call; each request is also bounded by MediaTimeout.
func (c *Client) GetMedia(ctx context.Context, mediaID string) (contentType string, data []byte, err error) {
	if mediaID == "" {
		return "", nil, fmt.Errorf("get media: %w", &argumentError{"empty media id"})
	}
	tok, err := c.token(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("get media: %w", err)
	}
	contentType, data, err = c.getMedia(ctx, tok, mediaID)
	if isTokenError(err) {
		tok, rerr := c.renew(ctx, tok)
		if rerr != nil {
			return "", nil, fmt.Errorf("get media: renew rejected token: %w (get: %w)", rerr, err)
		}
		contentType, data, err = c.getMedia(ctx, tok, mediaID)
	}
	if err != nil {
		return "", nil, fmt.Errorf("get media: %w", err)
	}
	return contentType, data, nil
}

// getMedia makes one download. WeChat answers the file itself, or JSON with an errcode.
func (c *Client) getMedia(ctx context.Context, token, mediaID string) (string, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, MediaTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.apiBase+pathMediaGet+"?access_token="+url.QueryEscape(token)+"&media_id="+url.QueryEscape(mediaID), nil)
	if err != nil {
		return "", nil, &argumentError{"bad request: " + apiMediaGet}
	}
	hc := &http.Client{Transport: c.hc.Transport, Timeout: MediaTimeout}
	resp, err := hc.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text holds the URI and so the token
		}
		return "", nil, &transportError{API: apiMediaGet, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, &httpStatusError{API: apiMediaGet, Status: resp.StatusCode}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
	if err != nil {
		return "", nil, &transportError{API: apiMediaGet, Err: err}
	}
	if len(raw) > MaxMediaBytes {
		return "", nil, &argumentError{fmt.Sprintf("media larger than %d bytes", MaxMediaBytes)}
	}
	ctype := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ctype)
	if mt == "application/json" || mt == "text/plain" || (len(raw) > 0 && raw[0] == '{') {
		var ans sendAnswer
		if err := json.Unmarshal(raw, &ans); err == nil && ans.ErrCode != 0 {
			return "", nil, &APIError{Code: ans.ErrCode, Msg: ans.ErrMsg, API: apiMediaGet}
		}
		if mt == "application/json" || mt == "text/plain" {
			return "", nil, &transportError{API: apiMediaGet, Err: errors.New("an answer that is not a file")}
		}
	}
	if len(raw) == 0 {
		return "", nil, &transportError{API: apiMediaGet, Err: errors.New("an empty file")}
	}
	if mt == "" || !strings.Contains(mt, "/") || mt == "application/octet-stream" {
		mt = http.DetectContentType(raw)
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
	}
	return mt, raw, nil
}
