package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/regularshq/regulars/models"
	"github.com/regularshq/regulars/models/dbtest"
)

func TestSignUpValidation(t *testing.T) {
	cases := []struct {
		name, field, value, wantField string
	}{
		{"missing business", "business_name", "", "business_name"},
		{"long business", "business_name", strings.Repeat("b", 101), "business_name"},
		{"unknown currency", "currency", "XYZ", "currency"},
		{"missing currency", "currency", "", "currency"},
		{"bad time zone", "time_zone", "Mars/Olympus", "time_zone"},
		{"missing time zone", "time_zone", "", "time_zone"},
		{"missing name", "name", "  ", "name"},
		{"bad email", "email", "not-an-email", "email"},
		{"missing email", "email", "", "email"},
		{"short password", "password", "123456789", "password"},
	}
	eachApp(t, func(t *testing.T, app *testApp) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				form := signUpForm("Corner Café", "olive@example.com")
				form.Set(tc.field, tc.value)
				r := app.client().post("/signup", form)
				expectStatus(t, r, http.StatusUnprocessableEntity)
				if msg := r.text(`[data-testid="error-` + tc.wantField + `"]`); msg == "" {
					t.Fatalf("no message beside %s", tc.wantField)
				}
				if r.has(`[data-testid="error-`+tc.wantField+`"]`) && !r.has(`#f-`+tc.wantField+`[aria-invalid="true"]`) {
					t.Errorf("%s not marked invalid", tc.wantField)
				}
				// The input is kept, the password never echoed.
				for _, keep := range []string{"business_name", "currency", "time_zone", "name", "email"} {
					if got, _ := r.doc.Find("#f-" + keep).Attr("value"); got != strings.TrimSpace(form.Get(keep)) && got != form.Get(keep) {
						t.Errorf("%s value %q not kept (sent %q)", keep, got, form.Get(keep))
					}
				}
				if v, _ := r.doc.Find("#f-password").Attr("value"); v != "" {
					t.Errorf("password echoed back: %q", v)
				}
				if n := app.count(&models.Merchant{}); n != 0 {
					t.Fatalf("%d merchants written by a refused sign-up", n)
				}
			})
		}
	})
}

func TestSignUpDuplicateEmailWritesNothing(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("First Shop", "same@example.com")
		r := app.client().post("/signup", signUpForm("Second Shop", "SAME@example.com"))
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.text(`[data-testid="error-email"]`), "already exists") {
			t.Fatalf("email message = %q", r.text(`[data-testid="error-email"]`))
		}
		if n := app.count(&models.Merchant{}); n != 1 {
			t.Fatalf("%d merchants, want 1", n)
		}
	})
}

func TestSignUpLandsOnDashboard(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.get("/dashboard")
		expectStatus(t, r, http.StatusOK)
		if got := r.text(`[data-testid="dashboard-title"]`); got != "Corner Café" {
			t.Fatalf("dashboard title %q", got)
		}
		if got := r.text(`[data-testid="current-user"]`); !strings.Contains(got, "Olive Owner") || !strings.Contains(got, "owner") {
			t.Fatalf("signed-in user shown as %q", got)
		}
		m := models.Merchant{}
		if err := models.CrossTenant(app.db).Take(&m, acct.merchantID).Error; err != nil || m.Currency != "EUR" || m.TimeZone != "Europe/Paris" {
			t.Fatalf("merchant stored as %+v (%v)", m, err)
		}
	})
}

func TestLoginLogout(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("Corner Café", "olive@example.com")
		c := app.client()

		expectRedirect(t, c.get("/dashboard"), "/login?next=%2Fdashboard")

		r := c.post("/login", url.Values{"email": {"olive@example.com"}, "password": {"wrong password!"}})
		expectStatus(t, r, http.StatusUnauthorized)
		if !strings.Contains(r.text(`[data-testid="form-error"]`), "do not match") {
			t.Fatalf("wrong password message %q", r.text(`[data-testid="form-error"]`))
		}
		if v, _ := r.doc.Find("#f-email").Attr("value"); v != "olive@example.com" {
			t.Errorf("email not kept: %q", v)
		}

		r = c.post("/login", url.Values{"email": {""}, "password": {""}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has(`[data-testid="error-email"]`) || !r.has(`[data-testid="error-password"]`) {
			t.Fatal("empty login fields not flagged")
		}

		r = c.post("/login", url.Values{"email": {" Olive@Example.com "}, "password": {testPassword}, "next": {"/account/password"}})
		expectRedirect(t, r, "/account/password")
		expectStatus(t, c.get("/dashboard"), http.StatusOK)

		expectRedirect(t, c.post("/logout", nil), "/login")
		expectRedirect(t, c.get("/dashboard"), "/login")
	})
}

func TestLoginRefusesForeignNext(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("Corner Café", "olive@example.com")
		for _, next := range []string{"https://evil.example", "//evil.example", "/\\evil.example"} {
			c := app.client()
			r := c.post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}, "next": {next}})
			expectRedirect(t, r, "/dashboard")
		}
	})
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("Corner Café", "olive@example.com")
		c := app.client()
		bad := url.Values{"email": {"olive@example.com"}, "password": {"wrong password!"}}
		for i := 0; i < 5; i++ {
			expectStatus(t, c.post("/login", bad), http.StatusUnauthorized)
		}
		// Even the right password waits now: the account is locked for a while.
		r := app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}})
		expectStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		if msg := r.text(`[data-testid="error-message"]`); !strings.Contains(msg, "Try again in") {
			t.Errorf("429 page says %q, want when to retry", msg)
		}
		// Another account is not affected.
		app.signUp("Other Shop", "otto@example.com")
		expectRedirect(t, app.client().post("/login", url.Values{"email": {"otto@example.com"}, "password": {testPassword}}), "/dashboard")
	})
}

func TestLoginRateLimitPerIPIgnoresForgedForwardedFor(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		c := app.client()
		for i := 0; i < 20; i++ {
			// A different account each time, and a forged client address:
			// neither may dodge the per-address limit.
			c.extra.Set("X-Forwarded-For", "203.0.113."+string(rune('0'+i%10)))
			c.extra.Set("X-Real-IP", "198.51.100.7")
			r := c.post("/login", url.Values{"email": {"nobody" + string(rune('a'+i)) + "@example.com"}, "password": {"whatever123"}})
			expectStatus(t, r, http.StatusUnauthorized)
		}
		c.extra.Set("X-Forwarded-For", "192.0.2.99")
		expectStatus(t, c.post("/login", url.Values{"email": {"fresh@example.com"}, "password": {"whatever123"}}), http.StatusTooManyRequests)
	})
}

func TestCSRFRejected(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		before := app.count(&models.User{})

		form := url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}, "password": {testPassword}}
		r := acct.owner.postRaw("/settings/users", form)
		expectStatus(t, r, http.StatusForbidden)

		form.Set("_csrf", "forged-token")
		expectStatus(t, acct.owner.postRaw("/settings/users", form), http.StatusForbidden)

		// A token from another session is no good either.
		other := app.client()
		other.get("/login")
		form.Set("_csrf", other.csrf)
		expectStatus(t, acct.owner.postRaw("/settings/users", form), http.StatusForbidden)

		// Sign-up without a token writes nothing.
		expectStatus(t, app.client().postRaw("/signup", signUpForm("X", "x@example.com")), http.StatusForbidden)

		if after := app.count(&models.User{}); after != before {
			t.Fatalf("users %d → %d after refused posts", before, after)
		}
		// htmx sends the token in a header instead.
		req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/settings/users", strings.NewReader(url.Values{
			"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}, "password": {testPassword},
		}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", acct.owner.csrf)
		expectRedirect(t, acct.owner.do(req), "/settings/users/")
	})
}

// A cookie copied before logout opens nothing afterwards: not the
// dashboard, and not a POST that would change something.
func TestLogoutRevokesTheSessionServerSide(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		u, _ := url.Parse(app.srv.URL)
		stolen := acct.owner.http.Jar.Cookies(u)
		token := acct.owner.csrf
		// A second session of the same owner stays open.
		other := app.login("olive@example.com")

		expectRedirect(t, acct.owner.post("/logout", nil), "/login")

		replay := app.client()
		replay.http.Jar.SetCookies(u, stolen)
		expectRedirect(t, replay.get("/dashboard"), "/login")
		replay.http.Jar.SetCookies(u, stolen) // the redirect reset it
		r := replay.postRaw("/settings/business", url.Values{
			"_csrf": {token}, "business_name": {"Hijacked"}, "currency": {"EUR"}, "time_zone": {"Europe/Paris"},
		})
		expectRedirect(t, r, "/login")
		var m models.Merchant
		if err := models.CrossTenant(app.db).Take(&m, acct.merchantID).Error; err != nil || m.Name != "Corner Café" {
			t.Fatalf("business after a replayed POST: %q (%v)", m.Name, err)
		}
		expectStatus(t, other.get("/dashboard"), http.StatusOK)
	})
}

// Parallel guesses cannot all pass the per-account check before any is
// counted: at most the limit's worth of wrong passwords is ever checked.
func TestLoginLimitPerAccountHoldsUnderParallelGuesses(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("Corner Café", "olive@example.com")
		const attempts = 15
		clients := make([]*client, attempts)
		for i := range clients {
			clients[i] = app.client()
			clients[i].get("/login")
		}
		statuses := make([]int, attempts)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range clients {
			password := "wrong password!"
			if i == attempts-1 {
				password = testPassword
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = c.post("/login", url.Values{"email": {"olive@example.com"}, "password": {password}}).status
			}()
		}
		close(start)
		wg.Wait()
		// The limit is on failures: at most five wrong passwords are ever
		// checked. The right one, racing them, may get in or wait.
		failed := 0
		for _, s := range statuses {
			switch s {
			case http.StatusUnauthorized:
				failed++
			case http.StatusSeeOther, http.StatusTooManyRequests:
			default:
				t.Fatalf("status %d among %v", s, statuses)
			}
		}
		if failed > 5 {
			t.Fatalf("%d wrong passwords checked in parallel (%v), want at most 5", failed, statuses)
		}
	})
}

// Only failures count against an address: staff logging in again and
// again behind one address are never locked out, while parallel wrong
// guesses from it still stop at the limit.
func TestLoginLimitPerAddressCountsFailuresOnly(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		app.signUp("Corner Café", "olive@example.com")
		for i := 0; i < 25; i++ {
			r := app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}})
			expectRedirect(t, r, "/dashboard")
		}
		const guesses = 30
		statuses := make([]int, guesses)
		clients := make([]*client, guesses)
		for i := range clients {
			clients[i] = app.client()
			clients[i].get("/login")
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i] = c.post("/login", url.Values{"email": {fmt.Sprintf("nobody%d@example.com", i)}, "password": {"whatever123"}}).status
			}()
		}
		close(start)
		wg.Wait()
		failed := 0
		for _, s := range statuses {
			if s == http.StatusUnauthorized {
				failed++
			} else if s != http.StatusTooManyRequests {
				t.Fatalf("status %d among %v", s, statuses)
			}
		}
		if failed != 20 {
			t.Fatalf("%d guesses checked (%v), want exactly the limit of 20", failed, statuses)
		}
		expectStatus(t, app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}}), http.StatusTooManyRequests)
	})
}

// next is followed only when it is a clean path on this site; anything a
// browser could read as another site lands on the dashboard instead.
func TestLoginNextOnlyCleanLocalPaths(t *testing.T) {
	app := newTestApp(t, dbtest.Open(t, models.SQLite))
	app.signUp("Corner Café", "olive@example.com")
	cases := []struct{ next, want string }{
		{"/account/password", "/account/password"},
		{"/members?q=ann&page=2", "/members?q=ann&page=2"},
		{"/members/5#ledger", "/members/5#ledger"},
		{"", "/dashboard"},
		{"/\t/evil.example", "/dashboard"},
		{"/%09/evil.example", "/dashboard"},
		{"/\\evil.example", "/dashboard"},
		{"\\/evil.example", "/dashboard"},
		{"/%5Cevil.example", "/dashboard"},
		{"/%5cevil.example", "/dashboard"},
		{"//evil.example", "/dashboard"},
		{"/%2F/evil.example", "/dashboard"},
		{"/%2f%2fevil.example", "/dashboard"},
		{"/\r\n/evil.example", "/dashboard"},
		{"/%0d%0aSet-Cookie:x=1", "/dashboard"},
		{"/%00", "/dashboard"},
		{"/%ff", "/dashboard"},
		{"https://evil.example", "/dashboard"},
		{"http:/evil.example", "/dashboard"},
		{"javascript:alert(1)", "/dashboard"},
		{"evil.example", "/dashboard"},
		{" /dashboard", "/dashboard"},
		{"/%zz", "/dashboard"},
	}
	for _, tc := range cases {
		r := app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}, "next": {tc.next}})
		if r.status != http.StatusSeeOther || r.location() != tc.want {
			t.Errorf("next %q: %d Location %q, want 303 %q", tc.next, r.status, r.location(), tc.want)
		}
	}
}
