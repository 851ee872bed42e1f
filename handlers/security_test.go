package handlers_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
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

func TestErrorPagesAndProblemDetails(t *testing.T) {
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

	r = c.get("/api/v1/nothing")
	expectStatus(t, r, http.StatusNotFound)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("api 404 content type %q", ct)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || p["status"] != float64(404) || p["title"] == "" {
		t.Fatalf("problem body %s (%v)", r.body, err)
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
