package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/regularshq/regulars/handlers"
	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

// TestMain hashes passwords cheaply: these tests check the web layer, and
// models tests the real hashing.
func TestMain(m *testing.M) {
	models.UseCheapPasswordHashing()
	dbtest.Main(m)
}

const testPassword = "correct horse battery"

// testApp is the real echo app on a real database behind httptest.
type testApp struct {
	t     testing.TB
	db    *gorm.DB
	e     *echo.Echo
	srv   *httptest.Server
	clock *fakeClock
}

// fakeClock is the app's clock: real time plus an offset tests can add to.
type fakeClock struct{ offset atomic.Int64 }

func (f *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(f.offset.Load())) }
func (f *fakeClock) advance(d time.Duration) { f.offset.Add(int64(d)) }

func newTestApp(t testing.TB, db *gorm.DB) *testApp {
	t.Helper()
	clock := &fakeClock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imports := models.NewImportWorker(db, log, clock.now)
	ctx, stop := context.WithCancel(context.Background())
	imports.Start(ctx)
	t.Cleanup(func() { stop(); imports.Wait() }) // before the database closes
	// The listener comes first: links the app hands out name its origin.
	srv := httptest.NewUnstartedServer(nil)
	e := handlers.New(handlers.Options{
		Clock:       clock.now,
		DB:          db,
		Logger:      log,
		SessionKeys: []string{"test-session-key-0123456789abcdef0123456789"},
		Imports:     imports,
		BaseURL:     "http://" + srv.Listener.Addr().String(),
	})
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	return &testApp{t: t, db: db, e: e, srv: srv, clock: clock}
}

// eachApp runs fn against a fresh app on each dialect.
func eachApp(t *testing.T, fn func(t *testing.T, app *testApp)) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		fn(t, newTestApp(t, db))
	})
}

// client is one browser: its own cookies and the CSRF token of the last
// page it saw. It does not follow redirects, so tests see them.
type client struct {
	t     testing.TB
	app   *testApp
	http  *http.Client
	csrf  string
	extra http.Header
}

func (app *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{
		t:   app.t,
		app: app,
		http: &http.Client{
			Jar:           jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		extra: http.Header{},
	}
}

type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

// text returns the trimmed text of the first element matching sel.
func (r *response) text(sel string) string {
	return strings.TrimSpace(r.doc.Find(sel).First().Text())
}

func (r *response) has(sel string) bool { return r.doc.Find(sel).Length() > 0 }

func (r *response) location() string { return r.header.Get("Location") }

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	for k, v := range c.extra {
		req.Header[k] = v
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatalf("parse html: %v", err)
	}
	if tok, ok := doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok {
		c.csrf = tok
	}
	return &response{status: res.StatusCode, header: res.Header, body: string(b), doc: doc}
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form with the client's CSRF token, fetching a page first
// when it has none yet.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", c.csrf)
	}
	return c.postRaw(path, form)
}

// postRaw submits a form exactly as given.
func (c *client) postRaw(path string, form url.Values) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func expectStatus(t testing.TB, r *response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body:\n%.600s", r.status, want, r.body)
	}
}

func expectRedirect(t testing.TB, r *response, prefix string) {
	t.Helper()
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), prefix) {
		t.Fatalf("got %d to %q, want 303 to %s…; body:\n%.400s", r.status, r.location(), prefix, r.body)
	}
}

// account is a merchant with its owner, signed up through the real form.
type account struct {
	merchantID int64
	ownerID    int64
	email      string
	owner      *client
}

func signUpForm(business, email string) url.Values {
	return url.Values{
		"business_name": {business}, "currency": {"EUR"}, "time_zone": {"Europe/Paris"},
		"name": {"Olive Owner"}, "email": {email}, "password": {testPassword},
	}
}

func (app *testApp) signUp(business, email string) *account {
	t := app.t
	t.Helper()
	c := app.client()
	expectRedirect(t, c.post("/signup", signUpForm(business, email)), "/dashboard")
	var u models.User
	if err := models.CrossTenant(app.db).Where("email = ?", email).Take(&u).Error; err != nil {
		t.Fatalf("owner of %s not stored: %v", business, err)
	}
	c.get("/dashboard")
	return &account{merchantID: u.MerchantID, ownerID: u.ID, email: email, owner: c}
}

// addUser creates a user of acct with a password through the owner's form
// and returns its id.
func (app *testApp) addUser(acct *account, name, email string, role models.Role) int64 {
	t := app.t
	t.Helper()
	r := acct.owner.post("/settings/users", url.Values{
		"name": {name}, "email": {email}, "role": {string(role)}, "password": {testPassword},
	})
	expectRedirect(t, r, "/settings/users/")
	var id int64
	if _, err := fmt.Sscanf(r.location(), "/settings/users/%d", &id); err != nil {
		t.Fatalf("new user location %q: %v", r.location(), err)
	}
	return id
}

// login returns a new client logged in as email.
func (app *testApp) login(email string) *client {
	app.t.Helper()
	c := app.client()
	expectRedirect(app.t, c.post("/login", url.Values{"email": {email}, "password": {testPassword}}), "/dashboard")
	c.get("/dashboard")
	return c
}

// count returns how many rows of model exist across all merchants.
func (app *testApp) count(model any) int64 {
	app.t.Helper()
	var n int64
	if err := models.CrossTenant(app.db.WithContext(context.Background())).Model(model).Count(&n).Error; err != nil {
		app.t.Fatal(err)
	}
	return n
}

func (app *testApp) user(id int64) models.User {
	app.t.Helper()
	var u models.User
	if err := models.CrossTenant(app.db).Take(&u, id).Error; err != nil {
		app.t.Fatal(err)
	}
	return u
}
