package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// Browser tests drive a real headless Chromium against the real app. They
// skip when no browser is installed, unless REQUIRE_BROWSER=1. Set
// SCREENSHOT_DIR to keep full-page PNGs of the main screens.

const (
	browserTimeout = 120 * time.Second // the whole test, so a hung browser fails (generous: CI machines are shared)
	waitTimeout    = 10 * time.Second  // one wait for an element
	// browserZone is the zone the browser reports, so the sign-up form's
	// detection has a known answer that differs from what we type.
	browserZone = "America/New_York"
)

// chromePath finds Chromium: CHROME_PATH, then /usr/bin/chromium, then the
// usual names on PATH.
func chromePath(t *testing.T) string {
	t.Helper()
	// make test's summary counts each browser test as ran or skipped.
	t.Cleanup(func() {
		test, _, _ := strings.Cut(t.Name(), "/")
		outcome := "ran"
		if t.Skipped() {
			outcome = "skipped"
		}
		dbtest.Report("browser", test+" "+outcome)
	})
	if p := os.Getenv("CHROME_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CHROME_PATH=%q: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("REQUIRE_BROWSER") == "1" {
		t.Fatal("REQUIRE_BROWSER=1 but no Chromium found: set CHROME_PATH or install chromium")
	}
	t.Skip("no Chromium found: set CHROME_PATH or install chromium; browser tests skipped")
	return ""
}

// browser is one headless Chromium tab on the app, with everything its
// console said.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []string
}

func newBrowser(t *testing.T, app *testApp, width, height int) *browser {
	t.Helper()
	path, profile := chromePath(t), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)

	b := &browser{t: t, ctx: ctx, base: app.srv.URL}
	// Listen (ListenTarget before chromedp v0.20) starts the browser.
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	// chromedp enables the log domain when it attaches; enabling it again
	// keeps this test independent of that detail.
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable log: %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: browserZone}); err != nil {
		t.Fatalf("time zone override: %v", err)
	}
	// Chromium keeps a real window at least 500px wide, so pin the
	// viewport to the size asked for.
	b.do("set viewport", chromedp.EmulateViewport(int64(width), int64(height)))
	t.Cleanup(b.checkConsole)
	return b
}

// record keeps console calls, browser log entries (where Chromium reports
// CSP violations) and uncaught exceptions. It runs in chromedp's read
// loop, so it only appends.
func (b *browser) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *log.EventEntryAdded:
		msg = fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, msg)
	b.mu.Unlock()
}

// checkConsole fails the test on any CSP violation or uncaught exception.
func (b *browser) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") ||
			strings.HasPrefix(m, "uncaught exception") {
			b.t.Errorf("browser console: %s", m)
		} else {
			b.t.Logf("browser console: %s", m)
		}
	}
}

func testID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads path and returns the HTTP status of the page.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// submit clicks a button and expects, after any redirects, a page with
// status 200 whose path starts with wantPath.
func (b *browser) submit(button, wantPath string) {
	b.t.Helper()
	b.submitExpect(button, 200, wantPath)
}

func (b *browser) submitExpect(button string, status int64, wantPath string) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(testID(button)))
	if err != nil {
		b.t.Fatalf("click %s: %v", button, err)
	}
	if got := b.path(); resp.Status != status || !strings.HasPrefix(got, wantPath) {
		b.t.Fatalf("after %s: status %d at %s, want %d at %s", button, resp.Status, got, status, wantPath)
	}
}

func (b *browser) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u.Path
}

// fill types values into the named fields of the page, replacing what is
// there; pairs are name, value. It empties a field with script because
// chromedp v0.23.0's SetValue(sel, "") cannot: the empty string argument is
// dropped by omitempty, so the field gets "undefined".
func (b *browser) fill(pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		sel := `[name="` + pairs[i] + `"]`
		b.do("fill "+pairs[i],
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%q).value = ''", sel)),
			chromedp.SendKeys(chromedp.CSS(sel), pairs[i+1]))
	}
}

// visible waits, briefly, for the element to show.
func (b *browser) visible(id string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(testID(id))); err != nil {
		b.t.Fatalf("[data-testid=%q] not visible on %s: %v", id, b.path(), err)
	}
}

// text waits for the element and returns its visible text.
func (b *browser) text(id string) string {
	b.t.Helper()
	b.visible(id)
	s, err := chromedp.Run(b.ctx, chromedp.Text(testID(id)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) navLabels() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll('[data-testid="nav"] a')].map(a => a.textContent.trim())`)
}

// screenshot saves a full-page PNG into SCREENSHOT_DIR, when it is set.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100 is PNG; below is JPEG
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	err = errors.Join(os.MkdirAll(dir, 0o755), os.WriteFile(filepath.Join(dir, name), buf, 0o644))
	if err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
}

// fillSignUp opens the sign-up form and fills it, replacing the time zone
// the page detected.
func (b *browser) fillSignUp(business, email string) {
	b.t.Helper()
	if status := b.open("/signup"); status != 200 {
		b.t.Fatalf("GET /signup: status %d", status)
	}
	detected, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`input[name="time_zone"]`)))
	if err != nil || detected != browserZone {
		b.t.Fatalf("time zone field holds %q (err %v), want the browser's %s filled in by app.js", detected, err, browserZone)
	}
	b.fill("business_name", business, "currency", "EUR", "time_zone", "Europe/Paris",
		"name", "Olive Owner", "email", email, "password", testPassword)
}

func (b *browser) expectDashboard(business string) {
	b.t.Helper()
	if got := b.text("dashboard-title"); got != business {
		b.t.Fatalf("dashboard title %q, want %q", got, business)
	}
}

func (b *browser) logOut() {
	b.t.Helper()
	b.submit("logout", "/login")
	b.visible("login-form")
	if msg := b.text("flash"); msg != "You have logged out." {
		b.t.Errorf("flash after logout %q", msg)
	}
}

func TestBrowserFoundationFlow(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 1280, 900)
	const business, ownerEmail = "Corner Café", "olive@example.com"

	// An owner signs up through the form; a short password is refused
	// with a message beside it and the rest of the input kept.
	b.fillSignUp(business, ownerEmail)
	b.screenshot("signup.png")
	b.fill("password", "too short")
	b.submitExpect("signup-submit", 422, "/signup")
	if msg := b.text("error-password"); !strings.Contains(msg, "at least 10") {
		t.Errorf("password message %q", msg)
	}
	if kept := eval[string](b, `document.querySelector('[name="business_name"]').value`); kept != business {
		t.Errorf("business name not kept: %q", kept)
	}
	b.screenshot("signup-invalid.png")
	b.fill("password", testPassword)
	b.submit("signup-submit", "/dashboard")
	b.expectDashboard(business)
	if got := b.text("current-user"); got != "Olive Owner (owner)" {
		t.Errorf("current user %q", got)
	}
	if zone, stats := b.text("report-zone"), b.text("dashboard-stats"); zone != "Europe/Paris" || !strings.Contains(stats, "EUR") {
		t.Errorf("dashboard in %q, stats %q lack EUR", zone, stats)
	}
	if nav := b.navLabels(); !slices.Contains(nav, "Settings") {
		t.Errorf("owner's nav %v has no Settings", nav)
	}
	b.screenshot("dashboard.png")

	// Log out and back in.
	b.logOut()
	b.fill("email", ownerEmail, "password", testPassword)
	b.submit("login-submit", "/dashboard")
	b.expectDashboard(business)

	// Add a staff member without a password: the owner gets a one-time link.
	if status := b.open("/settings/users"); status != 200 {
		t.Fatalf("GET /settings/users: status %d", status)
	}
	b.fill("name", "Sam Staff", "email", "sam@example.com", "password", "")
	b.do("choose role", chromedp.SetValue(chromedp.CSS(`select[name="role"]`), "staff"))
	b.submit("add-user-submit", "/settings/users/")
	if got := b.text("user-status"); got != "waiting for password" {
		t.Errorf("user page status badge %q, want waiting for password", got)
	}
	b.visible("password-link")
	link, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID("password-link")))
	if err != nil {
		t.Fatal(err)
	}
	link = strings.TrimSpace(link)
	if !strings.HasPrefix(link, app.srv.URL+"/set-password/") {
		t.Fatalf("password link %q, want %s/set-password/…", link, app.srv.URL)
	}
	if status := b.open("/settings/users"); status != 200 {
		t.Fatalf("GET /settings/users: status %d", status)
	}
	if rows := eval[int](b, `document.querySelectorAll('[data-testid="user-row"]').length`); rows != 2 {
		t.Errorf("team table has %d rows, want 2", rows)
	}
	b.screenshot("team.png")

	// Sam chooses a password through the link and lands on the dashboard.
	b.logOut()
	path := strings.TrimPrefix(link, app.srv.URL)
	if status := b.open(path); status != 200 {
		t.Fatalf("GET %s: status %d", path, status)
	}
	b.fill("password", "sam's long password", "confirm_password", "sam's long password")
	b.submit("set-password-submit", "/dashboard")
	b.expectDashboard(business)
	who := b.text("current-user")
	if !strings.Contains(who, "Sam Staff") || !strings.Contains(who, "staff") {
		t.Errorf("current user %q, want Sam Staff (staff)", who)
	}
	if nav := b.navLabels(); slices.Contains(nav, "Settings") || !slices.Contains(nav, "Dashboard") {
		t.Errorf("staff nav %v: want Dashboard and no Settings", nav)
	}

	// Staff may not manage the team.
	if status := b.open("/settings/users"); status != 403 {
		t.Errorf("staff GET /settings/users: status %d, want 403", status)
	}
	b.visible("error-page")
	if title := b.text("error-title"); title != "Not allowed" {
		t.Errorf("error title %q", title)
	}
}

func TestBrowserPhoneWidth(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	b := newBrowser(t, app, 390, 844)

	b.fillSignUp("Corner Café", "olive@example.com")
	b.submit("signup-submit", "/dashboard")
	b.expectDashboard("Corner Café")
	b.visible("nav")
	b.visible("logout")
	if w := eval[int](b, `window.innerWidth`); w != 390 {
		t.Errorf("viewport %dpx wide, want 390", w)
	}
	if sw := eval[int](b, `document.documentElement.scrollWidth`); sw > 390 {
		t.Errorf("page is %dpx wide at a 390px viewport: it scrolls sideways", sw)
	}
	b.screenshot("dashboard-phone.png")
}
