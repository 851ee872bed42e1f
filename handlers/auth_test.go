package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
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
