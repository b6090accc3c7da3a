package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// In a real browser: an account an admin created opens on 修改密码; a common password is refused
// with the reason; the user's own one takes them to the page they asked for.
func TestBrowserFirstLoginSetsOwnPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root := e.token("root")
	if st, body := root.doJSON("POST", "/api/v1/users", map[string]string{"username": "dave", "display_name": "赵伟", "role": "agent",
		"branches": "0101", "password": "Given-by-root-1"}); st != http.StatusCreated {
		t.Fatalf("add dave: %d %s", st, body)
	}
	ctx := browser(t)
	failOnDialog(t, ctx)
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/cases"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "dave"),
		chromedp.SendKeys(chromedp.ID("password"), "Given-by-root-1"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("must-change")),
		chromedp.SendKeys(chromedp.ID("current_password"), "Given-by-root-1"),
		chromedp.SendKeys(chromedp.ID("new_password"), "woaini1314"),
		chromedp.SendKeys(chromedp.ID("confirm_password"), "woaini1314"),
	)
	if err != nil {
		t.Fatalf("first login: %v", err)
	}
	screenshot(t, ctx, "password-first-login")
	if err := submit(ctx, "#change-password", "#password-error", "常见密码"); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("current_password"), "Given-by-root-1"),
		chromedp.SendKeys(chromedp.ID("new_password"), "Daves-own-pass-8"),
		chromedp.SendKeys(chromedp.ID("confirm_password"), "Daves-own-pass-8"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := submit(ctx, "#change-password", ".flash.ok", "密码已修改"); err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/cases") {
		t.Fatalf("after the change the browser is at %s, not the cases it asked for", url)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main .flash.ok"))); err != nil || !strings.Contains(msg, "密码已修改") {
		t.Fatalf("flash: %q %v", msg, err)
	}
	screenshot(t, ctx, "password-changed")
}
