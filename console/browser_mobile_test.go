package console_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// phoneLayout is what a page measures at a phone's width.
type phoneLayout struct {
	// PageWidth is the page's scroll width: more than the screen means sideways scrolling.
	PageWidth float64 `json:"pageWidth"`
	// WidestBox is the widest table, form or panel.
	WidestBox float64 `json:"widestBox"`
	// MenuItemHeight is the tallest menu link: more than a line means the words broke up.
	MenuItemHeight float64 `json:"menuItemHeight"`
	// MainWidth is the width of what the page is for (the list, the messages, the timeline).
	MainWidth float64 `json:"mainWidth"`
}

const measurePhoneLayout = `((main) => {
  const widths = [...document.querySelectorAll('table, form, .panel, .messages')].map(e => e.getBoundingClientRect().width);
  const menu = [...document.querySelectorAll('header.top nav a')].map(a => a.getBoundingClientRect().height);
  return {pageWidth: document.documentElement.scrollWidth, widestBox: Math.max(0, ...widths), menuItemHeight: Math.max(0, ...menu),
    mainWidth: document.querySelector(main).getBoundingClientRect().width};
})`

// The inbox, a conversation, the case list and a case page work on a phone (390 px wide): nothing
// is wider than the screen and the menu's words stay whole.
func TestBrowserConsoleWorksOnAPhone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	number := e.registerCase(custA, "城东支行", "柜员态度很差，业务办理时间过长")
	e.askForPerson(custB, "城东支行")
	ctx := browser(t)
	const width = 390
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 844, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
		p.Mobile = true
	})); err != nil {
		t.Fatal(err)
	}
	e.browserLogin(t, ctx, "alice")
	for _, page := range []struct{ path, ready, main string }{
		{"/inbox", "#inbox", "#waiting"},
		{"/conversations/" + custB, "#messages", "#messages"},
		{"/cases", "#case-list", "#case-list"},
		{"/cases/" + number, "#timeline li", "#timeline"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.url+page.path), chromedp.WaitVisible(chromedp.CSS(page.ready))); err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		l, err := chromedp.Run(ctx, chromedp.Evaluate[phoneLayout](fmt.Sprintf("%s(%q)", measurePhoneLayout, page.main)))
		if err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		screenshot(t, ctx, "phone"+pageName(page.path))
		if l.PageWidth > width || l.WidestBox > width {
			t.Errorf("%s at %d px: the page is %.0f px wide, its widest box %.0f px", page.path, width, l.PageWidth, l.WidestBox)
		}
		if l.MainWidth < width-60 {
			t.Errorf("%s at %d px: what the page is for is only %.0f px wide", page.path, width, l.MainWidth)
		}
		if l.MenuItemHeight > 44 { // one line of 21 px with its padding is 33 px
			t.Errorf("%s at %d px: a menu link is %.0f px tall (its words wrapped)", page.path, width, l.MenuItemHeight)
		}
	}
}

func pageName(path string) string {
	out := []rune{}
	for _, r := range path {
		if r == '/' {
			r = '-'
		}
		out = append(out, r)
	}
	return string(out)
}

// deskMenu is what the menu measures on a desktop page.
type deskMenu struct {
	// ItemHeight is the tallest menu link: more than a line means its words broke up.
	ItemHeight float64 `json:"itemHeight"`
	// HeaderBottom is where the header ends; MainTop where the page's content begins.
	HeaderBottom float64 `json:"headerBottom"`
	MainTop      float64 `json:"mainTop"`
	// Items counts the links the menu shows; Rightmost is the right edge of the furthest one.
	Items     int     `json:"items"`
	Rightmost float64 `json:"rightmost"`
	// PageWidth is the page's scroll width.
	PageWidth float64 `json:"pageWidth"`
}

const measureDeskMenu = `(() => {
  const links = [...document.querySelectorAll('header.top nav a')].map(a => a.getBoundingClientRect());
  return {itemHeight: Math.max(0, ...links.map(r => r.height)), items: links.length,
    rightmost: Math.max(0, ...links.map(r => r.right)),
    headerBottom: document.querySelector('header.top').getBoundingClientRect().bottom,
    mainTop: document.querySelector('main').getBoundingClientRect().top,
    pageWidth: document.documentElement.scrollWidth};
})()`

// An admin's whole menu (fourteen items) on a laptop and a small desktop screen: every item's words
// stay on one line, every item is on the screen, and the header never covers the page.
func TestBrowserAdminMenuStaysWholeOnADesktop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := browser(t)
	e.browserLogin(t, ctx, "root")
	for _, width := range []int64{1280, 1024} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800), chromedp.Navigate(e.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox"))); err != nil {
			t.Fatalf("%d px: %v", width, err)
		}
		m, err := chromedp.Run(ctx, chromedp.Evaluate[deskMenu](measureDeskMenu))
		if err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, fmt.Sprintf("admin-menu-%d", width))
		if m.Items < 12 {
			t.Fatalf("%d px: the admin's menu shows %d links", width, m.Items)
		}
		if m.ItemHeight > 48 {
			t.Errorf("%d px: a menu link is %.0f px tall (its words wrapped)", width, m.ItemHeight)
		}
		if m.Rightmost > float64(width) || m.PageWidth > float64(width) {
			t.Errorf("%d px: a menu link ends at %.0f px, the page is %.0f px wide", width, m.Rightmost, m.PageWidth)
		}
		if m.MainTop < m.HeaderBottom {
			t.Errorf("%d px: the header ends at %.0f px, over the page starting at %.0f px", width, m.HeaderBottom, m.MainTop)
		}
	}
}
