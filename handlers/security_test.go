package handlers_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
	"github.com/regularshq/regulars/static"
)

func strconvI(id int64) string { return strconv.FormatInt(id, 10) }

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	c := app.client()
	for _, path := range []string{"/login", "/nope", "/healthz", static.Path("css/app.css")} {
		r := c.get(path)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, r.header)
		}
	}
	// Our pages need no inline script or style.
	page := c.get("/signup")
	if page.has("script:not([src])") || page.has("[style]") || page.has("style") {
		t.Fatal("signup page has inline script or style")
	}
}

func TestErrorPages(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	app.e.GET("/boom", func(echo.Context) error { panic("kaboom") })
	c := app.client()

	r := c.get("/boom")
	expectStatus(t, r, http.StatusInternalServerError)
	if !r.has(`[data-testid="error-page"]`) || strings.Contains(r.body, "kaboom") {
		t.Fatalf("panic page leaks or is missing:\n%.500s", r.body)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || !strings.Contains(r.body, id) {
		t.Errorf("500 page does not carry the request id %q", id)
	}

	r = c.get("/no/such/page")
	expectStatus(t, r, http.StatusNotFound)
	if !r.has(`[data-testid="error-page"]`) {
		t.Fatal("404 is not the HTML error page")
	}

	// /api/v1 is the JSON API's: problem details, and a key before
	// anything, a post included (it takes no CSRF token, and no cookie).
	for _, r := range []*response{c.get("/api/v1/nothing"), c.postRaw("/api/v1/nothing", url.Values{})} {
		expectStatus(t, r, http.StatusUnauthorized)
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("an /api/v1 refusal has Content-Type %q, want problem details", ct)
		}
	}
	// Only /api/v1 itself: a path that merely starts alike is a page.
	r = c.get("/api/v1nothing")
	expectStatus(t, r, http.StatusNotFound)
	if !r.has(`[data-testid="error-page"]`) {
		t.Fatal("a 404 outside /api/v1 is not the HTML error page")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	db := dbtest.Open(t, models.SQLite)
	app := newTestApp(t, db)
	c := app.client()
	expectStatus(t, c.get("/healthz"), http.StatusOK)
	expectStatus(t, c.get("/readyz"), http.StatusOK)
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	_ = sqlDB.Close()
	expectStatus(t, c.get("/readyz"), http.StatusServiceUnavailable)
	expectStatus(t, c.get("/healthz"), http.StatusOK)
}

func TestStaticAssetsAreVersionedAndCached(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	c := app.client()
	path := static.Path("css/app.css")
	r := c.get(path)
	expectStatus(t, r, http.StatusOK)
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Fatalf("Cache-Control %q", cc)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	stale := c.get("/static/000000000000/css/app.css")
	expectStatus(t, stale, http.StatusOK)
	if cc := stale.header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Fatalf("stale hash cached forever: %q", cc)
	}
	expectStatus(t, c.get("/static/x/../../go.mod"), http.StatusNotFound)
	expectStatus(t, c.get(static.Path("nope.js")), http.StatusNotFound)
}

// The CSRF token counts only from the form body or the header: one in the
// query string leaks through logs and Referer, so it is refused. A
// multipart form carries it in its body like any other.
func TestCSRFTokenNotFromQueryString(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		before := app.count(&models.User{})
		form := url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}, "password": {testPassword}}
		expectStatus(t, acct.owner.postRaw("/settings/users?_csrf="+url.QueryEscape(acct.owner.csrf), form), http.StatusForbidden)
		if after := app.count(&models.User{}); after != before {
			t.Fatalf("users %d → %d after a token in the query string", before, after)
		}
		expectRedirect(t, acct.owner.upload("/settings/users", form, "", nil), "/settings/users/")
		if after := app.count(&models.User{}); after != before+1 {
			t.Fatalf("multipart form with its token: users %d → %d", before, after)
		}
	})
}

// Signed-in pages are never cached: after logout, Back must not show a
// member's details.
func TestSignedInPagesAreNotStored(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	acct := app.signUp("Corner Café", "olive@example.com")
	for _, path := range []string{"/dashboard", "/members", "/settings/users"} {
		if cc := acct.owner.get(path).header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

// Quick POSTs whose redirects are never followed queue flashes; the cookie
// keeps the newest few instead of overflowing, and every change answers
// with its redirect.
func TestFlashesNeverOverflowTheCookie(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		var name string
		for i := 0; i < 10; i++ {
			name = fmt.Sprintf("%02d %s", i, strings.Repeat("Long business name ", 5))
			r := acct.owner.post("/settings/business", url.Values{"business_name": {name}, "currency": {"EUR"}, "time_zone": {"Europe/Paris"}})
			expectRedirect(t, r, "/settings/business")
		}
		page := acct.owner.get("/settings/business")
		expectStatus(t, page, http.StatusOK)
		flashes := page.doc.Find(`[data-testid="flash"]`)
		if flashes.Length() != 3 || !strings.Contains(flashes.Last().Text(), strings.TrimSpace(name)) {
			t.Fatalf("%d flashes shown, last %q; want the newest 3", flashes.Length(), flashes.Last().Text())
		}
	})
}

// A file one byte over the import limit reaches the import page and its
// message; a far larger body is refused with a clear 413 page.
func TestUploadLimitsAgree(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	acct := app.signUp("Corner Café", "olive@example.com")
	justOver := append([]byte("name\n"), bytes.Repeat([]byte("x"), models.MaxImportBytes-4)...)
	r := acct.owner.upload("/members/import", url.Values{}, "big.csv", justOver)
	expectStatus(t, r, http.StatusUnprocessableEntity)
	if msg := r.text(`[data-testid="error-file"]`); !strings.Contains(msg, "over 32 MB") {
		t.Fatalf("file message %q", msg)
	}
	huge := bytes.Repeat([]byte("x"), 2*models.MaxImportBytes)
	r = acct.owner.upload("/members/import", url.Values{}, "huge.csv", huge)
	expectStatus(t, r, http.StatusRequestEntityTooLarge)
	if msg := r.text(`[data-testid="error-message"]`); !strings.Contains(msg, "up to 32 MB") {
		t.Fatalf("413 page says %q", msg)
	}
}

// Failed statements are logged without their values: a duplicate sign-up
// must not put the email or the password's hash in the log.
func TestSQLLogsHoldNoValues(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var logs syncBuffer
			db := dbtest.OpenLogged(t, d, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			app := newTestApp(t, db)
			app.signUp("First Shop", "same@example.com")
			r := app.client().post("/signup", signUpForm("Second Shop", "same@example.com"))
			expectStatus(t, r, http.StatusUnprocessableEntity)
			out := logs.String()
			if !strings.Contains(out, "INSERT") {
				t.Fatalf("the failed INSERT was not logged at all:\n%s", out)
			}
			for _, secret := range []string{"same@example.com", "$argon2id$", "Second Shop"} {
				if strings.Contains(out, secret) {
					t.Errorf("log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Under concurrent load the pool reuses its connections: none is closed
// for want of an idle slot, and no more are opened than the pool allows.
func TestConnectionPoolIsReusedUnderLoad(t *testing.T) {
	db := dbtest.Open(t, models.Postgres)
	app := newTestApp(t, db)
	acct := app.signUp("Corner Café", "olive@example.com")
	const workers = 32
	clients := make([]*client, workers)
	for i := range clients {
		clients[i] = app.login(acct.email)
	}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := "/members"
				if i%2 == 0 {
					path = "/dashboard"
				}
				if r := c.get(path); r.status != http.StatusOK {
					t.Errorf("%s: %d", path, r.status)
				}
			}()
		}
		wg.Wait()
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	st := sqlDB.Stats()
	if st.MaxIdleClosed != 0 || st.OpenConnections > models.DefaultPool.MaxOpen {
		t.Fatalf("pool churned: %+v (max open %d)", st, models.DefaultPool.MaxOpen)
	}
}
