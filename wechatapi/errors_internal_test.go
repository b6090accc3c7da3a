package wechatapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

func TestConvertSDKError(t *testing.T) {
	// The texts the SDK builds (officialaccount/message/customer_message.go, template.go, util/http.go).
	var apiErr *APIError
	err := convertSDKError("custom/send", fmt.Errorf("customer msg send error : errcode=%v , errmsg=%v", 45015, "response out of time limit rid: 1"))
	if !errors.As(err, &apiErr) || apiErr.Code != 45015 || apiErr.Msg != "response out of time limit rid: 1" {
		t.Errorf("custom: %v", err)
	}
	err = convertSDKError("template/send", fmt.Errorf("template msg send error : errcode=%v , errmsg=%v", -1, "system error"))
	if !errors.As(err, &apiErr) || apiErr.Code != -1 || Classify(err) != ClassBusy {
		t.Errorf("template: %v", err)
	}
	err = convertSDKError("custom/send", util.NewCommonError("x", 43004, "require subscribe"))
	if !errors.As(err, &apiErr) || apiErr.Code != 43004 || apiErr.API != "custom/send" {
		t.Errorf("common: %v", err)
	}
	err = convertSDKError("custom/send", fmt.Errorf("http get error : uri=%v , statusCode=%v", "https://x/?access_token=SECRET", 503))
	if Classify(err) != ClassBusy || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("status: %v", err)
	}
	err = convertSDKError("custom/send", errors.New("something with access_token=SECRET"))
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("unknown: %v", err)
	}
	if convertSDKError("x", nil) != nil {
		t.Error("nil not nil")
	}
}
