package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/regularshq/regulars/models"
)

// Managers and owners find Reports in the navigation and land on the
// report dashboard; staff see neither, are refused the pages, and land on
// a page pointing to the till.
func TestReportsRoles(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		app.addUser(acct, "Mia Manager", "mia@example.com", models.RoleManager)
		app.addUser(acct, "Sam Staff", "sam@example.com", models.RoleStaff)
		for _, c := range []struct {
			who    string
			client *client
		}{{"owner", acct.owner}, {"manager", app.login("mia@example.com")}} {
			r := c.client.get("/dashboard")
			expectStatus(t, r, http.StatusOK)
			if !r.has(`[data-testid="report-range-form"]`) || r.text(`[data-testid="dashboard-title"]`) != "Corner Café" {
				t.Errorf("%s's dashboard is not the report dashboard:\n%.600s", c.who, r.body)
			}
			if !r.has(`nav a[href="/reports"]`) {
				t.Errorf("%s's navigation has no Reports", c.who)
			}
			expectStatus(t, c.client.get("/reports?range=7d"), http.StatusOK)
		}
		sam := app.login("sam@example.com")
		r := sam.get("/dashboard")
		expectStatus(t, r, http.StatusOK)
		if r.has(`a[href^="/reports"]`) || r.has(`[data-testid="report"]`) || !r.has(`[data-testid="open-till"]`) {
			t.Errorf("staff's dashboard shows reports or no till link:\n%.800s", r.body)
		}
		expectStatus(t, sam.get("/reports"), http.StatusForbidden)
		expectStatus(t, sam.get("/reports?format=csv&table=members"), http.StatusForbidden)
	})
}

// Bad range input is answered on the page, with the frame and the input
// kept, never with a server error; a table the page does not have, or
// another format, is a 404.
func TestReportsBadRange(t *testing.T) {
	eachApp(t, func(t *testing.T, app *testApp) {
		acct := app.signUp("Corner Café", "olive@example.com")
		for _, tc := range []struct{ query, want string }{
			{"range=forever", `There is no range called "forever"`},
			{"range=custom&from=2026-02-30&to=2026-03-01", "2026-02-30 does not exist"},
			{"from=2026-03-01&to=2026-02-01", "is after the end date"},
			{"from=1900-01-01&to=2026-02-01", "2000-01-01 at the earliest"},
			{"from=2026-01-01&to=9999-12-31", "is in the future"},
			{"range=custom&from=&to=", "Enter both a start date and an end date"},
			{"from=2026-1-1&to=2026-01-31", "Enter a date like"},
		} {
			r := acct.owner.get("/reports?" + tc.query)
			expectStatus(t, r, http.StatusUnprocessableEntity)
			if got := r.text(`[data-testid="report-error"]`); !strings.Contains(got, tc.want) {
				t.Errorf("%s: message %q, want %q", tc.query, got, tc.want)
			}
			if !r.has(`[data-testid="report-range-form"]`) || r.has(`[data-testid="dashboard-stats"]`) {
				t.Errorf("%s: the page should keep the form and leave out the figures", tc.query)
			}
		}
		r := acct.owner.get("/reports?range=custom&from=2026-03-01&to=2026-02-01")
		if v, _ := r.doc.Find(`input[name="from"]`).Attr("value"); v != "2026-03-01" {
			t.Errorf("the start date typed is not kept: %q", v)
		}
		expectStatus(t, acct.owner.get("/reports?format=csv&table=nothing"), http.StatusNotFound)
		expectStatus(t, acct.owner.get("/reports?format=xml&table=figures"), http.StatusNotFound)
	})
}
