package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/regularshq/regulars/models"
)

func TestAddUserValidation(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		before := app.count(&models.User{})
		cases := []struct {
			form  url.Values
			field string
		}{
			{url.Values{"name": {""}, "email": {"sam@example.com"}, "role": {"staff"}}, "name"},
			{url.Values{"name": {"Sam"}, "email": {"sam@"}, "role": {"staff"}}, "email"},
			{url.Values{"name": {"Sam"}, "email": {"olive@example.com"}, "role": {"staff"}}, "email"},
			{url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"king"}}, "role"},
			{url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}, "password": {"short"}}, "password"},
		}
		for _, tc := range cases {
			r := acct.owner.post("/settings/users", tc.form)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if !r.has(`[data-testid="error-` + tc.field + `"]`) {
				t.Errorf("%v: no message beside %s", tc.form, tc.field)
			}
			if v, _ := r.doc.Find("#f-name").Attr("value"); v != tc.form.Get("name") {
				t.Errorf("name not kept: %q", v)
			}
		}
		if after := app.count(&models.User{}); after != before {
			t.Fatalf("users %d → %d after refused adds", before, after)
		}
	})
}

func TestAddUserWithPasswordLink(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.post("/settings/users", url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}})
		expectRedirect(t, r, "/settings/users/")
		page := acct.owner.get(r.location())
		link := page.text("#password-link")
		if !strings.HasPrefix(link, app.srv.URL+"/set-password/") {
			t.Fatalf("link %q", link)
		}
		if again := acct.owner.get(r.location()); again.has("#password-link") {
			t.Fatal("the link is shown a second time")
		}
		// Sam cannot log in before choosing a password.
		expectStatus(t, app.client().post("/login", url.Values{"email": {"sam@example.com"}, "password": {""}}), http.StatusUnprocessableEntity)

		path := strings.TrimPrefix(link, app.srv.URL)
		sam := app.client()
		expectStatus(t, sam.get(path), http.StatusOK)
		res := sam.post(path, url.Values{"password": {testPassword}, "confirm_password": {"different password"}})
		expectStatus(t, res, http.StatusUnprocessableEntity)
		if !res.has(`[data-testid="error-confirm_password"]`) {
			t.Fatal("mismatch not flagged")
		}
		expectRedirect(t, sam.post(path, url.Values{"password": {testPassword}, "confirm_password": {testPassword}}), "/dashboard")
		if got := sam.get("/dashboard").text(`[data-testid="current-user"]`); !strings.Contains(got, "Sam") {
			t.Fatalf("signed in as %q", got)
		}
		// The link works once.
		expectStatus(t, app.client().get(path), http.StatusNotFound)
		expectStatus(t, app.client().post(path, url.Values{"password": {testPassword}, "confirm_password": {testPassword}}), http.StatusNotFound)
		app.login("sam@example.com")
	})
}

func TestRoleChangeEndsSessions(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		id := app.addUser(acct, "Sam", "sam@example.com", models.RoleStaff)
		sam := app.login("sam@example.com")
		expectRedirect(t, acct.owner.post(userPath(id)+"/role", url.Values{"role": {"manager"}}), userPath(id))
		if u := app.user(id); u.Role != models.RoleManager {
			t.Fatalf("role %s", u.Role)
		}
		expectRedirect(t, sam.get("/dashboard"), "/login")
		r := acct.owner.post(userPath(id)+"/role", url.Values{"role": {"emperor"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has(`[data-testid="error-role"]`) {
			t.Fatal("bad role not flagged")
		}
	})
}

func TestDeactivationEndsSessionsAndReactivationRestores(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		id := app.addUser(acct, "Sam", "sam@example.com", models.RoleStaff)
		sam := app.login("sam@example.com")
		expectRedirect(t, acct.owner.post(userPath(id)+"/deactivate", nil), userPath(id))
		expectRedirect(t, sam.get("/dashboard"), "/login")
		expectStatus(t, app.client().post("/login", url.Values{"email": {"sam@example.com"}, "password": {testPassword}}), http.StatusUnauthorized)
		expectStatus(t, acct.owner.post(userPath(id)+"/password-link", nil), http.StatusConflict)

		expectRedirect(t, acct.owner.post(userPath(id)+"/reactivate", nil), userPath(id))
		app.login("sam@example.com")
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		laptop := app.login("olive@example.com")

		r := acct.owner.post("/account/password", url.Values{"current_password": {"not it at all"}, "new_password": {"a brand new secret"}, "confirm_password": {"a brand new secret"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if !r.has(`[data-testid="error-current_password"]`) {
			t.Fatal("wrong current password not flagged")
		}
		expectStatus(t, laptop.get("/dashboard"), http.StatusOK)

		r = acct.owner.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"a brand new secret"}, "confirm_password": {"a brand new secret"}})
		expectRedirect(t, r, "/dashboard")
		expectStatus(t, acct.owner.get("/dashboard"), http.StatusOK)
		expectRedirect(t, laptop.get("/dashboard"), "/login")
		expectStatus(t, app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {testPassword}}), http.StatusUnauthorized)
		expectRedirect(t, app.client().post("/login", url.Values{"email": {"olive@example.com"}, "password": {"a brand new secret"}}), "/dashboard")
	})
}

func TestLastOwnerIsProtected(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		self := userPath(acct.ownerID)
		r := acct.owner.post(self+"/role", url.Values{"role": {"manager"}})
		expectStatus(t, r, http.StatusConflict)
		if !strings.Contains(r.text(`[data-testid="form-error"]`), "last active owner") {
			t.Fatalf("message %q", r.text(`[data-testid="form-error"]`))
		}
		expectStatus(t, acct.owner.post(self+"/deactivate", nil), http.StatusConflict)
		if u := app.user(acct.ownerID); u.Role != models.RoleOwner || !u.Active {
			t.Fatalf("last owner changed: %+v", u)
		}

		// With a second owner, the first may step down and stays signed in.
		app.addUser(acct, "Otto", "otto@example.com", models.RoleOwner)
		expectRedirect(t, acct.owner.post(self+"/role", url.Values{"role": {"manager"}}), self)
		expectStatus(t, acct.owner.get("/dashboard"), http.StatusOK)
		expectStatus(t, acct.owner.get("/settings/users"), http.StatusForbidden)
	})
}

func TestIdleSessionsEnd(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.clock.advance(11 * time.Hour)
		expectStatus(t, acct.owner.get("/dashboard"), http.StatusOK) // activity renews the session
		app.clock.advance(11 * time.Hour)
		expectStatus(t, acct.owner.get("/dashboard"), http.StatusOK)
		app.clock.advance(12*time.Hour + time.Minute)
		expectRedirect(t, acct.owner.get("/dashboard"), "/login")
	})
}

func TestBusinessSettings(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.post("/settings/business", url.Values{"business_name": {"Corner Café"}, "currency": {"euro"}, "time_zone": {"Europe/Paris"}})
		expectStatus(t, r, http.StatusUnprocessableEntity)
		if v, _ := r.doc.Find("#f-currency").Attr("value"); v != "euro" {
			t.Errorf("currency input not kept: %q", v)
		}
		expectRedirect(t, acct.owner.post("/settings/business", url.Values{"business_name": {"Corner Bakery"}, "currency": {"gbp"}, "time_zone": {"Europe/London"}}), "/settings/business")
		if got := acct.owner.get("/dashboard").text(`[data-testid="dashboard-title"]`); got != "Corner Bakery" {
			t.Fatalf("title %q", got)
		}
		var m models.Merchant
		if err := models.CrossTenant(app.db).Take(&m, acct.merchantID).Error; err != nil || m.Currency != "GBP" || m.TimeZone != "Europe/London" {
			t.Fatalf("merchant %+v (%v)", m, err)
		}
	})
}

func userPath(id int64) string { return "/settings/users/" + strconvI(id) }

// A set-password link is built on the configured origin, never on the
// Host header the client sent.
func TestPasswordLinkIgnoresForgedHost(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		req, err := http.NewRequest(http.MethodPost, app.srv.URL+"/settings/users", strings.NewReader(url.Values{
			"_csrf": {acct.owner.csrf}, "name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"},
		}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// The cookie jar files cookies under the Host header: carry them
		// across by hand, both ways.
		site, _ := url.Parse(app.srv.URL)
		forged := &url.URL{Scheme: "http", Host: req.Host}
		acct.owner.http.Jar.SetCookies(forged, acct.owner.http.Jar.Cookies(site))
		r := acct.owner.do(req)
		expectRedirect(t, r, "/settings/users/")
		acct.owner.http.Jar.SetCookies(site, acct.owner.http.Jar.Cookies(forged))
		page := acct.owner.get(r.location())
		link := page.text("#password-link")
		if !strings.HasPrefix(link, app.srv.URL+"/set-password/") || strings.Contains(page.body, "evil.example") {
			t.Fatalf("link %q built on the forged Host", link)
		}
	})
}

// Everyone signed in has logged in: the owner by signing up, a new team
// member by their set-password link, and each by the login form.
func TestLastLoginIsNeverNeverWhenSignedIn(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		r := acct.owner.post("/settings/users", url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "role": {"staff"}})
		expectRedirect(t, r, "/settings/users/")
		link := acct.owner.get(r.location()).text("#password-link")
		lastLogins := func() map[string]string {
			t.Helper()
			page := acct.owner.get("/settings/users")
			expectStatus(t, page, http.StatusOK)
			got := map[string]string{}
			page.doc.Find(`[data-testid="user-row"]`).Each(func(_ int, row *goquery.Selection) {
				got[row.Find("td").Eq(1).Text()] = strings.TrimSpace(row.Find(`[data-testid="user-last-login"]`).Text())
			})
			return got
		}
		if got := lastLogins(); got["olive@example.com"] == "never" || got["olive@example.com"] == "" || got["sam@example.com"] != "never" {
			t.Fatalf("last logins after sign-up %v: want the owner's time, Sam never", got)
		}
		path := strings.TrimPrefix(link, app.srv.URL)
		expectRedirect(t, app.client().post(path, url.Values{"password": {testPassword}, "confirm_password": {testPassword}}), "/dashboard")
		if got := lastLogins()["sam@example.com"]; got == "never" || !strings.Contains(got, "CE") { // CET or CEST: Paris time
			t.Fatalf("Sam's last login after using the link = %q", got)
		}
	})
}
