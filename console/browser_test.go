package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium (apt-get install chromium fonts-wqy-microhei).
const chromiumPath = "/usr/bin/chromium"

// browser starts a headless Chromium for the test. Without Chromium the test fails on CI
// (CI=true) and is skipped elsewhere.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium at %s: apt-get install -y chromium fonts-wqy-microhei", chromiumPath)
		}
		t.Skipf("no Chromium at %s (apt-get install -y chromium fonts-wqy-microhei)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab opens another tab with its own cookies (a second agent at another desk).
func tab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// failOnDialog fails the test if the page ever opens an alert (a script a customer sent ran).
func failOnDialog(t *testing.T, ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			t.Errorf("the page opened a dialog: %q", ev.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
}

// screenshot saves the page as NAME.png in $COMPLAINTBOT_SCREENSHOTS (default: a temporary folder).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("COMPLAINTBOT_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func (e *env) browserLogin(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("inbox")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live="1"]`)), // the live stream is connected
	)
	if err != nil {
		t.Fatalf("log in %s: %v", name, err)
	}
}

// waitText waits until the element's text contains want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText.includes(%q)`, sel, want),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// submit clicks a button that submits a form (the page navigates) and waits until the new page
// has an element matching sel whose text contains want.
//
// The click happens in the page, in one step: a live list may swap the button for a new copy
// between finding it and clicking it, as a person's click would land on the new copy.
func submit(ctx context.Context, button, sel, want string) error {
	click := fmt.Sprintf(`(function(){ var b = document.querySelector(%q); if (!b) return false; b.click(); return true; })()`, button)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(button))); err != nil {
		return err
	}
	for start := time.Now(); ; {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](click))
		if err != nil {
			return fmt.Errorf("click %s: %w", button, err)
		}
		if ok {
			break
		}
		if time.Since(start) > 15*time.Second {
			return fmt.Errorf("no %s to click", button)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cond := fmt.Sprintf(`(function(){ var e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want)
	deadline := time.Now().Add(15 * time.Second)
	for {
		// An evaluation that runs while the page navigates fails; try again on the new page.
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s with %q after clicking %s (last error: %v)", sel, want, button, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestBrowserHandoffReplyReleaseAndCasePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := browser(t)
	failOnDialog(t, ctx)
	e.browserLogin(t, ctx, "alice")

	// A customer asks for a person through the real webhook: the inbox shows them without a reload.
	e.askForPerson(custA, "城东支行")
	row := fmt.Sprintf(`#waiting tr[data-openid=%q]`, custA)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(row)), chromedp.WaitVisible(chromedp.CSS(`body[data-cue="1"]`))); err != nil {
		t.Fatalf("the waiting customer did not appear live: %v", err)
	}
	screenshot(t, ctx, "inbox")

	// Claim, and the customer's messages (a script among them) appear live, as text.
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	if err := submit(ctx, row+" button.claim", ".flash.ok", "已接入"); err != nil {
		t.Fatalf("claim: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-live="1"] #reply-text`))); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	if r, _ := e.Sim.Text(custA, evil); !r.Success {
		t.Fatalf("the bot answered a customer held by an agent: %q", r.Text)
	}
	if err := chromedp.Do(ctx, waitText("#messages", `<script>alert("x")</script>`)); err != nil {
		t.Fatalf("customer HTML not shown as text: %v", err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#messages script, #messages img").length`)); err != nil || n != 0 {
		t.Fatalf("customer HTML became elements: %v (%d)", err, n)
	}

	// Reply: it reaches the fake WeChat API.
	reply := "您好，我是客服王丽，请问是哪位柜员为您办理的业务？"
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("reply-text"), reply), chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS(`#reply-result [data-sent]`))); err != nil {
		t.Fatalf("reply: %v", err)
	}
	e.Clock.Advance(time.Minute)
	e.Deliver()
	e.Clock.Advance(time.Minute)
	if got := sentTexts(e, custA); len(got) != 2 || !strings.Contains(got[0], "客服 王丽 为您服务") || got[1] != reply {
		t.Fatalf("sent to WeChat: %q", got)
	}
	if r, _ := e.Sim.Text(custA, "是3号窗口的柜员"); !r.Success {
		t.Fatal("bot answered")
	}
	if err := chromedp.Do(ctx, waitText("#messages", "是3号窗口的柜员"), waitText("#messages", reply)); err != nil {
		t.Fatalf("conversation not updated: %v", err)
	}
	screenshot(t, ctx, "conversation")

	// Release: the bot answers the next message again.
	if err := submit(ctx, "#release", ".flash.ok", "已交回智能助手"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if got := e.say(custA, "昨天下午3点"); !strings.Contains(got, "经过") {
		t.Fatalf("the bot did not take over again: %q", got)
	}

	// A case page with its timeline.
	e.Clock.Advance(10 * time.Minute)
	number := e.registerCase(custB, "城东支行", "柜员态度很差")
	e.Clock.Advance(time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/cases/"+number), chromedp.WaitVisible(chromedp.ID("accept"))); err != nil {
		t.Fatalf("case page: %v", err)
	}
	if err := submit(ctx, "#accept", ".flash.ok", "已受理"); err != nil {
		t.Fatalf("accept: %v", err)
	}
	e.Clock.Advance(time.Minute)
	e.Deliver()
	e.Clock.Advance(time.Minute)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("note-text"), "已联系网点负责人核实")); err != nil {
		t.Fatal(err)
	}
	if err := submit(ctx, "#add-note", ".flash.ok", "已添加备注"); err != nil {
		t.Fatalf("note: %v", err)
	}
	if err := chromedp.Do(ctx, waitText("#timeline", "已联系网点负责人核实"), waitText("#timeline", "通知客户")); err != nil {
		t.Fatalf("timeline: %v", err)
	}
	screenshot(t, ctx, "case")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url+"/cases"), chromedp.WaitVisible(chromedp.ID("case-list"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "cases")
}

func TestBrowserTwoAgentsClaimAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	root := browser(t)
	tabs := map[string]context.Context{"alice": tab(t, root), "bob": tab(t, root)}
	for name, ctx := range tabs {
		e.browserLogin(t, ctx, name)
	}
	e.askForPerson(custA, "城东支行")
	row := fmt.Sprintf(`#waiting tr[data-openid=%q]`, custA)
	for name, ctx := range tabs {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var wg sync.WaitGroup
	for name, ctx := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := submit(ctx, row+" button.claim", "main .flash", "接入"); err != nil {
				t.Errorf("%s clicks: %v", name, err)
			}
		}()
	}
	wg.Wait()
	won := map[string]string{}
	for name, ctx := range tabs {
		flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main .flash")))
		if err != nil {
			t.Fatal(err)
		}
		won[name] = flash
	}
	winners, told := 0, ""
	for _, f := range won {
		if strings.Contains(f, "已接入该会话") {
			winners++
		} else {
			told = f
		}
	}
	if winners != 1 || !(strings.Contains(told, "已被 王丽 接入") || strings.Contains(told, "已被 李强 接入")) {
		t.Fatalf("claims: %q", won)
	}
}
